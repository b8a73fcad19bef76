package dev.agentid.interop.cluster;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.text.ParseException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static dev.agentid.interop.cluster.ClusterAssertions.assertError;
import static dev.agentid.interop.cluster.ClusterAssertions.assertExchangeRefusedAsRevoked;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole cluster shut down (SIGTERM, SIGKILL after a timeout) and started again on the same data directories:
 * registry, revocations, kills, signing keys and status lists are as they were, on every node.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterRestartIT {

    static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("restart", 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void afterAFullRestartRegistryRevocationsKeysAndStatusListsAreIntact() throws ParseException {
        TestAgents n1 = cluster.agents(1);
        Agent a = register(n1, "rs-a", "user:alice", "rs-b");
        Agent b = register(cluster.agents(2), "rs-b", "user:bob", "rs-c");
        Agent c = register(cluster.agents(3), "rs-c", "user:carol");
        Agent k = register(n1, "rs-k", "user:kim", "rs-b");

        String revokedRoot = a.token(SCOPES, API);
        String revokedChild = b.at(cluster.agents(2)).exchanged(revokedRoot, null, null);
        String kept = a.at(cluster.agents(3)).token(SCOPES, API);
        String keptChild = b.at(cluster.agents(3)).exchanged(kept, null, null);
        String killedRoot = k.at(cluster.agents(2)).token(SCOPES, API);
        a.at(cluster.agents(2)).revoke(revokedRoot).expect(200);
        cluster.agents(3).kill("rs-k").expect(200);

        StatusLists.Reference revokedRef = StatusLists.reference(revokedRoot);
        StatusLists.Reference keptRef = StatusLists.reference(kept);
        StatusLists.Reference killedRef = StatusLists.reference(killedRoot);
        long ttl = StatusLists.fetch(cluster.node(1), revokedRef.uri()).ttlSeconds();
        for (int n = 1; n <= 3; n++) {
            int node = n;
            dev.agentid.interop.Interop.await("revoked and killed bits on node " + n, Duration.ofSeconds(ttl + 5),
                    Duration.ofMillis(100), () -> bit(node, revokedRef) == StatusList.INVALID
                            && bit(node, killedRef) == StatusList.INVALID ? Boolean.TRUE : null);
        }
        Http http = new Http();
        String jwksBefore = JWKSet.parse(http.get(cluster.node(1).jwksUri(), null).expect(200).body())
                .toString(true);
        String kidBefore = SignedJWT.parse(kept).getHeader().getKeyID();

        cluster.stopAll();
        cluster.startAll();

        for (int n = 1; n <= 3; n++) {
            TestAgents node = cluster.agents(n);
            String where = " on node " + n + " after the restart";
            // registry
            Map<String, String> statuses = new HashMap<>();
            for (Map<String, Object> agent : node.listAgents()) {
                statuses.put((String) agent.get("agent_id"), (String) agent.get("status"));
            }
            assertEquals(Map.of("rs-a", "active", "rs-b", "active", "rs-c", "active", "rs-k", "killed"), statuses,
                    "registry" + where);
            // revocations and kills
            assertFalse(node.isActive(revokedRoot), "revoked root" + where);
            assertFalse(node.isActive(revokedChild), "child of the revoked root" + where);
            assertFalse(node.isActive(killedRoot), "the killed agent's token" + where);
            assertTrue(node.isActive(kept), "the kept token" + where);
            assertTrue(node.isActive(keptChild), "the kept child" + where);
            assertExchangeRefusedAsRevoked(b.at(node).exchange(revokedRoot, null, null), false);
            assertError(k.at(node).clientCredentials("files:read", null), 401, "invalid_client",
                    "agent 'rs-k' is disabled");
            // keys
            assertEquals(jwksBefore, JWKSet.parse(http.get(cluster.node(n).jwksUri(), null).expect(200).body())
                    .toString(true), "JWKS" + where);
            String fresh = c.at(node).exchanged(b.at(node).exchanged(a.at(node).token(SCOPES, API), null, null),
                    "files:read", null);
            assertEquals(kidBefore, SignedJWT.parse(fresh).getHeader().getKeyID(), "signing key" + where);
            // status lists
            assertEquals(StatusList.INVALID, bit(n, revokedRef), "revoked bit" + where);
            assertEquals(StatusList.INVALID, bit(n, killedRef), "killed bit" + where);
            assertEquals(StatusList.VALID, bit(n, keptRef), "kept bit" + where);
        }
        // indices handed out after the restart do not reuse any from before it
        List<StatusLists.Reference> before = List.of(revokedRef, keptRef, killedRef,
                StatusLists.reference(revokedChild), StatusLists.reference(keptChild));
        for (int n = 1; n <= 3; n++) {
            StatusLists.Reference after = StatusLists.reference(a.at(cluster.agents(n)).token(SCOPES, API));
            assertFalse(before.contains(after), "index " + after + " reused after the restart");
        }
    }

    private static int bit(int node, StatusLists.Reference ref) {
        return StatusLists.fetch(cluster.node(node), ref.uri()).status(ref.idx());
    }
}
