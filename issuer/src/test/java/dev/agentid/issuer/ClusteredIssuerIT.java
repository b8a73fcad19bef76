package dev.agentid.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.agentid.issuer.store.TestSecrets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two issuers in one JVM forming a cluster over loopback: shared registry and shared signing keys. */
class ClusteredIssuerIT {

    private static final String ADMIN = "test-admin-token-0123456789";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aKeyRotationOnOneNodeIsPublishedByTheOtherAndTheRegistryIsShared() throws Exception {
        int[] ports = freePorts();
        String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
        MutableClock clock = new MutableClock();
        CompletableFuture<IssuerServer> a = CompletableFuture.supplyAsync(() -> start(0, ports[0], members, clock));
        CompletableFuture<IssuerServer> b = CompletableFuture.supplyAsync(() -> start(1, ports[1], members, clock));
        try (IssuerServer nodeA = a.get(90, TimeUnit.SECONDS); IssuerServer nodeB = b.get(90, TimeUnit.SECONDS)) {
            assertEquals(kids(nodeA), kids(nodeB), "both nodes publish the seeded keys");
            assertEquals(Files.readString(tmp.resolve("a0/keys/signing-keys.json")),
                    Files.readString(tmp.resolve("a1/keys/signing-keys.json")));

            HttpResponse<String> rotated = send(nodeA, HttpRequest.newBuilder()
                    .POST(HttpRequest.BodyPublishers.noBody()), "/admin/keys/rotate");
            assertEquals(200, rotated.statusCode(), rotated.body());
            String newKid = new JsonObject(rotated.body()).getString("signing_kid");
            assertTrue(kids(nodeA).contains(newKid));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!kids(nodeB).contains(newKid) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            assertEquals(kids(nodeA), kids(nodeB), "node B installed the rotation made on node A");
            assertEquals(Files.readString(tmp.resolve("a0/keys/signing-keys.json")),
                    Files.readString(tmp.resolve("a1/keys/signing-keys.json")), "and wrote it to its key file");

            HttpResponse<String> missing = send(nodeB, HttpRequest.newBuilder().GET(), "/admin/agents/nobody");
            assertEquals(404, missing.statusCode());
        }
    }

    private IssuerServer start(int i, int clusterPort, String members, MutableClock clock) {
        Path secret = tmp.resolve("cluster-secret");
        synchronized (ClusteredIssuerIT.class) {
            try {
                if (!Files.exists(secret)) {
                    TestSecrets.file(secret);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return IssuerServer.start(IssuerConfig.fromValues(Map.of(
                "ISSUER_CLUSTER_SECRET_FILE", secret.toString(),
                "ISSUER_PORT", "0",
                "ISSUER_URL", "http://issuer.test",
                "ISSUER_DATA_DIR", tmp.resolve("a" + i).toString(),
                "ISSUER_ADMIN_TOKEN", ADMIN,
                "ISSUER_KEYS_RELOAD_MILLIS", "200",
                "ISSUER_CLUSTER_BIND", "127.0.0.1:" + clusterPort,
                "ISSUER_CLUSTER_MEMBERS", members,
                "ISSUER_CLUSTER_NAME", "issuer-it")), clock);
    }

    private Set<String> kids(IssuerServer node) throws Exception {
        HttpResponse<String> jwks = send(node, HttpRequest.newBuilder().GET(), "/oauth2/jwks");
        Set<String> kids = new HashSet<>();
        JsonArray keys = new JsonObject(jwks.body()).getJsonArray("keys");
        for (int k = 0; k < keys.size(); k++) {
            kids.add(keys.getJsonObject(k).getString("kid"));
        }
        return kids;
    }

    private HttpResponse<String> send(IssuerServer node, HttpRequest.Builder request, String path) throws Exception {
        return http.send(request.uri(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
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
