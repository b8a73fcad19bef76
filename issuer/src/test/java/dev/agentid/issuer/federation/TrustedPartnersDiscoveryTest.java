package dev.agentid.issuer.federation;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reload that races the trust-file poller: the poller has started discovering a partner when an operator (or a test)
 * reloads. The reload must not return "discovered" with no keys because the partner was busy elsewhere: it waits for
 * that discovery, and the partner's metadata is still fetched only once.
 */
class TrustedPartnersDiscoveryTest {

    @TempDir
    Path dir;

    @Test
    void reloadRacingThePollersDiscoveryWaitsForItInsteadOfReturningWithoutKeys() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("p1").generate();
        AtomicInteger metadataRequests = new AtomicInteger();
        CountDownLatch metadataAsked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            try (exchange) {
                if (path.equals("/.well-known/oauth-authorization-server")) {
                    metadataRequests.incrementAndGet();
                    metadataAsked.countDown();
                    release.await(5, TimeUnit.SECONDS);   // the poller's discovery is in flight until released
                    json(exchange, new JsonObject().put("issuer", url).put("jwks_uri", url + "/jwks"));
                } else if (path.equals("/jwks")) {
                    json(exchange, new JsonObject().put("keys", new JsonArray().add(
                            new JsonObject(key.toPublicJWK().toJSONObject()))));
                } else {
                    exchange.sendResponseHeaders(404, -1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        Path file = dir.resolve("trust.json");
        Files.writeString(file, new JsonObject().put("partners", new JsonArray().add(new JsonObject()
                .put("issuer", url).put("agents", new JsonObject().put("p-agent", new JsonArray(List.of("b1"))))
                .put("scopes", new JsonArray(List.of("read"))).put("subjects", new JsonArray(List.of("user:*")))))
                .encode());
        try (OutboundFetcher fetcher = new OutboundFetcher(Duration.ofSeconds(5), true)) {
            TrustedPartners partners = TrustedPartners.load(file, fetcher);
            CompletableFuture<Void> poller = CompletableFuture.runAsync(partners::discoverAll);
            assertTrue(metadataAsked.await(5, TimeUnit.SECONDS), "the poller asked for the metadata");
            CompletableFuture<Boolean> operator = CompletableFuture.supplyAsync(partners::reload);
            Thread.sleep(200);
            assertTrue(!operator.isDone(), "the reload returned while the partner was still being discovered");
            release.countDown();
            operator.get(10, TimeUnit.SECONDS);
            assertNotNull(partners.keys(url), "the reload returned before the partner was discovered");
            poller.get(10, TimeUnit.SECONDS);
            assertEquals(1, metadataRequests.get(), "the metadata was fetched once, not once per caller");
        } finally {
            server.stop(0);
        }
    }

    private static void json(HttpExchange exchange, JsonObject body) throws IOException {
        byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
