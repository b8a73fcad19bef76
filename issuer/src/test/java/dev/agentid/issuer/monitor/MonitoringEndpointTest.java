package dev.agentid.issuer.monitor;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Monitoring driven through the real token endpoint of a real issuer: detection, containment, restore. */
class MonitoringEndpointTest {

    @TempDir
    Path dir;

    /**
     * Monitoring without a learning period (a new agent is judged at once; during learning detectors only alert),
     * and without the first-time-seen detectors of scopes and audiences (everything is new without learning).
     */
    static Map<String, String> judgedAtOnce(Path dir, JsonObject extra) {
        JsonObject settings = new JsonObject().put("learning_minutes", 0).put("detectors", new JsonObject()
                .put("new_scope", new JsonObject().put("enabled", false))
                .put("new_audience", new JsonObject().put("enabled", false))).mergeIn(extra);
        Path file = dir.resolve("monitor.json");
        try {
            java.nio.file.Files.writeString(file, settings.encode());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Map.of("ISSUER_MONITOR_FILE", file.toString());
    }

    static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 15 s: " + what);
            }
            try {
                Thread.sleep(50);   // bounded poll: the monitor runs on its own thread, off the request path
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static String status(TestIssuer issuer, String agent) {
        return issuer.admin("GET", "/admin/agents/" + agent, null).json().getString("status");
    }

    static JsonArray alerts(TestIssuer issuer, String agent) {
        TestIssuer.Response r = issuer.admin("GET", "/admin/alerts?agent=" + agent, null);
        assertEquals(200, r.status(), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
        return r.json().getJsonArray("alerts");
    }

    /**
     * Someone holding the agent's stolen key tries it against scopes the agent does not have: every request is
     * refused (authenticated), the refusal storm suspends the agent through the kill switch, and an operator's restore
     * gives the agent back, without the storm being held against it again.
     */
    @Test
    void refusalStormWithStolenKeysSuspendsAgent() {
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0,
                judgedAtOnce(dir, new JsonObject()))) {
            TestAgent victim = issuer.register(agent("victim").scopes("read"));
            String token = issuer.tokenFor(victim, "scope", "read");
            for (int i = 0; i < 12; i++) {
                int status = issuer.clientCredentials(victim, "scope", "payroll:export").status();
                assertTrue(status == 400 || status == 429 || status == 401, "refused: " + status);
            }
            eventually("the agent is suspended", () -> "killed".equals(status(issuer, "victim")));
            JsonObject storm = alerts(issuer, "victim").stream().map(JsonObject.class::cast)
                    .filter(a -> MonitorSettings.REFUSAL_STORM.equals(a.getString("detector"))).findFirst()
                    .orElseThrow();
            assertEquals("high", storm.getString("severity"));
            assertEquals("suspend", storm.getString("response"));
            assertTrue(storm.getString("explanation").matches("\\d+ authenticated token requests naming agent"
                    + " 'victim' were refused in the last 10 s; .*"), storm.getString("explanation"));
            assertEquals(false, issuer.introspect(token).getBoolean("active"), "the kill switch ends its tokens");
            TestIssuer.assertError(issuer.clientCredentials(victim), 401, "invalid_client",
                    issuer.clientCredentials(victim).json().getString("error_description"));

            // reversible by an operator: the storm is not held against the restored agent, the throttle is lifted
            assertEquals(200, issuer.admin("POST", "/admin/agents/victim/restore", null).status());
            eventually("the restore reaches the monitor", () -> issuer.server.monitor().processed() > 14);
            for (int i = 0; i < 3; i++) {
                assertEquals(200, issuer.clientCredentials(victim, "scope", "read").status());
            }
            TestIssuer.Response r = issuer.admin("GET", "/admin/audit?agent=victim&type=agent.killed", null);
            assertEquals(200, r.status(), r.body());
            JsonObject killed = r.json().getJsonArray("events").getJsonObject(0);
            assertEquals("monitor", killed.getJsonObject("fields").getString("by"));
            assertTrue(killed.getJsonObject("fields").getString("reason").startsWith("refusal_storm: "));
            // the alert and the action are in the hash-chained log with their evidence
            JsonArray monitoring = issuer.admin("GET", "/admin/audit?agent=victim&type=monitor", null).json()
                    .getJsonArray("events");
            JsonObject action = monitoring.stream().map(JsonObject.class::cast)
                    .filter(e -> "monitor.action".equals(e.getString("type"))
                            && "suspend".equals(e.getJsonObject("fields").getString("action")))
                    .findFirst().orElseThrow(() -> new AssertionError(monitoring.encode()));
            assertTrue(action.getJsonObject("fields").getJsonObject("evidence").getLong("count") >= 10);
            assertTrue(monitoring.stream().map(JsonObject.class::cast)
                    .anyMatch(e -> "monitor.alert".equals(e.getString("type"))), monitoring.encode());
        }
    }

    /**
     * The attacker with the stolen key times the storm across a minute boundary: half of it in the last seconds of a
     * minute, half in the first of the next. The minute with the first half is learned at the very tick that judges
     * the storm; were it learned as the agent's baseline, the threshold would be 20 times that half and the storm
     * would pass. It is judged against the baseline from before it, so the agent is suspended all the same.
     */
    @Test
    void refusalStormTimedAcrossAMinuteBoundaryStillSuspendsTheAgent() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), clock, 0, judgedAtOnce(dir, new JsonObject()))) {
            TestAgent victim = issuer.register(agent("victim").scopes("read"));
            // the issuer's clock to 3 s before a minute boundary, later just past it (forward by about a minute in
            // all: client assertions made with the real time are still within the clock skew)
            long intoMinute = Math.floorMod(clock.millis(), 60_000L);
            clock.advance(java.time.Duration.ofMillis(Math.floorMod(57_000L - intoMinute, 60_000L)));
            long boundary = (clock.millis() / 60_000L + 1) * 60_000L;
            for (int i = 0; i < 6; i++) {
                issuer.clientCredentials(victim, "scope", "payroll:export");
            }
            assertTrue(clock.millis() < boundary - 500, "the first half is in the earlier minute");
            clock.advance(java.time.Duration.ofMillis(Math.max(0, boundary + 100 - clock.millis())));   // past it
            for (int i = 0; i < 6; i++) {
                int status = issuer.clientCredentials(victim, "scope", "payroll:export").status();
                assertTrue(status == 400 || status == 429, "refused: " + status);
            }
            assertTrue(clock.millis() < boundary + 7_000, "the storm fits in the 10 s window");
            eventually("the agent is suspended", () -> "killed".equals(status(issuer, "victim")));
            JsonObject storm = alerts(issuer, "victim").stream().map(JsonObject.class::cast)
                    .filter(a -> MonitorSettings.REFUSAL_STORM.equals(a.getString("detector"))).findFirst()
                    .orElseThrow();
            assertEquals("suspend", storm.getString("response"));
            assertEquals(10.0, storm.getDouble("threshold"), "the floor, not 20 x the storm's own first half");
            assertEquals(0.0, storm.getDouble("baseline"), storm.getString("explanation"));
        }
    }

    /**
     * Anyone can name an agent in a client assertion: a storm of requests for it signed with a key that is not its
     * own is an alert only (low), never a suspension or a throttle, or anyone could switch any agent off.
     */
    @Test
    void refusalStormNamingAnAgentWithoutItsKeyOnlyAlertsAndCannotSwitchItOff() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent victim = issuer.register(agent("victim").scopes("read"));
            com.nimbusds.jose.jwk.ECKey attackerKey = TestAgent.newKey();
            for (int i = 0; i < 12; i++) {
                String forged = TestAgent.assertion(new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer("victim")
                        .subject("victim").audience(issuer.url).jwtID(java.util.UUID.randomUUID().toString())
                        .issueTime(new java.util.Date())
                        .expirationTime(new java.util.Date(System.currentTimeMillis() + 60_000)).build(), attackerKey);
                TestIssuer.Response r = issuer.token(Map.of("grant_type", "client_credentials",
                        "client_assertion_type", TestIssuer.JWT_BEARER, "client_assertion", forged));
                assertEquals(401, r.status(), r.body());
            }
            eventually("an unauthenticated refusal storm alert", () -> alerts(issuer, "victim").stream()
                    .map(JsonObject.class::cast)
                    .anyMatch(a -> MonitorSettings.UNAUTHENTICATED_REFUSALS.equals(a.getString("detector"))));
            JsonObject alert = alerts(issuer, "victim").getJsonObject(0);
            assertEquals("low", alert.getString("severity"));
            assertEquals("alert", alert.getString("response"));
            assertEquals("active", status(issuer, "victim"));
            assertEquals(200, issuer.clientCredentials(victim, "scope", "read").status());
            assertEquals(200, issuer.clientCredentials(victim, "scope", "read").status(), "not throttled");
        }
    }

    /**
     * A new agent (still being learned) that probes for scopes is reported, not contained: its first hour has no
     * baseline (a load test, a new service), so detectors alert only.
     */
    @Test
    void newAgentStillBeingLearnedIsOnlyAlertedAbout() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent fresh = issuer.register(agent("fresh").scopes("read"));
            for (int i = 0; i < 12; i++) {
                assertEquals(400, issuer.clientCredentials(fresh, "scope", "admin").status());
            }
            eventually("alerts", () -> alerts(issuer, "fresh").size() >= 2);
            for (Object a : alerts(issuer, "fresh")) {
                JsonObject alert = (JsonObject) a;
                assertEquals("alert", alert.getString("response"), alert.encode());
                assertTrue(alert.getString("explanation").endsWith("so this is an alert only"));
            }
            assertEquals("active", status(issuer, "fresh"));
            assertEquals(200, issuer.clientCredentials(fresh, "scope", "read").status());
            assertEquals(200, issuer.clientCredentials(fresh, "scope", "read").status());
        }
    }

    /** Every alert is POSTed to the configured webhook as JSON, without the monitor waiting for it. */
    @Test
    void alertIsPostedToTheWebhook() throws Exception {
        java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
        com.sun.net.httpserver.HttpServer hook = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();
        try {
            try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0,
                    judgedAtOnce(dir, new JsonObject().put("webhook", "http://127.0.0.1:"
                            + hook.getAddress().getPort() + "/hook")))) {
                TestAgent creeper = issuer.register(agent("creeper").scopes("read"));
                for (int i = 0; i < 3; i++) {
                    assertEquals(400, issuer.clientCredentials(creeper, "scope", "admin").status());
                }
                String body = received.poll(15, TimeUnit.SECONDS);
                assertTrue(body != null, "no webhook call within 15 s");
                JsonObject alert = new JsonObject(body);
                assertEquals("creeper", alert.getString("agent"));
                assertEquals(MonitorSettings.SCOPE_PROBE, alert.getString("detector"));
                assertEquals("throttle", alert.getString("response"));
                assertTrue(alert.getString("explanation").startsWith("agent 'creeper' asked 3 times"),
                        alert.getString("explanation"));
            }
        } finally {
            hook.stop(0);
        }
    }

    /** An agent probing for scopes it is not registered for is throttled: R02's 429 slow_down, on this node. */
    @Test
    void scopeCreepAttemptThroughTheTokenEndpointIsThrottled() {
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0,
                judgedAtOnce(dir, new JsonObject()))) {
            TestAgent creeper = issuer.register(agent("creeper").scopes("read"));
            for (int i = 0; i < 3; i++) {
                assertEquals(400, issuer.clientCredentials(creeper, "scope", "admin").status());
            }
            eventually("a scope_probe alert", () -> alerts(issuer, "creeper").stream().map(JsonObject.class::cast)
                    .anyMatch(a -> MonitorSettings.SCOPE_PROBE.equals(a.getString("detector"))));
            assertEquals("active", status(issuer, "creeper"));
            issuer.clientCredentials(creeper, "scope", "read");
            TestIssuer.Response throttled = issuer.clientCredentials(creeper, "scope", "read");
            TestIssuer.assertError(throttled, 429, "slow_down", "too many requests from agent 'creeper'");
            assertTrue(throttled.header("Retry-After") != null);
        }
    }

    /** The monitor's cost per issuance: CPU of its own thread, none on the request path but one queue offer. */
    @Test
    void monitorCostPerIssuanceIsMeasuredOffTheRequestPath() {
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), 0, Map.of())) {
            TestAgent a = issuer.register(agent("busy"));
            int n = 300;
            for (int i = 0; i < n; i++) {
                issuer.tokenFor(a);
            }
            eventually("every issuance observed", () -> issuer.server.monitor().processed() >= n);
            double perIssuance = issuer.server.monitor().cpuNanos() / 1000.0 / n;
            System.out.printf("monitor thread CPU per issuance: %.1f us (%d observations, %d dropped)%n",
                    perIssuance, issuer.server.monitor().processed(), issuer.server.monitor().dropped());
            assertEquals(0, issuer.server.monitor().dropped());
        }
    }
}
