package dev.agentid.issuer.lifecycle;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lifecycle governance through the admin API of a real issuer: offboarding, reviews, unused privilege, stale, keys. */
class LifecycleGovernanceTest {

    @TempDir
    Path dir;

    static JsonObject agentJson(TestIssuer issuer, String id) {
        return issuer.admin("GET", "/admin/agents/" + id, null).json();
    }

    @Test
    void offboardedOwnersAgentsAreSuspendedAndTheirLiveChainsDie() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent planner = issuer.register(agent("planner").owner("user:alice").delegates("helper"));
            TestAgent helper = issuer.register(agent("helper").owner("user:bob"));
            TestAgent other = issuer.register(agent("other").owner("user:bob"));
            String root = issuer.tokenFor(planner);
            String chained = issuer.exchanged(helper, root);
            String unrelated = issuer.tokenFor(other);

            TestIssuer.Response r = issuer.admin("POST", "/admin/owners/user:alice/disable",
                    new JsonObject().put("policy", "suspend").put("reason", "left the company"));
            assertEquals(200, r.status(), r.body());
            assertEquals(new JsonArray().add("planner"), r.json().getJsonArray("agents"));
            assertEquals("killed", agentJson(issuer, "planner").getString("status"));
            assertFalse(issuer.introspect(root).getBoolean("active"));
            assertFalse(issuer.introspect(chained).getBoolean("active"), "a chain through the agent dies");
            assertTrue(issuer.introspect(unrelated).getBoolean("active"));
            assertEquals(401, issuer.clientCredentials(planner).status());

            JsonObject audit = issuer.admin("GET", "/admin/audit?type=owner.disabled", null).json();
            JsonObject fields = audit.getJsonArray("events").getJsonObject(0).getJsonObject("fields");
            assertEquals("user:alice", fields.getString("owner"));
            assertEquals("left the company", fields.getString("reason"));
        }
    }

    @Test
    void offboardingWithReassignKillsOldTokensAndHandsTheAgentToTheSuccessor() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent worker = issuer.register(agent("worker").owner("user:alice"));
            String before = issuer.tokenFor(worker);
            issuer.clock.advance(Duration.ofMillis(5));   // a kill ends tokens issued before it, to the millisecond
            TestIssuer.Response r = issuer.admin("POST", "/admin/owners/user:alice/disable",
                    new JsonObject().put("policy", "reassign").put("successor", "user:carol"));
            assertEquals(200, r.status(), r.body());
            JsonObject now = agentJson(issuer, "worker");
            assertEquals("user:carol", now.getString("owner"));
            assertEquals("active", now.getString("status"));
            assertFalse(issuer.introspect(before).getBoolean("active"), "tokens issued under the old owner die");
            issuer.clock.advance(Duration.ofMillis(5));
            assertTrue(issuer.introspect(issuer.tokenFor(worker)).getBoolean("active"));
        }
    }

    @Test
    void offboardingWithReassignWithoutSuccessorIsRefused() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            issuer.register(agent("worker").owner("user:alice"));
            TestIssuer.Response r = issuer.admin("POST", "/admin/owners/user:alice/disable",
                    new JsonObject().put("policy", "reassign"));
            assertEquals(400, r.status(), r.body());
            assertEquals("invalid_request", r.json().getString("error"));
            assertEquals("active", agentJson(issuer, "worker").getString("status"));
        }
    }

    @Test
    void overdueAccessReviewSuspendsTheAgentAndRecertificationRecordsWhoCertified() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = TestIssuer.start(dir, clock, 0, Map.of("ISSUER_REVIEW_DAYS", "30",
                "ISSUER_REVIEW_POLICY", "suspend"))) {
            issuer.register(agent("forgotten"));
            issuer.register(agent("reviewed"));
            assertEquals(List.of(), issuer.server.lifecycle().reviews().enforce(clock.instant()));
            clock.advance(Duration.ofDays(29));
            TestIssuer.Response r = issuer.admin("POST", "/admin/agents/reviewed/recertify",
                    new JsonObject().put("certified_by", "security@example").put("next_review_days", 90));
            assertEquals(200, r.status(), r.body());
            assertEquals("security@example", r.json().getString("certified_by"));
            clock.advance(Duration.ofDays(2));

            JsonArray reviews = issuer.admin("GET", "/admin/reviews", null).json().getJsonArray("reviews");
            assertEquals("forgotten", reviews.getJsonObject(0).getString("agent_id"));
            assertTrue(reviews.getJsonObject(0).getBoolean("overdue"));
            assertFalse(reviews.getJsonObject(1).getBoolean("overdue"));

            assertEquals(List.of("forgotten"), issuer.server.lifecycle().reviews().enforce(clock.instant()));
            MonitoringPoll.eventually(() -> "killed".equals(agentJson(issuer, "forgotten").getString("status")));
            assertEquals("active", agentJson(issuer, "reviewed").getString("status"));
            JsonObject recert = issuer.admin("GET", "/admin/audit?type=agent.recertified", null).json()
                    .getJsonArray("events").getJsonObject(0).getJsonObject("fields");
            assertEquals("security@example", recert.getString("certified_by"));
            assertEquals("reviewed", recert.getString("agent"));
        }
    }

    @Test
    void unusedPrivilegeReportNamesTheExactNarrowing() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent wide = issuer.register(agent("wide").scopes("read", "write", "admin")
                    .audiences("https://a.example", "https://b.example").delegates("d1", "d2"));
            TestAgent d1 = issuer.register(agent("d1"));
            issuer.register(agent("d2"));
            String token = issuer.tokenFor(wide, "scope", "read", "audience", "https://a.example");
            issuer.exchanged(d1, token);

            TestIssuer.Response r = issuer.admin("GET", "/admin/agents/wide/unused-privileges?days=30", null);
            assertEquals(200, r.status(), r.body());
            JsonObject unused = r.json().getJsonObject("unused");
            assertEquals(new JsonArray().add("write").add("admin"), unused.getJsonArray("scopes"));
            assertEquals(new JsonArray().add("https://b.example"), unused.getJsonArray("audiences"));
            assertEquals(new JsonArray().add("d2"), unused.getJsonArray("delegates"));
            JsonObject narrowing = r.json().getJsonObject("narrowing");
            assertEquals(new JsonObject().put("scopes", new JsonArray().add("read"))
                    .put("audiences", new JsonArray().add("https://a.example"))
                    .put("delegates", new JsonArray().add("d1")), narrowing);

            // the narrowing applies as it is
            TestIssuer.Response patched = issuer.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(issuer.url + "/admin/agents/wide"))
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .header("Content-Type", "application/merge-patch+json")
                    .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(narrowing.encode())).build());
            assertEquals(200, patched.status(), patched.body());
            assertEquals(new JsonArray().add("read"), patched.json().getJsonArray("scopes"));
        }
    }

    @Test
    void staleAgentsAreReportedAndSuspendedOnRequest() {
        // registered 31 days ago on the issuer's clock; the token is taken now (client assertions and their
        // single-use marks follow the real time, so the clock is moved back first, not forward after)
        MutableClock clock = new MutableClock();
        clock.advance(Duration.ofDays(-31));
        try (TestIssuer issuer = TestIssuer.start(dir, clock, 0, Map.of())) {
            issuer.register(agent("idle"));
            TestAgent busy = issuer.register(agent("busy"));
            clock.advance(Duration.ofDays(31));
            issuer.tokenFor(busy);
            JsonObject report = issuer.admin("GET", "/admin/stale-agents?days=30", null).json();
            assertEquals(1, report.getJsonArray("stale").size(), report.encode());
            assertEquals("idle", report.getJsonArray("stale").getJsonObject(0).getString("agent_id"));
            TestIssuer.Response r = issuer.admin("POST", "/admin/stale-agents/suspend?days=30", null);
            assertEquals(200, r.status(), r.body());
            assertEquals(new JsonArray().add("idle"), r.json().getJsonArray("suspended"));
            assertEquals("killed", agentJson(issuer, "idle").getString("status"));
            assertEquals("active", agentJson(issuer, "busy").getString("status"));
            TestIssuer.assertError(issuer.admin("GET", "/admin/stale-agents?days=0", null), 400, "invalid_request",
                    "days must be an integer between 1 and 3650");
        }
    }

    @Test
    void keyOlderThanThePolicyIsReportedUntilTheKeyIsRotated() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = TestIssuer.start(dir, clock, 0, Map.of("ISSUER_KEY_MAX_AGE_DAYS", "30"))) {
            TestAgent old = issuer.register(agent("old"));
            clock.advance(Duration.ofDays(31));
            JsonObject agentAges = issuer.admin("GET", "/admin/key-ages", null).json().getJsonArray("agents")
                    .getJsonObject(0);
            assertTrue(agentAges.getBoolean("rotation_overdue"), agentAges.encode());
            assertEquals(31, agentAges.getJsonArray("keys").getJsonObject(0).getLong("age_days"));

            // rollover: the new key is registered next to the old one, then the old one removed
            com.nimbusds.jose.jwk.ECKey next = TestAgent.newKey();
            JsonObject jwks = new JsonObject().put("keys", new JsonArray().add(
                    new JsonObject(next.toPublicJWK().toJSONObject())));
            TestIssuer.Response patched = issuer.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(issuer.url + "/admin/agents/old"))
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .header("Content-Type", "application/merge-patch+json")
                    .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(
                            new JsonObject().put("jwks", jwks).encode())).build());
            assertEquals(200, patched.status(), patched.body());
            JsonObject after = issuer.admin("GET", "/admin/key-ages", null).json().getJsonArray("agents")
                    .getJsonObject(0);
            assertFalse(after.getBoolean("rotation_overdue"), after.encode());
            assertEquals(old.id, after.getString("agent_id"));
        }
    }
}
