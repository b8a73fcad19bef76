package dev.agentid.issuer;

import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Registration validation, conflicts and admin authentication. */
class AdminApiTest {

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

    static void assertFieldError(JsonObject registration, String field) {
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", registration);
        assertEquals(400, r.status(), r.body());
        assertEquals("invalid_request", r.json().getString("error"));
        assertEquals(field, r.json().getString("field"), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
    }

    @Test
    void registrationReturnsTheStoredRecord() {
        TestAgent a = agent("admin-ok").build();
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
        assertEquals(201, r.status(), r.body());
        JsonObject record = r.json();
        assertEquals("admin-ok", record.getString("agent_id"));
        assertEquals("user:alice", record.getString("owner"));
        assertEquals("active", record.getString("status"));
        assertEquals(a.registration.getJsonArray("scopes"), record.getJsonArray("scopes"));
        assertEquals(a.registration.getJsonObject("jwks"), record.getJsonObject("jwks"));
        assertEquals(600, record.getLong("token_ttl_seconds"));
    }

    @Test
    void duplicateAgentIdIsAConflict() {
        issuer.register(agent("admin-dup"));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", agent("admin-dup").build().registration);
        TestIssuer.assertError(r, 409, "agent_exists", "agent 'admin-dup' is already registered");
    }

    @Test
    void withoutTheAdminTokenTheCallIsUnauthorized() {
        TestIssuer.Response none = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents"))
                .GET().build());
        TestIssuer.assertError(none, 401, "invalid_token", "admin bearer token required");
        TestIssuer.Response wrong = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents"))
                .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN + "x").GET().build());
        assertEquals(401, wrong.status());
        TestIssuer.Response kill = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                + "/admin/agents/x/kill")).POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(401, kill.status());
    }

    @Test
    void privateKeyMaterialIsRefused() {
        TestAgent a = agent("admin-priv").build();
        a.registration.put("jwks", new JsonObject().put("keys", new JsonArray().add(new JsonObject(a.key.toJSONObject()))));
        assertFieldError(a.registration, "jwks");
    }

    @Test
    void weakRsaKeyIsRefused() throws Exception {
        RSAKey weak = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("r").generate();
        JsonObject jwk = new JsonObject(weak.toPublicJWK().toJSONObject());
        // a 1024-bit modulus: cut the 2048-bit one in half
        String n = jwk.getString("n");
        jwk.put("n", n.substring(0, n.length() / 2));
        TestAgent a = agent("admin-weak").build();
        a.registration.put("jwks", new JsonObject().put("keys", new JsonArray().add(jwk)));
        assertFieldError(a.registration, "jwks");
    }

    @Test
    void rsaKeysAreRefusedBecauseAssertionsAreEs256() throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("r").generate();
        TestAgent a = agent("admin-rsa").build();
        a.registration.put("jwks", new JsonObject().put("keys", new JsonArray().add(
                new JsonObject(rsa.toPublicJWK().toJSONObject()))));
        assertFieldError(a.registration, "jwks");
    }

    @Test
    void duplicateKidIsRefused() {
        TestAgent a = agent("admin-kid").build();
        JsonObject first = new JsonObject(a.key.toPublicJWK().toJSONObject());
        JsonObject second = new JsonObject(TestAgent.newKey().toPublicJWK().toJSONObject()).put("kid", first.getString("kid"));
        a.registration.put("jwks", new JsonObject().put("keys", new JsonArray().add(first).add(second)));
        assertFieldError(a.registration, "jwks");
    }

    @Test
    void offCurvePointIsRefused() {
        TestAgent a = agent("admin-curve").build();
        JsonObject jwk = new JsonObject(a.key.toPublicJWK().toJSONObject());
        jwk.put("y", jwk.getString("x"));
        a.registration.put("jwks", new JsonObject().put("keys", new JsonArray().add(jwk)));
        assertFieldError(a.registration, "jwks");
    }

    @Test
    void eachBadFieldIsNamed() {
        assertFieldError(agent("x").build().registration.put("agent_id", "has space"), "agent_id");
        assertFieldError(agent("x").build().registration.put("agent_id", 7), "agent_id");
        assertFieldError(agent("x").build().registration.put("owner", ""), "owner");
        assertFieldError(agent("x").build().registration.put("scopes", new JsonArray()), "scopes");
        assertFieldError(agent("x").build().registration.put("scopes", new JsonArray().add("a b")), "scopes");
        assertFieldError(agent("x").build().registration.put("audiences", "https://api.example"), "audiences");
        assertFieldError(agent("x").build().registration.put("delegates", new JsonArray().add("x")), "delegates");
        assertFieldError(agent("x").build().registration.put("max_delegation_depth", 0), "max_delegation_depth");
        assertFieldError(agent("x").build().registration.put("max_delegation_depth", 99), "max_delegation_depth");
        assertFieldError(agent("x").build().registration.put("token_ttl_seconds", 1_000_000), "token_ttl_seconds");
        assertFieldError(agent("x").build().registration.put("token_ttl_seconds", "60"), "token_ttl_seconds");
        assertFieldError(agent("x").build().registration.put("jwks", new JsonObject().put("keys", new JsonArray())),
                "jwks");
        assertFieldError(agent("x").build().registration.put("jwks", "not an object"), "jwks");
        assertFieldError(agent("x").build().registration.put("surprise", true), "surprise");
        assertEquals(404, issuer.admin("GET", "/admin/agents/x", null).status(), "nothing was stored");
    }

    @Test
    void malformedJsonAndWrongContentTypeAreRefused() {
        TestIssuer.Response notJson = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents"))
                .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent_id\": ")).build());
        TestIssuer.assertError(notJson, 400, "invalid_request", "the body is not valid JSON");
        TestIssuer.Response array = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents"))
                .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[]")).build());
        TestIssuer.assertError(array, 400, "invalid_request", "the body must be a JSON object");
        TestIssuer.Response form = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents"))
                .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("agent_id=x")).build());
        TestIssuer.assertError(form, 400, "invalid_request", "Content-Type must be application/json");
    }

    @Test
    void unknownAgentsAreNotFound() {
        TestIssuer.assertError(issuer.admin("GET", "/admin/agents/nobody", null), 404, "not_found",
                "agent 'nobody' is not registered");
        TestIssuer.assertError(issuer.admin("POST", "/admin/agents/nobody/kill", null), 404, "not_found",
                "agent 'nobody' is not registered");
    }

    @Test
    void inventoryListsEveryAgentWithOwnerAndStatus() {
        issuer.register(agent("inv-1").owner("team:payments"));
        issuer.register(agent("inv-2"));
        issuer.admin("POST", "/admin/agents/inv-2/kill", null);
        JsonArray agents = issuer.admin("GET", "/admin/agents", null).json().getJsonArray("agents");
        JsonObject one = null, two = null;
        for (int i = 0; i < agents.size(); i++) {
            JsonObject agent = agents.getJsonObject(i);
            if ("inv-1".equals(agent.getString("agent_id"))) {
                one = agent;
            } else if ("inv-2".equals(agent.getString("agent_id"))) {
                two = agent;
            }
        }
        assertEquals("team:payments", one.getString("owner"));
        assertEquals("active", one.getString("status"));
        assertEquals(0L, one.getLong("live_tokens"));
        assertEquals("killed", two.getString("status"));
        assertFalse(one.getJsonObject("jwks").getJsonArray("keys").getJsonObject(0).containsKey("d"));
    }
}
