package dev.agentid.issuer.binding;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/** DPoP proofs for tests: valid ones, and ones broken in exactly one way. */
final class Proofs {

    private Proofs() {
    }

    /** Claims of a valid token-endpoint proof. */
    static JWTClaimsSet.Builder claims(String htm, String htu) {
        return new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", htm).claim("htu", htu)
                .issueTime(Date.from(Instant.now()));
    }

    /** A valid proof for a POST to {@code htu}. */
    static String proof(ECKey key, String htu) {
        return sign(header(key).build(), claims("POST", htu).build(), key);
    }

    /** A proof for a resource request, with {@code ath} for the token. */
    static String resourceProof(ECKey key, String htm, String htu, String accessToken) {
        return sign(header(key).build(), claims(htm, htu).claim("ath", sha256(accessToken)).build(), key);
    }

    static JWSHeader.Builder header(ECKey key) {
        return new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt")).jwk(key.toPublicJWK());
    }

    static String sign(JWSHeader header, JWTClaimsSet claims, ECKey signer) {
        try {
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(new ECDSASigner(signer));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String thumbprint(ECKey key) {
        try {
            return key.toPublicJWK().computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String value) {
        try {
            return Base64URL.encode(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.US_ASCII))).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
