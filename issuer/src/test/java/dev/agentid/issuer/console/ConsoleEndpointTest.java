package dev.agentid.issuer.console;

import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's server side through real HTTP: its content policy, break-glass sign-in, the session cookie, CSRF and
 * Origin checks on state-changing calls, session expiry (the issuer's clock advanced, not slept), the paged inventory,
 * and that a console kill is audited with the session's actor. Sign-in through an OpenID Provider, roles and the
 * pages themselves are exercised in a real browser by interop-tests' ConsoleIT.
 */
class ConsoleEndpointTest {

    @TempDir
    static Path dataDir;
    static TestIssuer issuer;
    static String origin;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dataDir);
        URI uri = URI.create(issuer.url);
        origin = uri.getScheme() + "://" + uri.getRawAuthority();
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    record Session(String cookie, String csrf, String setCookie) {
    }

    static TestIssuer.Response get(String path, String cookie) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url + path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return issuer.send(b.build());
    }

    static TestIssuer.Response post(String path, String cookie, String csrf, String requestOrigin, JsonObject body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        if (csrf != null) {
            b.header(ConsoleSession.CSRF_HEADER, csrf);
        }
        if (requestOrigin != null) {
            b.header("Origin", requestOrigin);
        }
        return issuer.send(b.build());
    }

    static Session breakGlass() {
        TestIssuer.Response r = post("/console/login/break-glass", null, null, origin,
                new JsonObject().put("admin_token", TestIssuer.ADMIN_TOKEN));
        assertEquals(200, r.status(), r.body());
        String setCookie = r.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(Console.SESSION_COOKIE + "=")).findFirst().orElseThrow();
        String cookie = setCookie.split(";", 2)[0];
        TestIssuer.Response session = get("/console/api/session", cookie);
        assertEquals(200, session.status(), session.body());
        return new Session(cookie, session.json().getString("csrf_token"), setCookie);
    }

    static void assertError(TestIssuer.Response r, int status, String error) {
        assertEquals(status, r.status(), r.body());
        assertEquals(error, r.json().getString("error"), r.body());
        assertNotNull(r.json().getString("error_description"));
        assertEquals("no-store", r.header("Cache-Control"));
    }

    @Test
    void everyConsoleResponseCarriesAContentPolicyWithoutUnsafeInlineAndIsNeverFramed() {
        for (String path : List.of("/console/", "/console/app.js", "/console/app.css", "/console/api/session",
                "/console/api/config", "/console/nothing-here")) {
            TestIssuer.Response r = get(path, null);
            String csp = r.header("Content-Security-Policy");
            assertNotNull(csp, path);
            assertFalse(csp.contains("unsafe-inline"), path);
            assertFalse(csp.contains("unsafe-eval"), path);
            assertTrue(csp.contains("frame-ancestors 'none'"), path);
            assertTrue(csp.contains("script-src 'self'"), path);
            assertEquals("nosniff", r.header("X-Content-Type-Options"), path);
        }
        TestIssuer.Response page = get("/console/", null);
        assertEquals(200, page.status());
        assertTrue(page.header("Content-Type").startsWith("text/html"));
        assertFalse(page.body().contains("<script>"), "no inline script");
        assertFalse(page.body().contains("style="), "no inline style");
        assertFalse(java.util.regex.Pattern.compile("\\son[a-z]+\\s*=", java.util.regex.Pattern.CASE_INSENSITIVE)
                .matcher(page.body()).find(), "no inline event handler");
        assertFalse(page.body().contains("javascript:"), "no javascript: URL");
        assertTrue(get("/console/app.js", null).header("Content-Type").contains("javascript"));
        assertEquals(302, get("/console", null).status());
    }

    @Test
    void withoutAConsoleObjectInTheTrustFileOnlyBreakGlassIsOffered() {
        TestIssuer.Response config = get("/console/api/config", null);
        assertEquals(200, config.status());
        assertEquals(false, config.json().getBoolean("sign_in"));
        assertError(get("/console/login", null), 404, "not_found");
        assertError(get("/console/api/session", null), 401, "login_required");
        assertError(get("/console/api/agents", null), 401, "login_required");
    }

    @Test
    void breakGlassSignInSetsAStrictHttpOnlyCookieAndIsAuditedAsBreakGlass() {
        Session s = breakGlass();
        String attributes = s.setCookie().toLowerCase();
        assertTrue(attributes.contains("httponly"), s.setCookie());
        assertTrue(attributes.contains("samesite=strict"), s.setCookie());
        assertTrue(attributes.contains("path=/console"), s.setCookie());
        assertFalse(attributes.contains("secure"), "http issuer: no Secure attribute (" + s.setCookie() + ")");
        JsonObject session = get("/console/api/session", s.cookie()).json();
        assertEquals(ConsoleSession.BREAK_GLASS_ACTOR, session.getString("actor"));
        assertEquals(true, session.getBoolean("break_glass"));
        assertEquals(new JsonArray(List.of("approver", "operator", "viewer")), session.getJsonArray("roles"));
        JsonObject signIn = awaitAudit("type=console.signed_in");
        assertEquals(ConsoleSession.BREAK_GLASS_ACTOR, signIn.getJsonObject("fields").getString("by"));
        assertEquals("break_glass", signIn.getJsonObject("fields").getString("method"));
    }

    @Test
    void breakGlassIsRefusedWithAWrongTokenOrFromAnotherOrigin() {
        assertError(post("/console/login/break-glass", null, null, origin, new JsonObject().put("admin_token",
                "wrong")), 401, "invalid_token");
        assertError(post("/console/login/break-glass", null, null, "https://evil.example", new JsonObject()
                .put("admin_token", TestIssuer.ADMIN_TOKEN)), 403, "invalid_origin");
        assertError(post("/console/login/break-glass", null, null, null, new JsonObject()
                .put("admin_token", TestIssuer.ADMIN_TOKEN)), 403, "invalid_origin");
    }

    @Test
    void aStateChangingCallNeedsTheSessionsCsrfTokenAndThisOrigin() {
        issuer.register(agent("console-csrf"));
        Session s = breakGlass();
        String kill = "/console/api/agents/console-csrf/kill";
        JsonObject reason = new JsonObject().put("reason", "incident 42");
        assertError(post(kill, s.cookie(), null, origin, reason), 403, "invalid_csrf_token");
        assertError(post(kill, s.cookie(), "not-the-token", origin, reason), 403, "invalid_csrf_token");
        assertError(post(kill, s.cookie(), breakGlass().csrf(), origin, reason), 403, "invalid_csrf_token");
        assertError(post(kill, s.cookie(), s.csrf(), "https://evil.example", reason), 403, "invalid_origin");
        assertError(post(kill, s.cookie(), s.csrf(), null, reason), 403, "invalid_origin");
        assertEquals("active", issuer.admin("GET", "/admin/agents/console-csrf", null).json().getString("status"));

        TestIssuer.Response killed = post(kill, s.cookie(), s.csrf(), origin, reason);
        assertEquals(200, killed.status(), killed.body());
        assertEquals("killed", issuer.admin("GET", "/admin/agents/console-csrf", null).json().getString("status"));
        JsonObject record = awaitAudit("type=agent.killed&agent=console-csrf");
        assertEquals(ConsoleSession.BREAK_GLASS_ACTOR, record.getJsonObject("fields").getString("by"),
                "the console's actor, not 'admin'");
        assertEquals("incident 42", record.getJsonObject("fields").getString("reason"));

        TestIssuer.Response restored = post("/console/api/agents/console-csrf/restore", s.cookie(), s.csrf(), origin,
                reason);
        assertEquals(200, restored.status(), restored.body());
        assertEquals("active", issuer.admin("GET", "/admin/agents/console-csrf", null).json().getString("status"));
    }

    @Test
    void aSessionEndsAfterItsIdleTimeAndAtItsAbsoluteLifetime() {
        Session idle = breakGlass();
        issuer.clock.advance(ConsoleSettings.DEFAULT_IDLE.minusSeconds(10));
        assertEquals(200, get("/console/api/session", idle.cookie()).status(), "still within the idle time");
        issuer.clock.advance(ConsoleSettings.DEFAULT_IDLE.minusSeconds(10));
        assertEquals(200, get("/console/api/session", idle.cookie()).status(), "each request restarts the idle timer");
        issuer.clock.advance(ConsoleSettings.DEFAULT_IDLE);
        assertError(get("/console/api/session", idle.cookie()), 401, "login_required");

        Session busy = breakGlass();
        Instant end = issuer.clock.instant().plus(ConsoleSettings.DEFAULT_ABSOLUTE);
        while (issuer.clock.instant().plus(Duration.ofMinutes(10)).isBefore(end)) {
            issuer.clock.advance(Duration.ofMinutes(10));
            assertEquals(200, get("/console/api/session", busy.cookie()).status());
        }
        issuer.clock.advance(Duration.ofMinutes(10));
        assertError(get("/console/api/session", busy.cookie()), 401, "login_required");
    }

    @Test
    void behindHttpsTheSessionCookieIsSecure(@TempDir Path otherDir) {
        // an issuer whose public URL is https (TLS ended in front of it): the browser must only send the cookie over
        // https
        try (TestIssuer https = TestIssuer.start(otherDir, new dev.agentid.issuer.MutableClock(), 0,
                java.util.Map.of("ISSUER_URL", "https://console.example"))) {
            TestIssuer.Response r = https.send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + https.server.port()
                                    + "/console/login/break-glass"))
                    .header("Content-Type", "application/json").header("Origin", "https://console.example")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                            .put("admin_token", TestIssuer.ADMIN_TOKEN).encode())).build());
            assertEquals(200, r.status(), r.body());
            String setCookie = r.headers().allValues("Set-Cookie").stream()
                    .filter(c -> c.startsWith(Console.SESSION_COOKIE + "=")).findFirst().orElseThrow();
            assertTrue(setCookie.toLowerCase().contains("; secure"), setCookie);
        }
    }

    @Test
    void logoutEndsTheSession() {
        Session s = breakGlass();
        assertEquals(200, post("/console/api/logout", s.cookie(), s.csrf(), origin, new JsonObject()).status());
        assertError(get("/console/api/session", s.cookie()), 401, "login_required");
    }

    @Test
    void theInventoryIsPagedAndSearchedOnTheServer() {
        for (int i = 0; i < 12; i++) {
            issuer.register(agent(String.format("inv-page-%02d", i)).owner(i % 2 == 0 ? "team:even" : "team:odd"));
        }
        Session s = breakGlass();
        JsonObject page = get("/console/api/agents?q=inv-page&size=5&page=2", s.cookie()).json();
        assertEquals(12, page.getInteger("total"));
        assertEquals(5, page.getJsonArray("agents").size());
        assertEquals("inv-page-05", page.getJsonArray("agents").getJsonObject(0).getString("agent_id"));
        JsonObject row = page.getJsonArray("agents").getJsonObject(0);
        for (String field : List.of("owner", "status", "key_age_seconds", "live_tokens", "scopes", "audiences",
                "delegates", "review_due")) {
            assertTrue(row.containsKey(field), field + " in " + row);
        }
        JsonObject odd = get("/console/api/agents?q=TEAM:ODD", s.cookie()).json();
        assertEquals(6, odd.getInteger("total"));
        assertError(get("/console/api/agents?size=1000", s.cookie()), 400, "invalid_request");
        assertError(get("/console/api/agents/no-such-agent", s.cookie()), 404, "not_found");
    }

    static JsonObject awaitAudit(String query) {
        return AuditRecords.await(issuer, query);
    }
}
