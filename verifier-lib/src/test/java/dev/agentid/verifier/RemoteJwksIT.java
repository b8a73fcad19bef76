package dev.agentid.verifier;

import static dev.agentid.verifier.TestTokens.AUDIENCE;
import static dev.agentid.verifier.TestTokens.ISSUER;
import static dev.agentid.verifier.TestTokens.OTHER_ISSUER;
import static dev.agentid.verifier.TestTokens.claims;
import static dev.agentid.verifier.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import java.net.URL;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The jwksUri path against a real JDK HTTP server on 127.0.0.1. */
class RemoteJwksIT {

    private static AgentTokenVerifier remote(URL jwks) {
        return AgentTokenVerifier.builder().trustIssuer(ISSUER, jwks).audience(AUDIENCE)
                .clock(TestTokens.clock()).build();
    }

    private static Reason reason(AgentTokenVerifier verifier, String token) {
        return assertThrows(TokenVerificationException.class, () -> verifier.verify(token)).reason();
    }

    @Test
    void keysAreFetchedOnceAndCached() throws Exception {
        ECKey key = TestTokens.newKey("k1");
        try (JwksServer server = new JwksServer(new JWKSet(key.toPublicJWK()));
             AgentTokenVerifier verifier = remote(server.url())) {
            assertEquals(0, server.requests());
            for (int i = 0; i < 20; i++) {
                assertEquals(TestTokens.PRINCIPAL, verifier.verify(sign(claims().build(), key)).principal());
            }
            assertEquals(1, server.requests());
        }
    }

    @Test
    void unknownKidAfterRotationTriggersOneRefetch() throws Exception {
        ECKey oldKey = TestTokens.newKey("k-old");
        ECKey newKey = TestTokens.newKey("k-new");
        try (JwksServer server = new JwksServer(new JWKSet(oldKey.toPublicJWK()));
             AgentTokenVerifier verifier = remote(server.url())) {
            verifier.verify(sign(claims().build(), oldKey));
            assertEquals(1, server.requests());

            server.publish(new JWKSet(List.of(newKey.toPublicJWK(), oldKey.toPublicJWK())));
            assertEquals(TestTokens.PRINCIPAL, verifier.verify(sign(claims().build(), newKey)).principal());
            assertEquals(2, server.requests());
            // both keys now come from the cache
            verifier.verify(sign(claims().build(), oldKey));
            verifier.verify(sign(claims().build(), newKey));
            assertEquals(2, server.requests());
        }
    }

    @Test
    void unknownKidsDoNotHammerTheServer() throws Exception {
        ECKey key = TestTokens.newKey("k1");
        try (JwksServer server = new JwksServer(new JWKSet(key.toPublicJWK()));
             AgentTokenVerifier verifier = remote(server.url())) {
            verifier.verify(sign(claims().build(), key));
            for (int i = 0; i < 25; i++) {
                // the issuer's keys are available; the kid is just not among them
                assertEquals(Reason.UNKNOWN_KEY,
                        reason(verifier, sign(claims().build(), TestTokens.newKey("random-" + i))), "attempt " + i);
            }
            // Nimbus rate-limits refetches on unknown kids (at most 2 per 30 s by default)
            assertTrue(server.requests() <= 3, "requests: " + server.requests());
        }
    }

    @Test
    void serverDownWithNothingCachedGivesKeySourceUnavailable() throws Exception {
        URL url;
        try (JwksServer server = new JwksServer(new JWKSet(TestTokens.KEY.toPublicJWK()))) {
            url = server.url();
        }
        try (AgentTokenVerifier verifier = remote(url)) {
            TokenVerificationException e = assertThrows(TokenVerificationException.class,
                    () -> verifier.verify(TestTokens.token()));
            assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, e.reason());
            assertEquals(Reason.Family.UNAVAILABLE, e.reason().family());
        }
    }

    @Test
    void serverDownStaysKeySourceUnavailableWhenRefetchesAreRateLimited() throws Exception {
        URL url;
        try (JwksServer server = new JwksServer(new JWKSet(TestTokens.KEY.toPublicJWK()))) {
            url = server.url();
        }
        try (AgentTokenVerifier verifier = remote(url)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier, TestTokens.token()), "attempt " + i);
            }
        }
    }

    @Test
    void cachedKeysKeepWorkingWhenTheServerGoesDown() throws Exception {
        ECKey key = TestTokens.newKey("k1");
        JwksServer server = new JwksServer(new JWKSet(key.toPublicJWK()));
        try (AgentTokenVerifier verifier = remote(server.url())) {
            verifier.verify(sign(claims().build(), key));
            server.close();
            assertEquals(TestTokens.PRINCIPAL, verifier.verify(sign(claims().build(), key)).principal());
        } finally {
            server.close();
        }
    }

    @Test
    void twoIssuersKeepSeparateKeySets() throws Exception {
        ECKey keyA = TestTokens.newKey("a-1");
        ECKey keyB = TestTokens.newKey("b-1");
        try (JwksServer serverA = new JwksServer(new JWKSet(keyA.toPublicJWK()));
             JwksServer serverB = new JwksServer(new JWKSet(keyB.toPublicJWK()));
             AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                     .trustIssuer(ISSUER, serverA.url())
                     .trustIssuer(OTHER_ISSUER, serverB.url())
                     .audience(AUDIENCE).clock(TestTokens.clock()).build()) {
            assertEquals(ISSUER, verifier.verify(sign(claims().build(), keyA)).issuer());
            assertEquals(OTHER_ISSUER, verifier.verify(sign(claims().issuer(OTHER_ISSUER).build(), keyB)).issuer());

            // a token of issuer A signed with issuer B's key: B's kid is unknown at A ...
            assertEquals(Reason.UNKNOWN_KEY, reason(verifier, sign(claims().build(), keyB)));
            // ... and under A's kid the signature does not verify
            assertEquals(Reason.BAD_SIGNATURE,
                    reason(verifier, sign(TestTokens.header(keyA).build(), claims().build(), keyB)));
            // and the other way round
            assertEquals(Reason.BAD_SIGNATURE, reason(verifier,
                    sign(TestTokens.header(keyB).build(), claims().issuer(OTHER_ISSUER).build(), keyA)));
        }
    }
}
