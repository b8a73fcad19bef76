package dev.agentid.interop.cluster;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.Map;
import java.util.Set;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static dev.agentid.interop.cluster.ClusterAssertions.TEMPORARILY_UNAVAILABLE;
import static dev.agentid.interop.cluster.ClusterAssertions.assertExchangeRefusedAsRevoked;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node cut off from the others by its member list: node 3 restarts on its data directory, on a cluster port the
 * others do not list, with a list that still names three members whose other two addresses reach nobody. As docs/CLUSTER.md says, a node that cannot
 * reach a majority answers every request that needs the cluster's state with 503 {@code temporarily_unavailable}
 * (or, while it still waits at start for the members of its last topology, does not answer at all): it never
 * vouches for a token revoked elsewhere meanwhile. With its real member list it rejoins and catches up.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class IsolatedNodeIT {

    /** The public descriptions docs/CLUSTER.md gives for the 503 of a node without a majority. */
    static final Set<String> UNAVAILABLE_DESCRIPTIONS = Set.of(
            "this node cannot reach a majority of the cluster",
            "the cluster is restarting and waits for its other members");

    /** How long the isolated node is probed. */
    static final Duration ISOLATION_WINDOW = Duration.ofSeconds(8);

    static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("isolated", 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anIsolatedNodeAnswers503AndNeverAcceptsATokenRevokedElsewhere() {
        Agent a = register(cluster.agents(1), "iso-a", "user:alice", "iso-b");
        Agent b = register(cluster.agents(1), "iso-b", "user:bob");
        String revokedWhileIsolated = a.token(SCOPES, API);
        String kept = a.token(SCOPES, API);
        TestAgents n3 = cluster.agents(3);
        assertTrue(n3.isActive(revokedWhileIsolated), "active on node 3 before the isolation");

        cluster.stop(3);
        // a new cluster port the others do not know, and a list whose other two addresses reach nobody: node 3
        // cannot find nodes 1 and 2, and they cannot find it (JGroups discovery works both ways, so a member list
        // alone does not isolate a node that the others still list)
        String self = "127.0.0.1:" + Cluster.freeClusterPort();
        String cutOff = self + ",127.0.0.1:" + Cluster.freeClusterPort() + ",127.0.0.1:" + Cluster.freeClusterPort();
        IssuerProcess isolated = cluster.startWithoutWaiting(3,
                launcher -> launcher.env("ISSUER_CLUSTER_BIND", self).env("ISSUER_CLUSTER_MEMBERS", cutOff));
        // the majority goes on: the revocation is acknowledged by node 1
        a.at(cluster.agents(1)).revoke(revokedWhileIsolated).expect(200);
        assertFalse(cluster.agents(2).isActive(revokedWhileIsolated), "node 2 has the revocation");

        // node 3 on its HTTP port, for a while: no answer at all (not serving yet) or 503, never its stale state
        Map<String, Supplier<HttpResult>> probes = new LinkedHashMap<>();
        probes.put("introspection of the token revoked meanwhile", () -> n3.adminIntrospect(revokedWhileIsolated));
        probes.put("introspection of a live token", () -> n3.adminIntrospect(kept));
        probes.put("exchange of the token revoked meanwhile", () -> b.at(n3).exchange(revokedWhileIsolated, null, null));
        probes.put("client_credentials", () -> a.at(n3).clientCredentials("files:read", API));
        probes.put("revocation of a live token", () -> n3.adminRevoke(kept));
        Map<String, Integer> outcomes = new TreeMap<>();
        long deadline = System.nanoTime() + ISOLATION_WINDOW.toNanos();
        while (System.nanoTime() < deadline && isolated.isAlive()) {
            probes.forEach((what, probe) -> {
                HttpResult result;
                try {
                    result = probe.get();
                } catch (UncheckedIOException notListening) {
                    outcomes.merge("no answer (not listening)", 1, Integer::sum);
                    return;
                }
                assertUnavailable(what, result);
                outcomes.merge("503 " + result.json().get("error_description"), 1, Integer::sum);
            });
            Interop.pause(Duration.ofMillis(200));
        }
        System.out.println("isolated node 3 answered: " + outcomes + (isolated.isAlive() ? ""
                : "; it exited (see its log)"));
        assertFalse(outcomes.isEmpty(), "node 3 was probed");
        isolated.stop();

        cluster.stop(3);
        cluster.start(3, launcher -> launcher);   // its real member list again
        assertFalse(n3.isActive(revokedWhileIsolated), "node 3 caught up with the revocation made while it was cut off");
        assertExchangeRefusedAsRevoked(b.at(n3).exchange(revokedWhileIsolated, null, null), false);
        assertTrue(n3.isActive(kept), "the kept token, on node 3 after it rejoined");
        for (int n : List.of(1, 2)) {
            assertTrue(cluster.agents(n).isActive(kept), "the revocation attempted on the isolated node did not happen");
        }
    }

    /** 503 temporarily_unavailable with a Retry-After, the whole body as docs/CLUSTER.md gives it. */
    static void assertUnavailable(String what, HttpResult result) {
        assertEquals(503, result.status(), what + ": an isolated node must not answer from its own stale state: "
                + result.describe());
        Map<String, Object> body = result.json();
        assertEquals(TEMPORARILY_UNAVAILABLE, body.get("error"), result.describe());
        assertTrue(UNAVAILABLE_DESCRIPTIONS.contains(body.get("error_description")), result.describe());
        assertEquals(2, body.size(), result.describe());
        assertNotNull(result.header("Retry-After"), "503 without Retry-After");
        assertEquals("no-store", result.header("Cache-Control"));
    }
}
