package dev.agentid.verifier;

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
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Identity chaining: every actor of a chain that crosses organisations is reported with its organisation. */
class OrganisationLabelsTest {

    static final String A = "https://a.example";
    static final String B = "https://b.example";

    @Test
    void actorsOfAChainAcrossOrganisationsReportTheirOrganisation() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("b1").generate();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(B).subject("user:alice").audience("https://api.example")
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(60))).jwtID("j1")
                .claim("client_id", "b-agent").claim("scope", "read")
                .claim("act", Map.of("sub", "b-agent", "iss", B, "act", Map.of("sub", "a-agent", "iss", A,
                        "act", Map.of("sub", "c-agent", "iss", "https://c.example"))))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
                .keyID("b1").build(), claims);
        jwt.sign(new ECDSASigner(key));
        try (AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                .trustIssuer(B, new JWKSet(key.toPublicJWK()))
                .organisation(B, "Org B")
                .organisation(A, "Org A")
                .audience("https://api.example")
                .build()) {
            VerifiedAgentToken token = verifier.verify(jwt.serialize());
            assertEquals("Org B", token.organisationOf(token.chain().current()));
            assertEquals("Org A", token.organisationOf(new Actor("a-agent", A)));
            assertNull(token.organisationOf(new Actor("c-agent", "https://c.example")));
            assertEquals(Arrays.asList("Org B", "Org A", null), token.organisations());
        }
    }

    @Test
    void trustIssuerWithAnOrganisationLabelsIt() throws Exception {
        AgentTokenVerifier.Builder builder = AgentTokenVerifier.builder()
                .trustIssuer(B, new URL(B + "/oauth2/jwks"), "Org B").audience("x");
        try (AgentTokenVerifier verifier = builder.build()) {
            assertEquals(java.util.Set.of(B), verifier.trustedIssuers());
        }
        assertThrows(IllegalArgumentException.class, () -> AgentTokenVerifier.builder().organisation(B, ""));
    }
}
