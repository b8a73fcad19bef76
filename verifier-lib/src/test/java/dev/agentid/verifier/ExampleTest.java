package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.verifier.status.StatusList;
import dev.agentid.verifier.status.StatusListCheck;
import dev.agentid.verifier.status.StatusListPolicy;
import java.net.URL;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README snippet ("Verifying tokens in a relying party"), compiled and run so the documentation
 * cannot rot. The code between {@code README-BEGIN} and {@code README-END} is what the README shows.
 */
class ExampleTest {

    @Test
    void readmeSnippetVerifiesATokenAndReadsItsChain() throws Exception {
        try (JwksServer jwks = new JwksServer(new JWKSet(TestTokens.KEY.toPublicJWK()), "/oauth2/jwks")) {
            // an issuer as the README runs it: http://127.0.0.1:<port>, keys at /oauth2/jwks
            String issuer = jwks.base();
            URL jwksUri = jwks.url();
            DelegationChain plannerThenResearcher = DelegationChain.of(Actor.of("planner", issuer))
                    .extendedBy(Actor.of("researcher", issuer));
            Instant now = Instant.now();
            // the issuer's status list (profile section 7.1): entry 3 is revoked
            String listUri = issuer + "/oauth2/status/1";
            StatusList bits = StatusList.allValid(16, 1);
            bits.set(3, StatusList.INVALID);
            jwks.serve("/oauth2/status/1", StatusListCheck.MEDIA_TYPE, () -> TestTokens.sign(
                    new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("statuslist+jwt"))
                            .keyID(TestTokens.KEY.getKeyID()).build(),
                    new JWTClaimsSet.Builder().issuer(issuer).subject(listUri).issueTime(Date.from(now))
                            .expirationTime(Date.from(now.plusSeconds(120))).claim("ttl", 60)
                            .claim("status_list", Map.of("bits", 1, "lst", bits.encode())).build(), TestTokens.KEY));
            String bearerToken = TestTokens.sign(TestTokens.claimsFor(plannerThenResearcher)
                    .issuer(issuer).audience("https://tickets.example").claim("scope", "tickets:read")
                    .claim("status", Map.of("status_list", Map.of("idx", 0, "uri", listUri)))
                    .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build());

            // README-BEGIN
            AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                    .trustIssuer(issuer, jwksUri)           // "http://127.0.0.1:8080", its /oauth2/jwks URL
                    .audience("https://tickets.example")
                    .statusLists(StatusListPolicy.failClosed())   // refuses revoked tokens (profile 7.1)
                    .build();                               // immutable, thread-safe: build once

            VerifiedAgentToken token = verifier.verify(bearerToken);   // throws TokenVerificationException
            token.principal();        // "user:alice"
            token.scopes();           // [tickets:read]
            token.chain().actors();   // [researcher @ issuer, planner @ issuer], current actor first
            // README-END

            assertEquals("user:alice", token.principal());
            assertEquals(List.of("tickets:read"), List.copyOf(token.scopes()));
            assertEquals(List.of(Actor.of("researcher", issuer), Actor.of("planner", issuer)),
                    token.chain().actors());

            String revoked = TestTokens.sign(TestTokens.claimsFor(plannerThenResearcher).issuer(issuer)
                    .audience("https://tickets.example")
                    .claim("status", Map.of("status_list", Map.of("idx", 3, "uri", listUri)))
                    .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build());
            assertEquals(Reason.REVOKED, assertThrows(TokenVerificationException.class,
                    () -> verifier.verify(revoked)).reason());

            String expired = TestTokens.sign(TestTokens.claimsFor(plannerThenResearcher).issuer(issuer)
                    .audience("https://tickets.example").issueTime(Date.from(now.minusSeconds(900)))
                    .expirationTime(Date.from(now.minusSeconds(600))).build());
            TokenVerificationException e = assertThrows(TokenVerificationException.class,
                    () -> verifier.verify(expired));
            assertEquals(Reason.EXPIRED, e.reason());
            assertEquals(Reason.Family.INVALID_TOKEN, e.reason().family());
            verifier.close();
        }
    }

    /** The README shows exactly the code between README-BEGIN and README-END above. */
    @Test
    void readmeShowsThisSnippet() throws Exception {
        java.nio.file.Path here = java.nio.file.Path.of(System.getProperty("user.dir"));
        String source = java.nio.file.Files.readString(here.resolve("src/test/java/dev/agentid/verifier/ExampleTest.java"));
        String readme = java.nio.file.Files.readString(here.resolveSibling("README.md"));
        String begin = "// README-BEGIN";
        String snippet = source.substring(source.indexOf(begin) + begin.length(), source.indexOf("// README-END"));
        StringBuilder expected = new StringBuilder();
        for (String line : snippet.strip().split("\n")) {
            expected.append(line.startsWith("            ") ? line.substring(12) : line.strip()).append('\n');
        }
        org.junit.jupiter.api.Assertions.assertTrue(readme.contains("```java\n" + expected + "```"),
                "README.md must show the snippet of ExampleTest verbatim");
    }
}
