package dev.agentid.interop.cluster;

import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static dev.agentid.interop.cluster.ClusterAssertions.assertError;
import static dev.agentid.interop.cluster.ClusterAssertions.assertExchangeRefusedAsRevoked;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three issuer JVMs in one cluster behave as one issuer: what is written through one node (a registration, a token,
 * a revocation, a kill) holds on every node as soon as the write is acknowledged, every node signs with the same keys,
 * and every node's status list shows a revocation within the list's {@code ttl}.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterConsistencyIT {

    static Cluster cluster;
    static TestAgents n1;
    static TestAgents n2;
    static TestAgents n3;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("consistency", 3);
        n1 = cluster.agents(1);
        n2 = cluster.agents(2);
        n3 = cluster.agents(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anAgentRegisteredOnOneNodeAuthenticatesOnEveryNode() {
        Agent onNode1 = register(n1, "con-reg", "user:alice");
        for (TestAgents node : List.of(n1, n2, n3)) {
            assertEquals("user:alice", node.getAgent("con-reg").expect(200).json().get("owner"), "registry at " + node.issuer());
            String token = onNode1.at(node).token("files:read", API);
            for (TestAgents other : List.of(n1, n2, n3)) {
                assertTrue(other.isActive(token), "minted at " + node.issuer() + ", active at " + other.issuer());
            }
        }
    }

    @Test
    void everyNodePublishesTheSameKeysAndSignsWithThem() throws ParseException {
        Http http = new Http();
        JWKSet first = JWKSet.parse(http.get(cluster.node(1).jwksUri(), null).expect(200).body());
        assertFalse(first.getKeys().isEmpty(), "node 1 publishes keys");
        Agent a = register(n1, "con-keys", "user:bob");
        Set<String> kids = new HashSet<>();
        for (int n = 1; n <= 3; n++) {
            JWKSet published = JWKSet.parse(http.get(cluster.node(n).jwksUri(), null).expect(200).body());
            assertEquals(first.toJSONObject(true), published.toJSONObject(true), "node " + n + "'s JWKS");
            kids.add(com.nimbusds.jwt.SignedJWT.parse(a.at(cluster.agents(n)).token("files:read", API))
                    .getHeader().getKeyID());
        }
        assertEquals(1, kids.size(), "every node signs with the same current key: " + kids);
        assertTrue(first.getKeyByKeyId(kids.iterator().next()) != null, "the signing key is published");
    }

    /**
     * A captured client assertion replayed at every node at once, twice at each, so that the nodes check it with the
     * mark's owners at the same moment: it buys one token in the whole cluster, and every other use is refused as a
     * replay.
     */
    @Test
    void aClientAssertionReplayedAtEveryNodeAtOnceBuysOneToken() throws Exception {
        Agent a = register(n1, "con-replay", "user:frank");
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("scope", "files:read");
        form.put("audience", API);
        form.put("client_assertion_type", TestAgents.JWT_BEARER);
        form.put("client_assertion", a.clientAssertion());
        ExecutorService senders = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<HttpResult>> sent = new ArrayList<>();
            for (int copy = 0; copy < 2; copy++) {
                for (int n = 1; n <= 3; n++) {
                    URI endpoint = cluster.node(n).tokenEndpoint();
                    sent.add(senders.submit(() -> {
                        start.await();
                        return new Http().postForm(endpoint, form, null);
                    }));
                }
            }
            start.countDown();
            int tokens = 0;
            for (Future<HttpResult> f : sent) {
                HttpResult result = f.get(30, TimeUnit.SECONDS);
                if (result.status() == 200) {
                    tokens++;
                } else {
                    assertError(result, 401, "invalid_client", "client assertion has already been used");
                }
            }
            assertEquals(1, tokens, "tokens bought with one client assertion");
        } finally {
            senders.shutdownNow();
        }
    }

    @Test
    void aTokenMintedOnOneNodeIsExchangedOnAnother() {
        Agent a = register(n1, "con-xa", "user:carol", "con-xb");
        Agent b = register(n1, "con-xb", "user:carol-b", "con-xc");
        Agent c = register(n1, "con-xc", "user:carol-c");
        String fromNode1 = a.token(SCOPES, API);
        String fromNode2 = b.at(n2).exchanged(fromNode1, null, null);
        String fromNode3 = c.at(n3).exchanged(fromNode2, "files:read", null);
        Object act = n1.adminIntrospect(fromNode3).expect(200).json().get("act");
        assertTrue(String.valueOf(act).contains("con-xc") && String.valueOf(act).contains("con-xb"),
                "the chain built on three nodes: " + act);
    }

    @Test
    void aRevocationAcknowledgedByOneNodeHoldsOnEveryNodeAtOnce() {
        Agent a = register(n1, "con-ra", "user:dave", "con-rb");
        Agent b = register(n1, "con-rb", "user:dave-b");
        String root = a.token(SCOPES, API);
        String child = b.at(n2).exchanged(root, null, null);
        a.at(n2).revoke(root).expect(200);
        // no polling: REPL_SYNC acknowledges a write once every member has it
        for (TestAgents node : List.of(n1, n2, n3)) {
            assertFalse(node.isActive(root), "revoked root at " + node.issuer());
            assertFalse(node.isActive(child), "child of the revoked root at " + node.issuer());
        }
        assertExchangeRefusedAsRevoked(b.at(n3).exchange(root, null, null), false);
        assertExchangeRefusedAsRevoked(b.at(n1).exchange(root, null, null), false);
    }

    @Test
    void aKillOnOneNodeDisablesTheAgentOnEveryNode() {
        Agent a = register(n1, "con-ka", "user:erin", "con-kb");
        Agent b = register(n1, "con-kb", "user:erin-b");
        String root = a.token(SCOPES, API);
        String child = b.at(n2).exchanged(root, null, null);
        n3.kill("con-kb").expect(200);
        for (TestAgents node : List.of(n1, n2, n3)) {
            assertTrue(node.isActive(root), "the root does not contain the killed agent, at " + node.issuer());
            assertFalse(node.isActive(child), "the killed agent's token at " + node.issuer());
            assertEquals("killed", node.getAgent("con-kb").expect(200).json().get("status"));
            assertError(b.at(node).clientCredentials("files:read", null), 401, "invalid_client",
                    "agent 'con-kb' is disabled");
        }
    }

    @Test
    void everyNodesStatusListShowsARevocationWithinTheListsTtl() {
        Agent a = register(n1, "con-sa", "user:frank");
        String revoked = a.token(SCOPES, API);
        String kept = a.at(n2).token(SCOPES, API);
        StatusLists.Reference revokedRef = StatusLists.reference(revoked);
        StatusLists.Reference keptRef = StatusLists.reference(kept);
        assertTrue(revokedRef.uri().startsWith(Cluster.ISSUER_URL + "/"), "the list lives at the issuer: " + revokedRef);
        assertFalse(revokedRef.equals(keptRef), "two tokens, two indices");
        for (int n = 1; n <= 3; n++) {
            assertEquals(StatusList.VALID, StatusLists.fetch(cluster.node(n), revokedRef.uri()).status(revokedRef.idx()),
                    "not revoked yet, at node " + n);
        }
        n3.adminRevoke(revoked).expect(200);
        long ttl = StatusLists.fetch(cluster.node(1), revokedRef.uri()).ttlSeconds();
        assertTrue(ttl > 0 && ttl <= 300, "status list ttl " + ttl);
        Duration bound = Duration.ofSeconds(ttl + 5);
        for (int n = 1; n <= 3; n++) {
            int node = n;
            Interop.await("the revoked bit on node " + n + "'s status list", bound, Duration.ofMillis(100),
                    () -> StatusLists.fetch(cluster.node(node), revokedRef.uri()).status(revokedRef.idx())
                            == StatusList.INVALID ? Boolean.TRUE : null);
            assertEquals(StatusList.VALID, StatusLists.fetch(cluster.node(n), keptRef.uri()).status(keptRef.idx()),
                    "the other token's bit, at node " + n);
        }
    }

    @Test
    void statusListIndicesAreUniqueAcrossNodes() {
        Agent a = register(n1, "con-ia", "user:gina");
        Set<StatusLists.Reference> seen = new HashSet<>();
        for (int round = 0; round < 10; round++) {
            for (int n = 1; n <= 3; n++) {
                StatusLists.Reference ref = StatusLists.reference(a.at(cluster.agents(n)).token("files:read", API));
                assertTrue(seen.add(ref), "index " + ref + " handed out twice");
            }
        }
        assertNotEquals(0, seen.size());
    }
}
