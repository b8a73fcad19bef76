package dev.agentid.issuer.status;

import dev.agentid.issuer.domain.StatusReference;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.verifier.status.StatusList;
import io.vertx.core.Future;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status lists served by the in-process issuer: claims, bits after revoke and kill, restart, allocation. */
class StatusListsTest {

    @TempDir
    Path dir;

    static Map<String, Object> statusOf(String token) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) SignedJWT.parse(token).getJWTClaimsSet()
                .getJSONObjectClaim("status").get("status_list");
        return status;
    }

    static int idx(String token) throws Exception {
        return ((Number) statusOf(token).get("idx")).intValue();
    }

    /** Fetches the list token, checks it as a relying party would, and returns its statuses. */
    static StatusList fetchList(TestIssuer issuer, String uri) throws Exception {
        TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(uri)).GET().build());
        assertEquals(200, r.status(), r.body());
        assertEquals("application/statuslist+jwt", r.header("Content-Type"));
        assertEquals("public, max-age=60", r.header("Cache-Control"));
        SignedJWT jwt = SignedJWT.parse(r.body());
        assertEquals("statuslist+jwt", jwt.getHeader().getType().getType());
        JWKSet jwks = JWKSet.parse(issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/jwks"))
                .GET().build()).body());
        ECDSAVerifier verifier = new ECDSAVerifier((ECKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID()));
        verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        assertTrue(jwt.verify(verifier), "signed with a key of the issuer's JWKS");
        assertEquals(uri, jwt.getJWTClaimsSet().getSubject());
        assertEquals(issuer.url, jwt.getJWTClaimsSet().getIssuer());
        assertEquals(60L, jwt.getJWTClaimsSet().getLongClaim("ttl"));
        assertTrue(jwt.getJWTClaimsSet().getExpirationTime().after(jwt.getJWTClaimsSet().getIssueTime()));
        Map<String, Object> list = jwt.getJWTClaimsSet().getJSONObjectClaim("status_list");
        assertEquals(1L, ((Number) list.get("bits")).longValue());
        assertTrue(((String) list.get("lst")).length() < 2000, "an almost empty list of 2^20 compresses well");
        StatusList statuses = StatusList.decode((String) list.get("lst"), 1, 1 << 20);
        assertEquals(StatusLists.LIST_SIZE, statuses.size());
        return statuses;
    }

    @Test
    void everyTokenCarriesAStatusReferenceWithAUniqueIndex() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String root = issuer.tokenFor(a);
            String child = issuer.exchanged(b, root);
            String other = issuer.tokenFor(a);
            Set<Integer> seen = new HashSet<>(List.of(idx(root), idx(child), idx(other)));
            assertEquals(3, seen.size());
            assertEquals(issuer.url + "/oauth2/status/0", statusOf(child).get("uri"));
            TestIssuer.Response aggregation = issuer.send(HttpRequest.newBuilder(
                    URI.create(issuer.url + "/oauth2/status")).GET().build());
            assertEquals("{\"status_lists\":[\"" + issuer.url + "/oauth2/status/0\"]}", aggregation.body());
            assertEquals(issuer.url + "/oauth2/status", issuer.send(HttpRequest.newBuilder(
                    URI.create(issuer.url + "/.well-known/oauth-authorization-server")).GET().build()).json()
                    .getString("status_list_aggregation_endpoint"));
            assertEquals(404, issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/status/1"))
                    .GET().build()).status());
        }
    }

    @Test
    void revokingARootSetsTheBitsOfTheRootAndEveryDescendantAndSurvivesARestart() throws Exception {
        String root, child, grandchild, unrelated;
        int port;
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            port = issuer.server.port();
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b").delegates("c"));
            TestAgent c = issuer.register(agent("c"));
            root = issuer.tokenFor(a);
            child = issuer.exchanged(b, root);
            grandchild = issuer.exchanged(c, child);
            unrelated = issuer.tokenFor(a);
            issuer.server.statusLists().refresh();
            StatusList before = fetchList(issuer, (String) statusOf(root).get("uri"));
            assertEquals(StatusList.VALID, before.status(idx(root)));

            assertEquals(200, issuer.revoke(a, root).status());
            issuer.server.statusLists().refresh();
            StatusList after = fetchList(issuer, (String) statusOf(root).get("uri"));
            assertEquals(StatusList.INVALID, after.status(idx(root)));
            assertEquals(StatusList.INVALID, after.status(idx(child)));
            assertEquals(StatusList.INVALID, after.status(idx(grandchild)));
            assertEquals(StatusList.VALID, after.status(idx(unrelated)));
        }
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), port, Map.of())) {
            StatusList restarted = fetchList(issuer, (String) statusOf(root).get("uri"));
            assertEquals(StatusList.INVALID, restarted.status(idx(grandchild)));
            assertEquals(StatusList.VALID, restarted.status(idx(unrelated)));
            String fresh = issuer.tokenFor(issuer.register(agent("d")));
            assertFalse(Set.of(idx(root), idx(child), idx(grandchild), idx(unrelated)).contains(idx(fresh)),
                    "an index is never handed out again after a restart");
        }
    }

    /** The index of the tokens a node minted is rebuilt from its crash log: nothing per token is replicated. */
    @Test
    void aRevocationOrKillAfterARestartStillSetsTheBitsOfTokensMintedBeforeIt() throws Exception {
        String root, child, grandchild, ownC, unrelated;
        TestAgent b;
        int port;
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            port = issuer.server.port();
            TestAgent a = issuer.register(agent("a").delegates("b"));
            b = issuer.register(agent("b").delegates("c"));
            TestAgent c = issuer.register(agent("c"));
            root = issuer.tokenFor(a);
            child = issuer.exchanged(b, root);
            grandchild = issuer.exchanged(c, child);
            ownC = issuer.tokenFor(c);
            unrelated = issuer.tokenFor(a);
        }
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), port, Map.of())) {
            assertEquals(200, issuer.revoke(b, child).status());
            assertEquals(200, issuer.admin("POST", "/admin/agents/c/kill", null).status());
            issuer.server.statusLists().refresh();
            StatusList list = fetchList(issuer, (String) statusOf(root).get("uri"));
            assertEquals(StatusList.VALID, list.status(idx(root)));
            assertEquals(StatusList.INVALID, list.status(idx(child)));
            assertEquals(StatusList.INVALID, list.status(idx(grandchild)));
            assertEquals(StatusList.INVALID, list.status(idx(ownC)), "killed c after the restart");
            assertEquals(StatusList.VALID, list.status(idx(unrelated)));
        }
    }

    /** No one calls refresh: the worker hears of the revocation from the replicated cache and sets the bits. */
    @Test
    void aRevocationReachesTheServedListWithinASecondOnItsOwn() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String root = issuer.tokenFor(a);
            String child = issuer.exchanged(b, root);
            String uri = (String) statusOf(root).get("uri");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (fetchListOrNull(issuer, uri) == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(200, issuer.revoke(a, root).status());
            long revokedAt = System.nanoTime();
            StatusList list = fetchList(issuer, uri);
            while (list.status(idx(child)) == StatusList.VALID && System.nanoTime() < deadline) {
                Thread.sleep(20);
                list = fetchList(issuer, uri);
            }
            assertEquals(StatusList.INVALID, list.status(idx(child)));
            assertEquals(StatusList.INVALID, list.status(idx(root)));
            assertTrue(System.nanoTime() - revokedAt < TimeUnit.SECONDS.toNanos(5), "set by the worker on its own");
        }
    }

    static StatusList fetchListOrNull(TestIssuer issuer, String uri) throws Exception {
        return issuer.send(HttpRequest.newBuilder(URI.create(uri)).GET().build()).status() == 200
                ? fetchList(issuer, uri) : null;
    }

    @Test
    void killingAnAgentSetsTheBitsOfEveryLiveTokenWhoseChainContainsIt() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b").delegates("c"));
            TestAgent c = issuer.register(agent("c"));
            String rootA = issuer.tokenFor(a);
            String viaB = issuer.exchanged(b, rootA);
            String viaC = issuer.exchanged(c, viaB);
            String ownB = issuer.tokenFor(b);
            issuer.server.statusLists().refresh();

            assertEquals(200, issuer.admin("POST", "/admin/agents/b/kill", null).status());
            issuer.server.statusLists().refresh();
            StatusList list = fetchList(issuer, (String) statusOf(rootA).get("uri"));
            assertEquals(StatusList.VALID, list.status(idx(rootA)));
            assertEquals(StatusList.INVALID, list.status(idx(viaB)));
            assertEquals(StatusList.INVALID, list.status(idx(viaC)));
            assertEquals(StatusList.INVALID, list.status(idx(ownB)));

            // restore lifts the kill for new tokens only: old bits stay set, new tokens are valid
            assertEquals(200, issuer.admin("POST", "/admin/agents/b/restore", null).status());
            String fresh = issuer.exchanged(b, issuer.tokenFor(a));
            issuer.server.statusLists().refresh();
            list = fetchList(issuer, (String) statusOf(rootA).get("uri"));
            assertEquals(StatusList.INVALID, list.status(idx(viaB)));
            assertEquals(StatusList.VALID, list.status(idx(fresh)));
        }
    }

    @Test
    void deregisteringAnAgentSetsTheBitsOfEveryLiveTokenWhoseChainContainsIt() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String rootA = issuer.tokenFor(a);
            String viaB = issuer.exchanged(b, rootA);
            String ownB = issuer.tokenFor(b);
            issuer.server.statusLists().refresh();

            assertEquals(200, issuer.admin("DELETE", "/admin/agents/b", null).status());
            issuer.server.statusLists().refresh();
            StatusList list = fetchList(issuer, (String) statusOf(rootA).get("uri"));
            assertEquals(StatusList.VALID, list.status(idx(rootA)));
            assertEquals(StatusList.INVALID, list.status(idx(viaB)));
            assertEquals(StatusList.INVALID, list.status(idx(ownB)));
        }
    }

    @Test
    void concurrentAllocationsNeverCollide() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            StatusLists lists = issuer.server.statusLists();
            List<Future<StatusReference>> all = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 1500; i++) {
                        Future<StatusReference> f = lists.allocate();
                        synchronized (all) {
                            all.add(f);
                        }
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            Set<Long> indices = new HashSet<>();
            for (Future<StatusReference> f : all) {
                indices.add(f.await(10, TimeUnit.SECONDS).index());
            }
            assertEquals(6000, indices.size(), "6000 allocations over several blocks, no index twice");
        }
    }
}
