package dev.agentid.issuer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Subtree revocation, the kill switch and restore, and that all of it survives a restart. */
class RevocationAndKillTest {

    @TempDir
    Path dir;

    static boolean active(TestIssuer issuer, String token) {
        return issuer.introspect(token).getBoolean("active");
    }

    @Test
    void revokingAncestorsAndKillingAgentsSurviveARestart() {
        String tokenA1, tokenB1, tokenC1, tokenA2, tokenB2, tokenC2;
        int port;
        TestAgent a, b, c;
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            port = issuer.server.port();
            a = issuer.register(agent("a").delegates("b"));
            b = issuer.register(agent("b").delegates("c"));
            c = issuer.register(agent("c"));

            // chain 1: revoke A's token
            tokenA1 = issuer.tokenFor(a);
            tokenB1 = issuer.exchanged(b, tokenA1);
            tokenC1 = issuer.exchanged(c, tokenB1);
            TestIssuer.Response revoked = issuer.revoke(a, tokenA1);
            assertEquals(200, revoked.status(), revoked.body());
            assertFalse(active(issuer, tokenA1));
            assertFalse(active(issuer, tokenB1));
            assertFalse(active(issuer, tokenC1));

            // chain 2: kill B
            tokenA2 = issuer.tokenFor(a);
            tokenB2 = issuer.exchanged(b, tokenA2);
            tokenC2 = issuer.exchanged(c, tokenB2);
            TestIssuer.Response killed = issuer.admin("POST", "/admin/agents/b/kill", null);
            assertEquals(200, killed.status(), killed.body());
            assertEquals("killed", killed.json().getString("status"));
            assertTrue(active(issuer, tokenA2));
            assertFalse(active(issuer, tokenB2));
            assertFalse(active(issuer, tokenC2));
            assertEquals(401, issuer.clientCredentials(b).status());
        }

        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), port, Map.of())) {
            assertFalse(active(issuer, tokenA1));
            assertFalse(active(issuer, tokenB1));
            assertFalse(active(issuer, tokenC1));
            assertTrue(active(issuer, tokenA2));
            assertFalse(active(issuer, tokenB2));
            assertFalse(active(issuer, tokenC2));
            RefusalTable.assertRow(issuer.exchange(c, tokenB2), "X13", "agent", "b");
            JsonObject inventory = issuer.admin("GET", "/admin/agents", null).json();
            assertEquals(3, inventory.getJsonArray("agents").size());
            JsonObject agentB = issuer.admin("GET", "/admin/agents/b", null).json();
            assertEquals("killed", agentB.getString("status"));

            // restore lifts the kill for new tokens only
            assertEquals(200, issuer.admin("POST", "/admin/agents/b/restore", null).status());
            assertFalse(active(issuer, tokenB2), "tokens issued before the kill stay dead");
            assertFalse(active(issuer, tokenC2));
            String fresh = issuer.exchanged(b, issuer.tokenFor(a));
            assertTrue(active(issuer, fresh));
        }
    }

    @Test
    void inventoryCountsLiveTokensPerAgent() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String tokenA = issuer.tokenFor(a);
            issuer.tokenFor(a);
            issuer.exchanged(b, tokenA);
            JsonObject agentA = issuer.admin("GET", "/admin/agents/a", null).json();
            JsonObject agentB = issuer.admin("GET", "/admin/agents/b", null).json();
            assertEquals(3, agentA.getLong("live_tokens"));
            assertEquals(1, agentB.getLong("live_tokens"));
            assertEquals("user:alice", agentA.getString("owner"));
            assertEquals("active", agentA.getString("status"));
        }
    }

    @Test
    void liveTokensLeaveOutRevokedSubtreesKilledChainsAndExpiredTokens() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = TestIssuer.start(dir, clock, 0, Map.of())) {
            TestAgent a = issuer.register(agent("a").delegates("b", "c").ttl(600));
            TestAgent b = issuer.register(agent("b").ttl(600));
            TestAgent c = issuer.register(agent("c").ttl(600));
            TestAgent shortLived = issuer.register(agent("short").ttl(60));
            String revokedRoot = issuer.tokenFor(a);
            issuer.exchanged(b, revokedRoot);               // dies with its root
            String keptRoot = issuer.tokenFor(a);
            issuer.exchanged(b, keptRoot);                  // stays
            issuer.exchanged(c, keptRoot);                  // dies with c's kill
            issuer.tokenFor(c);                             // dies with c's kill
            issuer.tokenFor(shortLived);                    // expires
            assertEquals(Map.of("a", 5L, "b", 2L, "c", 2L, "short", 1L), liveTokens(issuer));

            assertEquals(200, issuer.revoke(a, revokedRoot).status());
            assertEquals(200, issuer.admin("POST", "/admin/agents/c/kill", null).status());
            clock.advance(Duration.ofSeconds(61));
            assertEquals(Map.of("a", 2L, "b", 1L, "c", 0L, "short", 0L), liveTokens(issuer));

            // restore lifts the kill for new tokens only
            assertEquals(200, issuer.admin("POST", "/admin/agents/c/restore", null).status());
            issuer.exchanged(c, keptRoot);
            assertEquals(Map.of("a", 3L, "b", 1L, "c", 1L, "short", 0L), liveTokens(issuer));
        }
    }

    /** live_tokens of every agent in the inventory; the status-list worker takes the kill in asynchronously. */
    private static Map<String, Long> liveTokens(TestIssuer issuer) {
        issuer.server.statusLists().refresh();
        Map<String, Long> counts = new java.util.TreeMap<>();
        JsonArray agents = issuer.admin("GET", "/admin/agents", null).json().getJsonArray("agents");
        for (int i = 0; i < agents.size(); i++) {
            counts.put(agents.getJsonObject(i).getString("agent_id"), agents.getJsonObject(i).getLong("live_tokens"));
        }
        return counts;
    }

    @Test
    void revocationByAnAgentOutsideTheChainIsRefused() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            TestAgent stranger = issuer.register(agent("stranger"));
            String token = issuer.tokenFor(a);
            TestIssuer.assertError(issuer.revoke(stranger, token), 400, "unauthorized_client",
                    "agent 'stranger' may not revoke this token");
            assertTrue(active(issuer, token));
        }
    }

    @Test
    void theAdminRevokesWithTheBearerToken() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            String token = issuer.tokenFor(a);
            TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/revoke"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(Map.of("token", token)))).build());
            assertEquals(200, r.status(), r.body());
            assertFalse(active(issuer, token));
        }
    }

    @Test
    void revocationWithoutAuthenticationIsRefused() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            String token = issuer.tokenFor(a);
            TestIssuer.assertError(issuer.post("/oauth2/revoke", "application/x-www-form-urlencoded",
                    TestIssuer.form(Map.of("token", token))), 401, "invalid_client", "client authentication failed");
            TestIssuer.Response wrongAdmin = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                            + "/oauth2/revoke")).header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Bearer wrong-token-wrong-token")
                    .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(Map.of("token", token)))).build());
            TestIssuer.assertError(wrongAdmin, 401, "invalid_client", "client authentication failed");
            assertTrue(active(issuer, token));
        }
    }

    @Test
    void revokingGarbageIsASuccessThatChangesNothing() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            assertEquals(200, issuer.revoke(a, "not-a-token").status());
        }
    }

    @Test
    void revocationWithRefreshTokenHintIsRefused() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            Map<String, String> params = issuer.as(a, "token", issuer.tokenFor(a), "token_type_hint", "refresh_token");
            TestIssuer.assertError(issuer.post("/oauth2/revoke", "application/x-www-form-urlencoded",
                    TestIssuer.form(params)), 400, "unsupported_token_type", "only access tokens can be revoked");
        }
    }

    @Test
    void introspectionWithoutAuthenticationIsRefused() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            String token = issuer.tokenFor(a);
            TestIssuer.assertError(issuer.post("/oauth2/introspect", "application/x-www-form-urlencoded",
                    TestIssuer.form(Map.of("token", token))), 401, "invalid_client", "client authentication failed");
            TestIssuer.Response wrongAdmin = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                            + "/oauth2/introspect")).header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Bearer wrong-token-wrong-token")
                    .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(Map.of("token", token)))).build());
            TestIssuer.assertError(wrongAdmin, 401, "invalid_client", "client authentication failed");
        }
    }

    @Test
    void agentsMayIntrospectAndUnknownTokensAreInactive() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a"));
            TestIssuer.Response r = issuer.post("/oauth2/introspect", "application/x-www-form-urlencoded",
                    TestIssuer.form(issuer.as(a, "token", issuer.tokenFor(a))));
            assertEquals(200, r.status(), r.body());
            assertTrue(r.json().getBoolean("active"));
            TestIssuer.Response unknown = issuer.post("/oauth2/introspect", "application/x-www-form-urlencoded",
                    TestIssuer.form(issuer.as(a, "token", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")));
            assertEquals(new JsonObject().put("active", false), unknown.json());
            assertEquals("no-store", unknown.header("Cache-Control"));
        }
    }

    @Test
    void expiredTokensAreInactive() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").ttl(60));
            String token = issuer.tokenFor(a);
            assertTrue(active(issuer, token));
            issuer.clock.advance(java.time.Duration.ofSeconds(200));
            assertFalse(active(issuer, token));
        }
    }
}
