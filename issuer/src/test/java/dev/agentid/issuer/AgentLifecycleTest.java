package dev.agentid.issuer;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent lifecycle of the admin API through the real endpoints: {@code PATCH /admin/agents/{id}} (RFC 7396 merge
 * patch) and {@code DELETE /admin/agents/{id}} (deregistration), and their refusals.
 */
class AgentLifecycleTest {

    private static final String MERGE_PATCH = "application/merge-patch+json";
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    static Path dir;
    static TestIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    static String id(String name) {
        return name + "-" + SEQ.incrementAndGet();
    }

    static TestIssuer.Response patch(String agentId, String contentType, String body) {
        return issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents/" + agentId))
                .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN).header("Content-Type", contentType)
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static TestIssuer.Response patch(String agentId, JsonObject body) {
        return patch(agentId, MERGE_PATCH, body.encode());
    }

    static TestIssuer.Response delete(String agentId) {
        return issuer.admin("DELETE", "/admin/agents/" + agentId, null);
    }

    static JsonObject get(String agentId) {
        TestIssuer.Response r = issuer.admin("GET", "/admin/agents/" + agentId, null);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static void assertBadField(TestIssuer.Response r, String field) {
        assertEquals(400, r.status(), r.body());
        assertEquals("invalid_request", r.json().getString("error"), r.body());
        assertEquals(field, r.json().getString("field"), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
    }

    // ---- PATCH ----

    @Test
    void narrowingScopesTakesEffectForNewTokensAtOnceWhileIssuedTokensKeepTheirClaims() {
        TestAgent a = issuer.register(agent(id("narrow")).scopes("read", "write"));
        String before = issuer.tokenFor(a, "scope", "write");
        TestIssuer.Response r = patch(a.id, new JsonObject().put("scopes", new JsonArray().add("read")));
        assertEquals(200, r.status(), r.body());
        assertEquals(new JsonArray().add("read"), r.json().getJsonArray("scopes"));
        assertEquals(new JsonArray().add("read"), get(a.id).getJsonArray("scopes"));
        TestIssuer.assertError(issuer.clientCredentials(a, "scope", "write"), 400, "invalid_scope",
                "scope 'write' is not registered for agent '" + a.id + "'");
        assertEquals(200, issuer.clientCredentials(a, "scope", "read").status());
        JsonObject live = issuer.introspect(before);
        assertTrue(live.getBoolean("active"), live.encode());
        assertEquals("write", live.getString("scope"));
    }

    @Test
    void patchChangesOnlyTheFieldsItNamesAndKeepsTheLifecycle() {
        TestAgent a = issuer.register(agent(id("keep")).audiences("https://a.example", "https://b.example"));
        JsonObject original = get(a.id);
        TestIssuer.Response r = patch(a.id, "application/json; charset=utf-8",
                new JsonObject().put("token_ttl_seconds", 120).put("owner", "team:payments").encode());
        assertEquals(200, r.status(), r.body());
        JsonObject changed = r.json();
        assertEquals(120, changed.getInteger("token_ttl_seconds"));
        assertEquals("team:payments", changed.getString("owner"));
        for (String unchanged : new String[] {"scopes", "audiences", "delegates", "jwks", "max_delegation_depth",
                "status", "created_at", "status_changed_at"}) {
            assertEquals(original.getValue(unchanged), changed.getValue(unchanged), unchanged);
        }
        TestIssuer.Response token = issuer.clientCredentials(a, "audience", "https://a.example");
        assertEquals(200, token.status(), token.body());
        assertEquals(120, token.json().getInteger("expires_in"));
        // narrowing audiences: the removed one is refused for new tokens
        assertEquals(200, patch(a.id, new JsonObject().put("audiences", new JsonArray().add("https://a.example")))
                .status());
        TestIssuer.assertError(issuer.clientCredentials(a, "audience", "https://b.example"), 400, "invalid_target",
                "audience 'https://b.example' is not allowed for agent '" + a.id + "'");
    }

    @Test
    void nullRemovesAnOptionalFieldAndRestoresItsDefault() {
        TestAgent a = issuer.register(agent(id("defaults")).delegates("someone").ttl(60));
        JsonObject patchBody = new JsonObject().putNull("delegates").putNull("token_ttl_seconds");
        TestIssuer.Response r = patch(a.id, patchBody);
        assertEquals(200, r.status(), r.body());
        assertEquals(new JsonArray(), r.json().getJsonArray("delegates"));
        assertEquals(300, r.json().getInteger("token_ttl_seconds"));
    }

    @Test
    void rekeyingRefusesTheOldKeyAndAcceptsTheNewOne() {
        TestAgent a = issuer.register(agent(id("rekey")));
        ECKey fresh = TestAgent.newKey();
        TestIssuer.Response r = patch(a.id, new JsonObject().put("jwks", new JsonObject().put("keys",
                new JsonArray().add(new JsonObject(fresh.toPublicJWK().toJSONObject())))));
        assertEquals(200, r.status(), r.body());
        TestIssuer.assertError(issuer.clientCredentials(a), 401, "invalid_client",
                "the client assertion kid names no registered key of client '" + a.id + "'");
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(a.id).subject(a.id)
                .audience(issuer.url).expirationTime(Date.from(Instant.now().plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString()).build(), fresh));
        TestIssuer.Response token = issuer.token(params);
        assertEquals(200, token.status(), token.body());
    }

    @Test
    void patchOfAnUnknownAgentIsNotFound() {
        TestIssuer.Response r = patch("nobody-" + SEQ.incrementAndGet(), new JsonObject().put("owner", "x"));
        assertEquals(404, r.status(), r.body());
        assertEquals("not_found", r.json().getString("error"));
    }

    @Test
    void badPatchesAreRefusedWithTheFieldAtFault() {
        TestAgent a = issuer.register(agent(id("bad")));
        assertBadField(patch(a.id, new JsonObject().put("status", "active")), "status");
        assertBadField(patch(a.id, new JsonObject().put("scopes", new JsonArray())), "scopes");
        assertBadField(patch(a.id, new JsonObject().putNull("jwks")), "jwks");
        assertBadField(patch(a.id, new JsonObject().put("token_ttl_seconds", 0)), "token_ttl_seconds");
        assertBadField(patch(a.id, new JsonObject().put("delegates", new JsonArray().add(a.id))), "delegates");
        assertBadField(patch(a.id, new JsonObject().put("agent_id", "someone-else")), "agent_id");
        TestIssuer.assertError(patch(a.id, MERGE_PATCH, "{\"scopes\": ["), 400, "invalid_request",
                "the body is not valid JSON");
        TestIssuer.assertError(patch(a.id, MERGE_PATCH, "[]"), 400, "invalid_request",
                "the body must be a JSON object");
        TestIssuer.assertError(patch(a.id, "text/plain", "{}"), 415, "invalid_request",
                "Content-Type must be application/merge-patch+json or application/json");
        // nothing of the refused patches was stored
        assertEquals(agent(a.id).build().registration.getJsonArray("scopes"), get(a.id).getJsonArray("scopes"));
    }

    // ---- DELETE ----

    @Test
    void deregisteringKillsEveryTokenOfTheAgentAndKeepsItInTheInventory() {
        TestAgent a = issuer.register(agent(id("gone")).delegates("never-mind"));
        String token = issuer.tokenFor(a);
        assertTrue(issuer.introspect(token).getBoolean("active"));
        TestIssuer.Response r = delete(a.id);
        assertEquals(200, r.status(), r.body());
        assertEquals("deregistered", r.json().getString("status"));
        assertFalse(issuer.introspect(token).getBoolean("active"));
        TestIssuer.assertError(issuer.clientCredentials(a), 401, "invalid_client",
                "agent '" + a.id + "' is disabled");
        assertEquals("deregistered", get(a.id).getString("status"));
        JsonArray inventory = issuer.admin("GET", "/admin/agents", null).json().getJsonArray("agents");
        assertTrue(inventory.stream().map(JsonObject.class::cast).anyMatch(o -> o.getString("agent_id")
                .equals(a.id) && o.getString("status").equals("deregistered")), inventory.encode());
    }

    @Test
    void deregisteringTwiceIsIdempotent() {
        TestAgent a = issuer.register(agent(id("twice")));
        JsonObject first = delete(a.id).json();
        TestIssuer.Response again = delete(a.id);
        assertEquals(200, again.status(), again.body());
        assertEquals(first, again.json());
    }

    @Test
    void aDeregisteredAgentCannotBeChangedRestoredKilledOrRegisteredAgain() {
        TestAgent a = issuer.register(agent(id("final")));
        issuer.tokenFor(a);
        assertEquals(200, issuer.admin("POST", "/admin/agents/" + a.id + "/kill", null).status());
        assertEquals(200, delete(a.id).status());
        String conflict = "agent '" + a.id + "' is deregistered";
        TestIssuer.assertError(patch(a.id, new JsonObject().put("owner", "x")), 409, "agent_deregistered", conflict);
        TestIssuer.assertError(issuer.admin("POST", "/admin/agents/" + a.id + "/restore", null), 409,
                "agent_deregistered", conflict);
        TestIssuer.assertError(issuer.admin("POST", "/admin/agents/" + a.id + "/kill", null), 409,
                "agent_deregistered", conflict);
        TestIssuer.assertError(issuer.admin("POST", "/admin/agents", agent(a.id).build().registration), 409,
                "agent_exists", "agent '" + a.id + "' is already registered");
        assertEquals("deregistered", get(a.id).getString("status"));
        assertEquals(401, issuer.clientCredentials(a).status());
    }

    @Test
    void deregisteringAnUnknownAgentIsNotFound() {
        TestIssuer.Response r = delete("nobody-" + SEQ.incrementAndGet());
        assertEquals(404, r.status(), r.body());
        assertEquals("not_found", r.json().getString("error"));
    }

    @Test
    void deregisteringADelegateKillsTheChainsItActsIn() {
        String bId = id("b");
        TestAgent a = issuer.register(agent(id("a")).delegates(bId));
        TestAgent b = issuer.register(agent(bId));
        String root = issuer.tokenFor(a);
        String viaB = issuer.exchanged(b, root);
        issuer.tokenFor(b);
        assertEquals(2L, liveTokens(a.id));
        assertEquals(2L, liveTokens(b.id));
        assertEquals(200, delete(b.id).status());
        assertTrue(issuer.introspect(root).getBoolean("active"));
        assertFalse(issuer.introspect(viaB).getBoolean("active"));
        // live_tokens is exact: b's own token and the chain through b are dead, a's root lives
        assertEquals(1L, liveTokens(a.id));
        assertEquals(0L, liveTokens(b.id));
    }

    @Test
    void patchingKeepsLiveTokensExact() {
        TestAgent a = issuer.register(agent(id("count")).scopes("read", "write"));
        issuer.tokenFor(a, "scope", "write");
        issuer.tokenFor(a, "scope", "read");
        assertEquals(200, patch(a.id, new JsonObject().put("scopes", new JsonArray().add("read"))).status());
        assertEquals(2L, liveTokens(a.id), "narrowing changes new tokens only; the issued ones stay live");
        issuer.tokenFor(a, "scope", "read");
        assertEquals(3L, liveTokens(a.id));
    }

    /** The inventory's live_tokens, once the status-list worker has taken in everything so far. */
    private static long liveTokens(String id) {
        issuer.server.statusLists().refresh();
        return get(id).getLong("live_tokens");
    }

    @Test
    void lifecycleRoutesNeedTheAdminToken() {
        TestIssuer.Response del = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents/x"))
                .DELETE().build());
        TestIssuer.assertError(del, 401, "invalid_token", "admin bearer token required");
        TestIssuer.Response p = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents/x"))
                .header("Content-Type", MERGE_PATCH).method("PATCH", HttpRequest.BodyPublishers.ofString("{}"))
                .build());
        TestIssuer.assertError(p, 401, "invalid_token", "admin bearer token required");
    }
}
