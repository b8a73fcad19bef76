package dev.agentid.issuer.http;

import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 10, "any authenticated agent may introspect any token": an agent sees a token only as one of its chain's
 * actors or as its audience (spec section 6.6); anyone else gets exactly {"active":false}, as for an invalid token.
 */
class IntrospectionAccessTest {

    static final JsonObject INACTIVE = new JsonObject().put("active", false);
    static final AtomicInteger SEQ = new AtomicInteger();

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

    static TestIssuer.Response introspectAs(TestAgent caller, String token) {
        return issuer.post(Routes.INTROSPECTION_PATH, "application/x-www-form-urlencoded",
                TestIssuer.form(issuer.as(caller, "token", token)));
    }

    static JsonObject answer(TestIssuer.Response r) {
        assertEquals(200, r.status(), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals("application/json", r.header("Content-Type"));
        return r.json();
    }

    @Test
    void agentCannotIntrospectForeignToken() {
        TestAgent owner = issuer.register(agent(id("owner")));
        TestAgent stranger = issuer.register(agent(id("stranger")));
        String token = issuer.tokenFor(owner);
        assertEquals(INACTIVE, answer(introspectAs(stranger, token)));
        // the token is live: the admin sees it, with its principal and chain
        assertEquals(true, issuer.introspect(token).getBoolean("active"));
    }

    @Test
    void foreignTokenLooksTheSameLiveOrRevoked() {
        TestAgent owner = issuer.register(agent(id("owner")));
        TestAgent stranger = issuer.register(agent(id("stranger")));
        String live = issuer.tokenFor(owner);
        String revoked = issuer.tokenFor(owner);
        assertEquals(200, issuer.revoke(owner, revoked).status());
        assertEquals(answer(introspectAs(stranger, "not-a-token")), answer(introspectAs(stranger, live)));
        assertEquals(answer(introspectAs(stranger, revoked)), answer(introspectAs(stranger, live)));
    }

    @Test
    void everyActorOfTheChainSeesTheToken() {
        String bId = id("b");
        TestAgent a = issuer.register(agent(id("a")).delegates(bId));
        TestAgent b = issuer.register(agent(bId));
        String delegated = issuer.exchanged(b, issuer.tokenFor(a));
        for (TestAgent actor : new TestAgent[] {a, b}) {
            JsonObject seen = answer(introspectAs(actor, delegated));
            assertEquals(true, seen.getBoolean("active"), actor.id);
            assertEquals(bId, seen.getString("client_id"));
            assertEquals(a.id, seen.getJsonObject("act").getJsonObject("act").getString("sub"));
        }
    }

    @Test
    void resourceServerNamedByTheAudienceSeesTheToken() {
        TestAgent api = issuer.register(agent(id("payments-api")));
        TestAgent apiByUri = issuer.register(agent(id("ledger-api")));
        TestAgent client = issuer.register(agent(id("client"))
                .audiences(api.id, "urn:agentid:agent:" + apiByUri.id));
        String forApi = issuer.tokenFor(client, "audience", api.id);
        String forLedger = issuer.tokenFor(client, "audience", "urn:agentid:agent:" + apiByUri.id);
        assertEquals(true, answer(introspectAs(api, forApi)).getBoolean("active"));
        assertEquals(true, answer(introspectAs(apiByUri, forLedger)).getBoolean("active"));
        // each resource server sees only the tokens addressed to it
        assertEquals(INACTIVE, answer(introspectAs(api, forLedger)));
        assertEquals(INACTIVE, answer(introspectAs(apiByUri, forApi)));
    }

    @Test
    void adminSeesEveryToken() {
        TestAgent owner = issuer.register(agent(id("owner")));
        JsonObject seen = issuer.introspect(issuer.tokenFor(owner));
        assertEquals(true, seen.getBoolean("active"));
        assertEquals(owner.id, seen.getString("client_id"));
    }
}
