package dev.agentid.issuer.federation;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partners that attack the issuer through what it fetches from them (issue 11, "one slow partner stalls the
 * issuer"): a status list served at 1 byte/s, one of 200 MB, status URIs chosen to be unique, absurd indices and
 * {@code max_exp}. Each partner here is a small JDK HTTP server on 127.0.0.1 that serves real metadata and keys and
 * signs real grants; B is a real issuer on port 0 with a 1.5 s fetch deadline.
 */
class HostilePartnerFetchTest {

    static final long DEADLINE_MILLIS = 1500;

    @TempDir
    static Path dir;
    static Organisation a;
    static Organisation b;
    static TestAgent a1;
    static TestAgent b1;
    static TestAgent bOther;

    @BeforeAll
    static void start() {
        a = Organisation.start("a", dir);
        b = Organisation.start("b", dir, Map.of("ISSUER_FEDERATION_FETCH_TIMEOUT_MILLIS",
                Long.toString(DEADLINE_MILLIS), "ISSUER_KEYS_RELOAD_MILLIS", "100"));
        a1 = a.issuer.register(agent("a1"));
        b1 = b.issuer.register(agent("b1"));
        bOther = b.issuer.register(agent("b-other"));
        a.trust(b, Map.of()).outbound("a1").apply();
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    /**
     * B trusts A and this hostile partner (p-agent may hand work to b1). Discovery is retried, as the poller would,
     * if a loaded machine let it miss the 1.5 s deadline: this class is about status lists, not discovery speed.
     */
    static void trust(HostilePartner p) throws InterruptedException {
        b.distrustAll().trust(a, Map.of("a1", List.of("b1")), "read", "write")
                .trust(p.url, Map.of("p-agent", List.of("b1")), "read").apply();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (b.federation().partners().keys(p.url) == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
            b.federation().partners().reload();
        }
        assertTrue(b.federation().partners().keys(p.url) != null, "the hostile partner was discovered");
    }

    @Test
    void partnerDrippingItsStatusListAtOneBytePerSecondIsUnavailableWithinTheDeadlineWhileIssuanceAndKeyReloadsKeepWorking()
            throws Exception {
        try (HostilePartner p = HostilePartner.start()) {
            trust(p);
            // ten lists in flight at once, every one of them dripping
            String first = null;
            for (int i = 0; i < 10; i++) {
                TestIssuer.Response r = b.redeem(b1, p.grant(p.url + "/oauth2/status/slow-" + i, 0));
                assertEquals(200, r.status(), r.body());   // just issued: within the pending grace
                if (first == null) {
                    first = r.json().getString("access_token");
                }
            }
            Instant started = Instant.now();
            // while they drip: token issuance for other agents and B's own status list answer at once
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                String own = b.issuer.tokenFor(bOther);
                String statusUri = ((Map<?, ?>) SignedJWT.parse(own).getJWTClaimsSet().getJSONObjectClaim("status")
                        .get("status_list")).get("uri").toString();
                TestIssuer.Response list = b.issuer.send(HttpRequest.newBuilder(URI.create(statusUri)).GET().build());
                assertEquals(200, list.status(), list.body());
                long millis = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(millis < 1000, "issuance and the status list took " + millis + " ms during the drip");
            }
            // while they drip: our signing keys and the trust file still reload
            signingKeysReloadWithinASecond();
            long t0 = System.nanoTime();
            trust(p);
            long trustMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(trustMillis < 1000, "the trust-file reload took " + trustMillis + " ms during the drip");
            assertTrue(p.dripped.get() > 0, "the partner was dripping all along");
            // the partner is marked unavailable within the deadline: its grants are refused, fail closed
            TestIssuer.Response refused = untilRefused(p, "/oauth2/status/slow-0");
            long elapsed = Duration.between(started, Instant.now()).toMillis();
            assertRow(refused, "F14");
            assertTrue(elapsed < DEADLINE_MILLIS + 1500, "marked unavailable after " + elapsed + " ms");
            assertEquals(new JsonObject().put("active", false), b.issuer.introspect(first));
            assertEquals(200, b.issuer.clientCredentials(bOther).status());
        }
    }

    /**
     * Both ways a signing key changes keep working: a rotation through the admin API, active at once (B signs with
     * the new key and publishes it), and a rotation written to the key file by the keys CLI, which B's key-file
     * poller (every 100 ms here) picks up and publishes. Each within a second.
     */
    static void signingKeysReloadWithinASecond() throws Exception {
        long t0 = System.nanoTime();
        TestIssuer.Response rotated = b.issuer.admin("POST", "/admin/keys/rotate",
                new JsonObject().put("activate_in_seconds", 0));
        assertEquals(200, rotated.status(), rotated.body());
        String adminKid = rotated.json().getString("signing_kid");
        assertEquals(adminKid, SignedJWT.parse(b.issuer.tokenFor(bOther)).getHeader().getKeyID(),
                "B signs with the key it rotated to");
        assertTrue(publishedKids().contains(adminKid), "the new key is published");
        long adminMillis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(adminMillis < 1000, "the admin rotation took " + adminMillis + " ms");

        long t1 = System.nanoTime();
        String fileKid = dev.agentid.keys.KeyStoreFile.in(b.issuer.dataDir).rotate(java.time.Clock.systemUTC(),
                        Duration.ofSeconds(120), Duration.ofHours(1), Duration.ofMinutes(1)).keys().stream()
                .max(java.util.Comparator.comparing(dev.agentid.keys.ManagedKey::createdAt)).orElseThrow()
                .privateJwk().getKeyID();
        while (!publishedKids().contains(fileKid)) {
            assertTrue(System.nanoTime() - t1 < 1_000_000_000L, "the key-file rotation was not picked up in 1 s");
            Thread.sleep(20);
        }
    }

    static List<String> publishedKids() throws Exception {
        TestIssuer.Response jwks = b.issuer.send(HttpRequest.newBuilder(URI.create(b.issuer.url + "/oauth2/jwks"))
                .GET().build());
        assertEquals(200, jwks.status(), jwks.body());
        return com.nimbusds.jose.jwk.JWKSet.parse(jwks.body()).getKeys().stream()
                .map(com.nimbusds.jose.jwk.JWK::getKeyID).toList();
    }

    @Test
    void partnerServingA200MegabyteStatusListIsCutOffAtTheSizeCapWithoutBufferingIt() throws Exception {
        try (HostilePartner p = HostilePartner.start()) {
            trust(p);
            TestIssuer.Response r = b.redeem(b1, p.grant(p.url + "/oauth2/status/huge", 0));
            assertEquals(200, r.status(), r.body());
            assertRow(untilRefused(p, "/oauth2/status/huge"), "F14");
            b.federation().partnerStatus().refresh();   // a second full pass: still cut off
            assertRow(b.redeem(b1, p.grant(p.url + "/oauth2/status/huge", 0)), "F14");
            // never read to the end: the cap (1 MiB) plus what the sockets buffered, far below 200 MB
            assertTrue(p.flooded.get() < 32L * 1024 * 1024, "the partner wrote " + p.flooded.get() + " bytes");
            assertEquals(200, b.issuer.clientCredentials(bOther).status());
        }
    }

    @Test
    void uniqueStatusListUrisCannotMakeUsFollowUnboundedLists() throws Exception {
        try (HostilePartner p = HostilePartner.start()) {
            trust(p);
            // a query makes every URI unique: refused outright
            for (int i = 0; i < 3; i++) {
                assertRow(b.redeem(b1, p.grant(p.url + "/oauth2/status/slow-q?x=" + i, 0)), "F11");
            }
            // outside the partner's status_list_prefix (default <issuer>/oauth2/status/): refused
            assertRow(b.redeem(b1, p.grant(p.url + "/admin/lists/0", 0)), "F11");
            // distinct paths: at most MAX_LISTS_PER_PARTNER are followed; the rest fail closed at once
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < PartnerStatusLists.MAX_LISTS_PER_PARTNER + 4; i++) {
                TestIssuer.Response r = b.redeem(b1, p.grant(p.url + "/oauth2/status/slow-many-" + i, 0));
                if (r.status() == 200) {
                    accepted++;
                } else {
                    assertRow(r, "F14");
                    refused++;
                }
            }
            assertEquals(PartnerStatusLists.MAX_LISTS_PER_PARTNER, accepted);
            assertEquals(4, refused);
            assertTrue(p.requestedLists.get() <= PartnerStatusLists.MAX_LISTS_PER_PARTNER,
                    "fetched " + p.requestedLists.get() + " lists");
        }
    }

    @Test
    void statusIndexTwoToTheThirtyOneMinusOneIsACleanRefusal() throws Exception {
        b.distrustAll().trust(a, Map.of("a1", List.of("b1")), "read", "write").apply();
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        String uri = ((Map<?, ?>) SignedJWT.parse(grant).getJWTClaimsSet().getJSONObjectClaim("status")
                .get("status_list")).get("uri").toString();
        assertEquals(200, b.redeem(b1, grant).status());
        b.federation().partnerStatus().refresh();   // A's list is now cached at B
        String beyond = a.signGrant(FederationTest.grantClaims(a.url(), b.url())
                .claim("status", Map.of("status_list", Map.of("idx", Integer.MAX_VALUE, "uri", uri))));
        assertRow(b.redeem(b1, beyond), "F14");
        String overflow = a.sign(FederationService.GRANT_JOSE_TYPE, FederationTest.grantClaims(a.url(), b.url())
                .claim("status", Map.of("status_list", Map.of("idx", 1L << 31, "uri", uri))).build());
        assertRow(b.redeem(b1, overflow), "F11");
    }

    @Test
    void maxExpOfTenToTheSeventeenIsACleanRefusal() {
        b.distrustAll().trust(a, Map.of("a1", List.of("b1")), "read", "write").apply();
        String forged = a.sign(FederationService.GRANT_JOSE_TYPE, FederationTest.grantClaims(a.url(), b.url())
                .claim("max_exp", 100_000_000_000_000_000L).build());
        assertRow(b.redeem(b1, forged), "F11");
        String years = a.sign(FederationService.GRANT_JOSE_TYPE, FederationTest.grantClaims(a.url(), b.url())
                .claim("max_exp", Instant.now().plus(Duration.ofDays(365 * 31)).getEpochSecond()).build());
        assertRow(b.redeem(b1, years), "F11");
    }

    @Test
    void partnerOverPlainHttpIsNotFetchedWithoutTheDevelopmentFlag(@TempDir Path own) throws Exception {
        try (HostilePartner p = HostilePartner.start();
             Organisation strict = Organisation.start("strict", own, Map.of("ISSUER_FEDERATION_LOOPBACK_HTTP",
                     "false"))) {
            TestAgent s1 = strict.issuer.register(agent("s1"));
            strict.trust(p.url, Map.of("p-agent", List.of("s1")), "read").apply();
            assertEquals(null, strict.federation().partners().keys(p.url), "http metadata was fetched");
            assertEquals(0, p.metadataRequests.get());
            assertRow(strict.redeem(s1, p.grant(p.url + "/oauth2/status/0", 0)), "F07", "iss", p.url);
        }
    }

    /** Redeems fresh grants on {@code path} until B refuses one; fails after 10 s. */
    static TestIssuer.Response untilRefused(HostilePartner p, String path) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            TestIssuer.Response r = b.redeem(b1, p.grant(p.url + path, 0));
            if (r.status() != 200) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("grants on " + path + " were still accepted after 10 s");
    }

    /** A partner organisation that serves honest metadata and keys, and hostile status lists. */
    static final class HostilePartner implements AutoCloseable {
        final HttpServer server;
        final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hostile-partner");
            t.setDaemon(true);
            return t;
        });
        final String url;
        final ECKey key;
        final AtomicLong dripped = new AtomicLong();
        final AtomicLong flooded = new AtomicLong();
        final AtomicLong requestedLists = new AtomicLong();
        final AtomicLong metadataRequests = new AtomicLong();
        volatile boolean closed;

        private HostilePartner(HttpServer server, ECKey key) {
            this.server = server;
            this.key = key;
            this.url = "http://127.0.0.1:" + server.getAddress().getPort();
        }

        static HostilePartner start() throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            HostilePartner p = new HostilePartner(server, new ECKeyGenerator(Curve.P_256).keyID("p1").generate());
            server.setExecutor(p.threads);
            server.createContext("/", p::handle);
            server.start();
            return p;
        }

        private void handle(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            try (exchange) {
                if (path.equals("/.well-known/oauth-authorization-server")) {
                    metadataRequests.incrementAndGet();
                    json(exchange, new JsonObject().put("issuer", url).put("jwks_uri", url + "/jwks"));
                } else if (path.equals("/jwks")) {
                    json(exchange, new JsonObject().put("keys", new JsonArray().add(new JsonObject(
                            key.toPublicJWK().toJSONObject()))));
                } else if (path.startsWith("/oauth2/status/slow")) {
                    requestedLists.incrementAndGet();
                    exchange.sendResponseHeaders(200, 0);
                    OutputStream out = exchange.getResponseBody();
                    for (int i = 0; i < 60 && !closed; i++) {
                        out.write('e');
                        out.flush();
                        dripped.incrementAndGet();
                        Thread.sleep(1000);
                    }
                } else if (path.startsWith("/oauth2/status/huge")) {
                    requestedLists.incrementAndGet();
                    exchange.sendResponseHeaders(200, 0);
                    OutputStream out = exchange.getResponseBody();
                    byte[] chunk = new byte[64 * 1024];
                    java.util.Arrays.fill(chunk, (byte) 'e');
                    for (long sent = 0; sent < 200L * 1024 * 1024 && !closed; sent += chunk.length) {
                        out.write(chunk);
                        flooded.addAndGet(chunk.length);
                    }
                } else {
                    exchange.sendResponseHeaders(404, -1);
                }
            } catch (IOException | InterruptedException e) {
                // the issuer hung up on us: what this test wants
            }
        }

        private static void json(HttpExchange exchange, JsonObject body) throws IOException {
            byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        }

        /** A grant for B, signed with this partner's key, naming a status list of its choice. */
        String grant(String statusUri, long idx) {
            Instant now = Instant.now();
            JWTClaimsSet claims = Organisation.withReceipt(new JWTClaimsSet.Builder().issuer(url)
                    .subject("user:alice").audience(b.url())
                    .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)))
                    .jwtID(UUID.randomUUID().toString()).claim("client_id", "p-agent").claim("scope", "read")
                    .claim("act", Map.of("sub", "p-agent", "iss", url))
                    .claim("max_exp", now.plusSeconds(300).getEpochSecond())
                    .claim("status", Map.of("status_list", Map.of("idx", idx, "uri", statusUri))), key, List.of())
                    .build();
            return Organisation.sign(FederationService.GRANT_JOSE_TYPE, claims, key, key.getKeyID());
        }

        @Override
        public void close() {
            closed = true;
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
