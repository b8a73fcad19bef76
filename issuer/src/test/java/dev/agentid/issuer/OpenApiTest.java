package dev.agentid.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /openapi.json describes every route the issuer's router has, and only those. */
class OpenApiTest {

    @TempDir
    static Path dataDir;
    static TestIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    /**
     * Regression: Java's HttpClient offers a cleartext HTTP/2 upgrade (h2c) by default, and Vert.x's upgraded stream
     * lost the end of a 30 KB response about one time in five, leaving the client waiting forever. The issuer does not
     * upgrade cleartext connections: every client gets the whole document over HTTP/1.1.
     */
    @Test
    void aClientOfferingACleartextHttp2UpgradeGetsTheWholeDocument() throws Exception {
        int expected;
        try (java.io.InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
            expected = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).length();
        }
        for (int i = 0; i < 30; i++) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();   // HTTP_2 preferred
            java.net.http.HttpResponse<String> r = client.sendAsync(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(issuer.url + "/openapi.json")).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, r.version());
            assertEquals(expected, r.body().length());
        }
    }

    @Test
    void everyRouteIsInTheOpenApiDocument() {
        TestIssuer.Response response = issuer.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(issuer.url + "/openapi.json")).GET().build());
        assertEquals(200, response.status());
        JsonObject doc = response.json();
        assertEquals("3.1.0", doc.getString("openapi"));
        JsonObject paths = doc.getJsonObject("paths");

        Set<String> routed = new TreeSet<>();
        for (Route route : issuer.server.routes()) {
            String path = route.getPath();
            if (path == null || path.endsWith("/")) {
                continue;   // the failure handler, the 404 fallback, and prefix steps such as /admin/*
            }
            String documented = path.replaceAll(":([A-Za-z]+)", "{$1}");
            routed.add(documented);
            JsonObject item = paths.getJsonObject(documented);
            assertNotNull(item, "route " + path + " is not in /openapi.json");
            Set<HttpMethod> methods = route.methods();
            if (methods == null || methods.isEmpty()) {
                assertFalse(operations(item).isEmpty(), path + " documents at least one operation");
            } else {
                for (HttpMethod method : methods) {
                    assertTrue(item.containsKey(method.name().toLowerCase()),
                            method + " " + path + " is not in /openapi.json");
                }
            }
        }
        assertEquals(routed, new TreeSet<>(paths.fieldNames()), "documented paths that no route serves");
    }

    private static Set<String> operations(JsonObject item) {
        Set<String> ops = new TreeSet<>(item.fieldNames());
        ops.retainAll(Set.of("get", "post", "put", "patch", "delete"));
        return ops;
    }
}
