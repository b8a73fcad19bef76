package dev.agentid.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Fixtures: managed keys and tokens signed the way the issuer signs them. */
final class TestKeys {

    static final Duration LIFETIME = Duration.ofSeconds(3600);
    static final Duration SKEW = Duration.ofSeconds(60);

    private TestKeys() {
    }

    static ManagedKey key(TestClock clock, Instant activatesAt) {
        return new ManagedKey(KeyGenerator.generateEs256(clock), clock.instant(), activatesAt);
    }

    static ManagedKey activeKey(TestClock clock) {
        return key(clock, clock.instant());
    }

    /** A token the ring's signing key signs at {@code iat}, valid for {@code lifetime}. */
    static SignedJWT sign(KeyRing ring, Instant iat, Duration lifetime) throws JOSEException {
        KeyRing.ActiveSigner active = ring.activeSigner(iat);
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(active.algorithm()).keyID(active.keyId()).type(new JOSEObjectType("at+jwt")).build(),
                new JWTClaimsSet.Builder().issuer("https://issuer.test").subject("principal")
                        .issueTime(Date.from(iat)).expirationTime(Date.from(iat.plus(lifetime))).build());
        jwt.sign(active.signer());
        return jwt;
    }

    /** Verifies the signature against the key with the token's kid in the JWKS; false if absent. */
    static boolean verifies(SignedJWT jwt, JWKSet jwks) throws JOSEException {
        JWK jwk = jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        if (jwk == null) {
            return false;
        }
        ECDSAVerifier verifier = new ECDSAVerifier((ECKey) jwk);
        verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return jwt.verify(verifier);
    }
}
