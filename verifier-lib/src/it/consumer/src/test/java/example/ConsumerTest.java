package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A partner's project that uses verifier-lib through its published coordinates only. */
class ConsumerTest {

    private static final String ISSUER = "https://issuer.example";

    @Test
    void verifiesADelegatedAgentTokenThroughTheInstalledArtifact() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                .trustIssuer(ISSUER, new JWKSet(key.toPublicJWK()))
                .audience("https://tickets.example")
                .build();

        VerifiedAgentToken token = verifier.verify(sign(key, Instant.now().plusSeconds(300)));
        assertEquals("user:alice", token.principal());
        assertEquals(2, token.chain().depth());
        assertEquals("researcher", token.chain().actors().get(0).subject());

        TokenVerificationException expired = assertThrows(TokenVerificationException.class,
                () -> verifier.verify(sign(key, Instant.now().minusSeconds(600))));
        assertEquals(Reason.EXPIRED, expired.reason());
    }

    private static String sign(ECKey key, Instant exp) throws Exception {
        Instant iat = exp.minusSeconds(300);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER).subject("user:alice").audience("https://tickets.example")
                .issueTime(Date.from(iat)).expirationTime(Date.from(exp)).jwtID("t-" + exp.toEpochMilli())
                .claim("client_id", "researcher").claim("scope", "tickets:read")
                .claim("act", Map.of("sub", "researcher", "iss", ISSUER,
                        "act", Map.of("sub", "planner", "iss", ISSUER)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("at+jwt")).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }
}
