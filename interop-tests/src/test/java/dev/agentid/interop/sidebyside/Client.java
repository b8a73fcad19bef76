package dev.agentid.interop.sidebyside;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.TestAgents;

import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A client of a server under test: its id and ES256 key, and the private_key_jwt assertions it signs (RFC 7523). */
record Client(String id, ECKey key) {

    static Client generate(String id) {
        return new Client(id, TestAgents.newKey());
    }

    /** The public JWK set, for registering the client. */
    String publicJwks() {
        return new JWKSet(key.toPublicJWK()).toString();
    }

    /** A fresh assertion: iss = sub = id, aud = {@code audience}, a unique jti, valid 60 s; signed with BouncyCastle. */
    String assertion(String audience) {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(id).subject(id).audience(audience)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString()).build();
        return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
                claims);
    }

    /** A DPoP proof (RFC 9449) of a POST to {@code htu}, signed with this client's key. */
    String dpopProof(String htu) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString()).claim("htm", "POST")
                .claim("htu", htu).issueTime(new Date()).build();
        return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK()).build(), claims);
    }

    private String sign(JWSHeader header, JWTClaimsSet claims) {
        try {
            ECDSASigner signer = new ECDSASigner(key);
            signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code params} plus this client's private_key_jwt authentication. */
    Map<String, String> authenticated(Map<String, String> params, String audience) {
        Map<String, String> form = new LinkedHashMap<>(params);
        form.put("client_assertion_type", TestAgents.JWT_BEARER);
        form.put("client_assertion", assertion(audience));
        return form;
    }

    @Override
    public String toString() {
        return id;
    }
}
