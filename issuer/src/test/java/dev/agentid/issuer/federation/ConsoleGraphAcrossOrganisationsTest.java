package dev.agentid.issuer.federation;

import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console's delegation graph at organisation B of a chain that started at organisation A: each agent is a
 * node of its own organisation (the actor's {@code iss}), A's agent a partner node, the edges from delegator to
 * delegate; and B's cluster view lists A as a partner.
 */
class ConsoleGraphAcrossOrganisationsTest {

    @TempDir
    static Path dir;
    static Organisation a;
    static Organisation b;
    static TestAgent a1;
    static TestAgent b1;
    static TestAgent b2;

    @BeforeAll
    static void start() {
        a = Organisation.start("a", dir);
        b = Organisation.start("b", dir);
        a1 = a.issuer.register(agent("ga1"));
        b1 = b.issuer.register(agent("gb1").delegates("gb2"));
        b2 = b.issuer.register(agent("gb2"));
        a.trust(b, Map.of(), "read", "write").outbound("ga1").apply();
        b.trust(a, Map.of("ga1", List.of("gb1")), "read", "write").apply();
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    static String session(TestIssuer issuer) {
        URI uri = URI.create(issuer.url);
        TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                        + "/console/login/break-glass")).header("Content-Type", "application/json")
                .header("Origin", uri.getScheme() + "://" + uri.getRawAuthority())
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("admin_token", TestIssuer.ADMIN_TOKEN)
                        .encode())).build());
        assertEquals(200, r.status(), r.body());
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("agentid_console="))
                .map(c -> c.split(";", 2)[0]).findFirst().orElseThrow();
    }

    static JsonObject get(TestIssuer issuer, String path, String cookie) {
        TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + path))
                .header("Cookie", cookie).GET().build());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    @Test
    void aChainFromAPartnerIsDrawnWithEachAgentInItsOrganisation() {
        String atB = b.redeemed(b1, a.grantFor(b, a1, a.issuer.tokenFor(a1)));
        b.issuer.exchanged(b2, atB);
        String cookie = session(b.issuer);
        String partnerNode = "ga1 @ " + a.url();
        JsonObject graph = awaitGraph(cookie, partnerNode);
        JsonObject ga1 = node(graph, partnerNode);
        assertEquals(a.url(), ga1.getString("org"));
        assertEquals(false, ga1.getBoolean("local"));
        assertEquals("partner", ga1.getString("status"));
        assertEquals(b.url(), node(graph, "gb1").getString("org"));
        assertEquals("active", node(graph, "gb2").getString("status"));
        assertTrue(edge(graph, partnerNode, "gb1"), graph.getJsonArray("edges").encode());
        assertTrue(edge(graph, "gb1", "gb2"), graph.getJsonArray("edges").encode());
        JsonObject three = graph.getJsonArray("chains").stream().map(c -> (JsonObject) c)
                .filter(c -> c.getJsonArray("chain").size() == 3).findFirst().orElseThrow();
        assertEquals(new JsonArray().add("gb2").add("gb1").add(partnerNode), three.getJsonArray("chain"),
                "current actor first, as in act");
        assertEquals("live", three.getString("status"));

        JsonObject cluster = get(b.issuer, "/console/api/cluster", cookie);
        assertEquals(a.url(), cluster.getJsonArray("partners").getJsonObject(0).getString("issuer"));
    }

    static JsonObject awaitGraph(String cookie, String node) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            JsonObject graph = get(b.issuer, "/console/api/graph", cookie);
            if (node(graph, node) != null && graph.getJsonArray("chains").size() >= 2) {
                return graph;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no node " + node + " in " + graph.encode());
            }
            Thread.onSpinWait();
        }
    }

    static JsonObject node(JsonObject graph, String id) {
        return graph.getJsonArray("nodes").stream().map(n -> (JsonObject) n).filter(n -> id.equals(n.getString("id")))
                .findFirst().orElse(null);
    }

    static boolean edge(JsonObject graph, String from, String to) {
        return graph.getJsonArray("edges").stream().map(e -> (JsonObject) e)
                .anyMatch(e -> from.equals(e.getString("from")) && to.equals(e.getString("to")));
    }
}
