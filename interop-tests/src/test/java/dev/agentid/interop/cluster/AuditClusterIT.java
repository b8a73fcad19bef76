package dev.agentid.interop.cluster;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14's lineage question across a 3-node cluster, after the tokens have expired: "which actions were taken on
 * behalf of alice since T, by which agents, through which chain?" Each node writes its own audit log; with
 * {@code ISSUER_AUDIT_PEERS} naming the others, {@code GET /admin/audit?principal=…&since=…} on any node answers
 * for the whole cluster. The last hop needed a human's approval: started on node 3, approved on node 1, redeemed on
 * node 3; the trail also says who approved it.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class AuditClusterIT {

    static Cluster cluster;
    static final int[] PORTS = new int[3];

    @BeforeAll
    static void startCluster() {
        for (int i = 0; i < PORTS.length; i++) {
            PORTS[i] = freePort();
        }
        cluster = Cluster.start("audit", 3, (n, launcher) -> launcher.port(PORTS[n - 1])
                .env("ISSUER_AUDIT_PEERS", peersOf(n)));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void whatWasDoneOnBehalfOfAliceSinceTIsAnsweredByEveryNodeForTheWholeClusterAfterTheTokensExpired()
            throws Exception {
        TestAgents n1 = cluster.agents(1);
        TestAgents n2 = cluster.agents(2);
        TestAgents n3 = cluster.agents(3);
        Agent x = n1.agent("aud-x").owner("user:alice").scopes("files:read").audiences(API).delegates("aud-y")
                .maxDelegationDepth(3).tokenTtlSeconds(6).register();
        Agent y = n1.agent("aud-y").owner("user:carol").scopes("files:read").audiences(API).delegates("aud-z")
                .maxDelegationDepth(3).tokenTtlSeconds(6).register();
        // every token z asks for needs a human's approval
        Agent z = n1.agent("aud-z").owner("user:dave").scopes("files:read").audiences(API)
                .maxDelegationDepth(3).tokenTtlSeconds(6)
                .field("approval", Map.of("audiences", List.of(API), "approvers", Map.of("owner", true),
                        "pending_seconds", 30, "interval_seconds", 1)).register();
        Agent bob = n1.agent("aud-bob").owner("user:bob").scopes("files:read").audiences(API)
                .tokenTtlSeconds(2).register();

        String before = x.at(n1).token("files:read", API);      // on behalf of alice, but before T
        // T: just after the record of that token, and the next token is asked for once the clock has passed T
        Instant since = Instant.parse((String) events(1, "jti=" + jti(before)).get(0).get("time")).plusMillis(1);
        while (!Instant.now().isAfter(since)) {
            assertTrue(Instant.now().isBefore(since.plusSeconds(5)), "the clock reached T");
            Thread.sleep(1);
        }
        String t1 = x.at(n1).token("files:read", API);           // node 1: alice's agent
        String t2 = y.at(n2).exchanged(t1, "files:read", API);   // node 2: handed to y
        // node 3: and on to z, held for approval there, approved on node 1 (break-glass), redeemed on node 3
        String authReqId = (String) post(3, z.at(n3), "/oauth2/bc-authorize", Map.of("subject_token", t2,
                "subject_token_type", TestAgents.ACCESS_TOKEN_TYPE, "scope", "files:read", "audience", API))
                .expect(200).json().get("auth_req_id");
        new Http().postJson(cluster.node(1).admin("/admin/approvals/" + authReqId + "/approve"), Map.of(),
                cluster.adminToken()).expect(200);
        Thread.sleep(1100);   // a CIBA client waits the request's interval (1 s) before its first poll: earlier is slow_down
        String t3 = (String) post(3, z.at(n3), "/oauth2/token", Map.of("grant_type",
                "urn:openid:params:grant-type:ciba", "auth_req_id", authReqId)).expect(200).json().get("access_token");
        bob.at(n2).token("files:read", API);                     // someone else's, after T
        List<String> jtis = List.of(jti(t1), jti(t2), jti(t3));

        // the question is asked after every token has expired (past its exp; introspection allows the clock skew)
        Instant lastExp = Instant.EPOCH;
        for (String t : List.of(t1, t2, t3)) {
            Instant exp = SignedJWT.parse(t).getJWTClaimsSet().getExpirationTime().toInstant();
            lastExp = exp.isAfter(lastExp) ? exp : lastExp;
        }
        assertTrue(lastExp.isBefore(Instant.now().plusSeconds(10)), "6 s tokens: " + lastExp);
        while (!Instant.now().isAfter(lastExp.plusMillis(100))) {
            Thread.sleep(100);
        }

        Set<String> nodes = new HashSet<>();
        for (int n = 1; n <= 3; n++) {
            List<Map<String, Object>> events = events(n, "principal=user:alice&type=token.issued&since="
                    + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8));
            assertEquals(jtis, events.stream().map(e -> fields(e).get("jti")).toList(),
                    "node " + n + ": alice's three issuances since T, from all three nodes, in time order");
            assertEquals(List.of("aud-x", "aud-y", "aud-z"), events.stream().map(e -> fields(e).get("agent")).toList());
            for (Map<String, Object> e : events) {
                assertEquals("user:alice", fields(e).get("principal"));
                nodes.add((String) e.get("node"));
            }
            assertFalse(events.stream().anyMatch(e -> jti(before).equals(fields(e).get("jti"))), "nothing before T");
            // the last hop names its whole chain, so "through which agents" is answered too
            Object chain = fields(events.get(2)).get("chain");
            assertTrue(chain.toString().contains("aud-z") && chain.toString().contains("aud-y")
                    && chain.toString().contains("aud-x"), "the chain of the last hop: " + chain);
            // which actions involved agent y on behalf of alice: its own token and the one it handed on to z
            assertEquals(List.of(jti(t2), jti(t3)), events(n, "principal=user:alice&agent=aud-y&since="
                    + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8)).stream()
                    .filter(e -> "token.issued".equals(e.get("type"))).map(e -> fields(e).get("jti")).toList());
        }
        assertEquals(3, nodes.size(), "the records came from three nodes: " + nodes);

        // ... and who approved them: the decision, asked on node 2, names its approver and the token it became
        List<Map<String, Object>> approved = events(2, "principal=user:alice&type=approval.approved&since="
                + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8));
        assertEquals(1, approved.size(), "one approval");
        assertEquals(authReqId, fields(approved.get(0)).get("approval"));
        assertEquals("break-glass:admin", fields(approved.get(0)).get("approver"));
        assertEquals("aud-z", fields(approved.get(0)).get("agent"));
        Map<String, Object> lastHop = events(2, "type=token.issued&jti=" + jti(t3)).get(0);
        assertEquals(authReqId, fields(lastHop).get("approval"), "the issuance names the approval it redeemed");

        // lineage: from the root token, every descendant wherever it was minted
        List<Object> lineage = events(3, "type=token.issued&lineage=" + jti(t1)).stream()
                .map(e -> fields(e).get("jti")).toList();
        assertEquals(jtis, lineage);
    }

    /** A form POST to node {@code node}, authenticated as {@code agent} with a fresh client assertion. */
    private static HttpResult post(int node, Agent agent, String path, Map<String, String> params) {
        Map<String, String> form = new java.util.LinkedHashMap<>(params);
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", agent.clientAssertion());
        return new Http().postForm(cluster.node(node).admin(path), form, null);
    }

    private static List<Map<String, Object>> events(int node, String query) {
        HttpResult r = new Http().get(cluster.node(node).admin("/admin/audit?" + query), cluster.adminToken())
                .expect(200);
        assertEquals("no-store", r.header("Cache-Control"));
        assertTrue(!r.json().containsKey("unavailable") || ((List<?>) r.json().get("unavailable")).isEmpty(),
                "every peer answered: " + r.body());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) r.json().get("events");
        return new ArrayList<>(events);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fields(Map<String, Object> event) {
        return (Map<String, Object>) event.get("fields");
    }

    private static String jti(String token) {
        try {
            return SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }

    private static String peersOf(int n) {
        StringJoiner peers = new StringJoiner(",");
        for (int i = 1; i <= PORTS.length; i++) {
            if (i != n) {
                peers.add("http://127.0.0.1:" + PORTS[i - 1]);
            }
        }
        return peers.toString();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
