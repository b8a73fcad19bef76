package dev.agentid.issuer.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.IssuerConfig;
import dev.agentid.issuer.IssuerServer;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.store.TestSecrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two issuers in one JVM forming a cluster over loopback: a request started at one node is listed, approved and
 * redeemed at the other (the approvals cache is replicated), and redeemed once only across both.
 */
class ClusteredApprovalIT {

    private static final String ADMIN = "test-admin-token-0123456789";
    private static final String ISSUER = "http://issuer.test";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void requestStartedOnOneNodeIsApprovedAndRedeemedOnTheOtherOnce() throws Exception {
        int[] ports = freePorts();
        String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
        MutableClock clock = new MutableClock();
        CompletableFuture<IssuerServer> a = CompletableFuture.supplyAsync(() -> start(0, ports[0], members, clock));
        CompletableFuture<IssuerServer> b = CompletableFuture.supplyAsync(() -> start(1, ports[1], members, clock));
        try (IssuerServer nodeA = a.get(90, TimeUnit.SECONDS); IssuerServer nodeB = b.get(90, TimeUnit.SECONDS)) {
            TestAgent c = TestAgent.agent("cluster-c").scopes("read").build();
            c.registration.put("approval", new JsonObject().put("scopes", new JsonArray().add("read"))
                    .put("approvers", new JsonObject().put("owner", true)));
            assertEquals(201, admin(nodeA, "POST", "/admin/agents", c.registration).statusCode());
            TestAgent root = TestAgent.agent("cluster-a").scopes("read").delegates(c.id).build();
            assertEquals(201, admin(nodeA, "POST", "/admin/agents", root.registration).statusCode());

            HttpResponse<String> cc = form(nodeA, "/oauth2/token", root, "grant_type", "client_credentials");
            assertEquals(200, cc.statusCode(), cc.body());
            HttpResponse<String> started = form(nodeA, "/oauth2/bc-authorize", c, "subject_token",
                    new JsonObject(cc.body()).getString("access_token"), "subject_token_type",
                    TestIssuer.ACCESS_TOKEN_TYPE);
            assertEquals(200, started.statusCode(), started.body());
            String id = new JsonObject(started.body()).getString("auth_req_id");

            HttpResponse<String> listed = admin(nodeB, "GET", "/admin/approvals", null);
            assertEquals(id, new JsonObject(listed.body()).getJsonArray("approvals").getJsonObject(0).getString("id"));
            assertEquals(200, admin(nodeB, "POST", "/admin/approvals/" + id + "/approve", new JsonObject())
                    .statusCode());
            HttpResponse<String> token = form(nodeB, "/oauth2/token", c, "grant_type",
                    "urn:openid:params:grant-type:ciba", "auth_req_id", id);
            assertEquals(200, token.statusCode(), token.body());
            JWTClaimsSet claims = SignedJWT.parse(new JsonObject(token.body()).getString("access_token"))
                    .getJWTClaimsSet();
            assertEquals(id, ((Map<?, ?>) claims.getJSONObjectClaim("act").get("apv")).get("id"));

            HttpResponse<String> again = form(nodeA, "/oauth2/token", c, "grant_type",
                    "urn:openid:params:grant-type:ciba", "auth_req_id", id);
            assertEquals(400, again.statusCode(), again.body());
            assertEquals("auth_req_id has already been redeemed",
                    new JsonObject(again.body()).getString("error_description"));
        }
    }

    private HttpResponse<String> form(IssuerServer node, String path, TestAgent agent, String... kv)
            throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_assertion_type", TestIssuer.JWT_BEARER);
        params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(agent.id)
                .subject(agent.id).audience(ISSUER).expirationTime(new Date(System.currentTimeMillis() + 60_000))
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).build(), agent.key));
        for (int i = 0; i < kv.length; i += 2) {
            params.put(kv[i], kv[i + 1]);
        }
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(IssuerServer node, String method, String path, JsonObject body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.encode()));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private IssuerServer start(int i, int clusterPort, String members, MutableClock clock) {
        Path secret = tmp.resolve("cluster-secret");
        synchronized (ClusteredApprovalIT.class) {
            try {
                if (!Files.exists(secret)) {
                    TestSecrets.file(secret);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return IssuerServer.start(IssuerConfig.load(Map.of(
                "ISSUER_CLUSTER_SECRET_FILE", secret.toString(),
                "ISSUER_PORT", "0",
                "ISSUER_URL", "http://issuer.test",
                "ISSUER_DATA_DIR", tmp.resolve("a" + i).toString(),
                "ISSUER_ADMIN_TOKEN", ADMIN,
                "ISSUER_KEYS_RELOAD_MILLIS", "200",
                "ISSUER_CLUSTER_BIND", "127.0.0.1:" + clusterPort,
                "ISSUER_CLUSTER_MEMBERS", members,
                "ISSUER_CLUSTER_NAME", "approval-it"), null), clock);
    }

    /** Two loopback ports whose failure-detector ports (+100) are free too. */
    private static int[] freePorts() throws IOException {
        int[] ports = new int[2];
        int found = 0;
        while (found < 2) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = s.getLocalPort();
                if (port + 100 > 65535 || (found == 1 && Math.abs(port - ports[0]) == 100)) {
                    continue;
                }
                try (ServerSocket fd = new ServerSocket(port + 100, 1, InetAddress.getLoopbackAddress())) {
                    ports[found++] = port;
                } catch (IOException taken) {
                    // another
                }
            }
        }
        return ports;
    }
}
