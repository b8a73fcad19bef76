package dev.agentid.issuer.console;

import com.nimbusds.oauth2.sdk.pkce.CodeChallenge;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.federation.idp.TestIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's sign-in through an OpenID Provider, end to end over HTTP with a test provider whose token endpoint
 * checks the client secret, the redirect_uri and the PKCE verifier: the state (once, bound to the browser), the nonce,
 * the roles from the provider's groups, and a viewer refused what needs the operator role. The test plays the browser
 * (the real browser and panva/oidc-provider: interop-tests' ConsoleIT).
 */
class ConsoleSignInTest {

    static final String CLIENT_ID = "agentid-console";
    static final String SECRET = "console-secret-0123456789";

    @TempDir
    static Path dataDir;
    static TestIdp idp;
    static TestIssuer issuer;
    static String origin;
    /** code -> what the provider issued it for. */
    static final Map<String, Grant> CODES = new ConcurrentHashMap<>();
    /** What the test's "user" gets: sub, groups, and the nonce the id_token will carry (null: the request's). */
    static volatile Grant next;

    record Grant(String sub, List<String> groups, String nonce, String challenge, String redirectUri) {
    }

    @BeforeAll
    static void start() throws IOException {
        idp = TestIdp.start();
        idp.serve("/token", ConsoleSignInTest::token);
        Path trust = dataDir.resolve("trust.json");
        Files.writeString(trust, new JsonObject()
                .put("identity_providers", new JsonArray().add(idp.trustEntry()))
                .put("console", new JsonObject().put("idp", idp.issuer).put("client_id", CLIENT_ID)
                        .put("client_secret", SECRET).put("scopes", new JsonArray().add("openid").add("groups"))
                        .put("roles", new JsonObject()
                                .put("viewer", new JsonObject().put("groups", new JsonArray()
                                        .add(idp.issuer + "#security")))
                                .put("operator", new JsonObject().put("groups", new JsonArray()
                                        .add(idp.issuer + "#sre")))))
                .encode());
        issuer = TestIssuer.start(dataDir.resolve("issuer"), new MutableClock(), 0,
                Map.of("ISSUER_TRUST_FILE", trust.toString()));
        URI uri = URI.create(issuer.url);
        origin = uri.getScheme() + "://" + uri.getRawAuthority();
    }

    @AfterAll
    static void stop() {
        issuer.close();
        idp.close();
    }

    /** The provider's token endpoint: client_secret_basic, the code once, the same redirect_uri, PKCE S256. */
    static void token(com.sun.net.httpserver.HttpExchange x) throws IOException {
        Map<String, String> form = new HashMap<>();
        for (String pair : new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            String[] kv = pair.split("=", 2);
            form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        String basic = "Basic " + Base64.getEncoder().encodeToString((URLEncoder.encode(CLIENT_ID,
                StandardCharsets.UTF_8) + ":" + URLEncoder.encode(SECRET, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8));
        Grant grant = CODES.remove(String.valueOf(form.get("code")));
        String error = !basic.equals(x.getRequestHeaders().getFirst("Authorization")) ? "invalid_client"
                : grant == null || !"authorization_code".equals(form.get("grant_type")) ? "invalid_grant"
                : !grant.redirectUri().equals(form.get("redirect_uri")) ? "invalid_grant"
                : !CodeChallenge.compute(CodeChallengeMethod.S256, new CodeVerifier(form.get("code_verifier")))
                        .getValue().equals(grant.challenge()) ? "invalid_grant" : null;
        JsonObject body = error != null ? new JsonObject().put("error", error) : new JsonObject()
                .put("access_token", UUID.randomUUID().toString()).put("token_type", "Bearer").put("expires_in", 600)
                .put("id_token", idp.idToken(idp.claims(grant.sub()).audience(CLIENT_ID).claim("nonce", grant.nonce())
                        .claim("groups", grant.groups()).build()));
        byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.getResponseHeaders().add("Cache-Control", "no-store");
        x.sendResponseHeaders(error == null ? 200 : 400, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    static TestIssuer.Response get(String pathOrUrl, String cookie) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pathOrUrl.startsWith("http") ? pathOrUrl
                : issuer.url + pathOrUrl)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return issuer.send(b.build());
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> q = new HashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            q.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return q;
    }

    static String cookie(TestIssuer.Response r, String name) {
        return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(name + "="))
                .map(c -> c.split(";", 2)[0]).filter(c -> !c.equals(name + "=")).findFirst().orElse(null);
    }

    /** The sign-in's first half: the console's redirect to the provider, and the browser-binding cookie. */
    record Started(Map<String, String> request, String browserCookie) {
    }

    static Started startSignIn(String user) {
        TestIssuer.Response r = get("/console/login?login_hint=" + user, null);
        assertEquals(302, r.status(), r.body());
        URI location = URI.create(r.header("Location"));
        assertTrue(location.toString().startsWith(idp.issuer + "/auth?"), location.toString());
        return new Started(query(location), cookie(r, Console.SIGN_IN_COOKIE));
    }

    /** The provider authenticates {@code user} and redirects back with a code. */
    static String code(Started s, String sub, List<String> groups, String nonce) {
        String code = UUID.randomUUID().toString();
        CODES.put(code, new Grant(sub, groups, nonce == null ? s.request().get("nonce") : nonce,
                s.request().get("code_challenge"), s.request().get("redirect_uri")));
        return code;
    }

    static TestIssuer.Response callback(Started s, String code, String state, String browserCookie) {
        return get("/console/callback?code=" + code + "&state=" + URLEncoder.encode(state, StandardCharsets.UTF_8)
                + "&iss=" + URLEncoder.encode(idp.issuer, StandardCharsets.UTF_8), browserCookie);
    }

    /** A whole sign-in; the session cookie. */
    static String signIn(String sub, List<String> groups) {
        Started s = startSignIn(sub);
        TestIssuer.Response r = callback(s, code(s, sub, groups, null), s.request().get("state"), s.browserCookie());
        assertEquals(302, r.status(), r.body());
        assertEquals("/console/", r.header("Location"));
        String session = cookie(r, Console.SESSION_COOKIE);
        assertNotNull(session, r.headers().toString());
        return session;
    }

    static void assertSignInRefused(TestIssuer.Response r, String error) {
        assertEquals(302, r.status(), r.body());
        assertTrue(r.header("Location").startsWith("/console/?sign_in_error=" + error + "&"), r.header("Location"));
        assertEquals(null, cookie(r, Console.SESSION_COOKIE));
    }

    @Test
    void theAuthorizationRequestIsACodeFlowWithPkceS256StateAndNonce() {
        Map<String, String> q = startSignIn("victor").request();
        assertEquals("code", q.get("response_type"));
        assertEquals(CLIENT_ID, q.get("client_id"));
        assertEquals(issuer.url + "/console/callback", q.get("redirect_uri"));
        assertEquals("openid groups", q.get("scope"));
        assertEquals("S256", q.get("code_challenge_method"));
        assertEquals(43, q.get("code_challenge").length());
        assertTrue(q.get("state").length() >= 43 && q.get("nonce").length() >= 43);
        assertEquals("victor", q.get("login_hint"));
    }

    @Test
    void aViewerSignsInAndIsRefusedAKillThatAnOperatorMayDo() {
        issuer.register(agent("signin-target"));
        String viewer = signIn("victor", List.of("security"));
        JsonObject session = get("/console/api/session", viewer).json();
        assertEquals(idp.principal("victor"), session.getString("actor"));
        assertEquals(new JsonArray().add("viewer"), session.getJsonArray("roles"));
        assertEquals(false, session.getBoolean("break_glass"));
        assertEquals(200, get("/console/api/agents", viewer).status(), "a viewer reads");
        TestIssuer.Response refused = kill(viewer, session.getString("csrf_token"));
        assertEquals(403, refused.status(), refused.body());
        assertEquals(new JsonObject().put("error", "forbidden").put("error_description",
                "this needs the operator role"), refused.json());
        assertEquals("active", issuer.admin("GET", "/admin/agents/signin-target", null).json().getString("status"));

        String operator = signIn("olivia", List.of("sre"));
        TestIssuer.Response killed = kill(operator, get("/console/api/session", operator).json()
                .getString("csrf_token"));
        assertEquals(200, killed.status(), killed.body());
        JsonObject record = AuditRecords.await(issuer, "type=agent.killed&agent=signin-target");
        assertEquals(idp.principal("olivia"), record.getJsonObject("fields").getString("by"));
        TestIssuer.Response approve = post("/console/api/approvals/nope/approve", operator,
                get("/console/api/session", operator).json().getString("csrf_token"));
        assertEquals(403, approve.status(), "an operator is no approver: " + approve.body());
    }

    @Test
    void theClusterViewReportsReadinessAndTheIdentityProvidersAvailability() {
        JsonObject cluster = get("/console/api/cluster", signIn("victor", List.of("security"))).json();
        assertEquals(true, cluster.getBoolean("ready"));
        assertEquals(false, cluster.getBoolean("clustered"));
        assertEquals(new JsonArray().add(new JsonObject().put("issuer", idp.issuer).put("available", true)),
                cluster.getJsonArray("identity_providers"));
        assertEquals(new JsonArray(), cluster.getJsonArray("partners"));
        assertEquals(new JsonArray(), cluster.getJsonArray("partner_status_lists"));
        assertTrue(cluster.getJsonObject("status_lists").getInteger("ttl_seconds") > 0);
    }

    static TestIssuer.Response kill(String session, String csrf) {
        return post("/console/api/agents/signin-target/kill", session, csrf);
    }

    static TestIssuer.Response post(String path, String session, String csrf) {
        return issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + path)).header("Cookie", session)
                .header(ConsoleSession.CSRF_HEADER, csrf).header("Origin", origin)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"test\"}")).build());
    }

    @Test
    void aStateIsUsedOnceAndOnlyByTheBrowserThatStartedTheSignIn() {
        Started s = startSignIn("victor");
        String state = s.request().get("state");
        assertSignInRefused(callback(s, code(s, "victor", List.of("security"), null), state, null), "invalid_state");
        Started t = startSignIn("victor");
        assertSignInRefused(callback(t, code(t, "victor", List.of("security"), null), t.request().get("state"),
                s.browserCookie()), "invalid_state");
        Started u = startSignIn("victor");
        assertEquals(302, callback(u, code(u, "victor", List.of("security"), null), u.request().get("state"),
                u.browserCookie()).status());
        assertSignInRefused(callback(u, code(u, "victor", List.of("security"), null), u.request().get("state"),
                u.browserCookie()), "invalid_state");
    }

    @Test
    void anIdTokenWithAnotherNonceOrAHumanWithoutARoleIsRefused() {
        Started s = startSignIn("victor");
        assertSignInRefused(callback(s, code(s, "victor", List.of("security"), "another-nonce"),
                s.request().get("state"), s.browserCookie()), "access_denied");
        Started t = startSignIn("mallory");
        assertSignInRefused(callback(t, code(t, "mallory", List.of("everyone"), null), t.request().get("state"),
                t.browserCookie()), "no_role");
    }
}
