package dev.agentid.issuer.approval;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.federation.idp.TestIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Human approval through the real endpoints (profile section 6.13): an A -> B -> C chain whose last hop needs approval,
 * the backchannel endpoint, CIBA polling with an injected clock (pending, slow_down, expiry), approvers identified by a
 * trusted OpenID Provider's id_token or the admin token (break-glass), four eyes, the apv record in the token, the
 * audit trail, and every P row of the refusal table (the last check).
 */
class ApprovalFlowTest {

    static final String API = "https://api.example";
    static final String BANK = "https://bank.example";
    static final String PARTNER = "https://partner.example";
    static final String CIBA = "urn:openid:params:grant-type:ciba";
    static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestIssuer issuer;
    static HttpServer hook;
    static final LinkedBlockingQueue<String> HOOKED = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        idp = TestIdp.start();
        hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", x -> {
            HOOKED.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        hook.start();
        Path trust = dir.resolve("trust.json");
        Files.writeString(trust, new JsonObject()
                .put("identity_providers", new JsonArray().add(idp.trustEntry()))
                .put("partners", new JsonArray().add(new JsonObject().put("issuer", PARTNER)
                        .put("agents", new JsonObject()).put("scopes", new JsonArray().add("read"))
                        .put("subjects", new JsonArray().add("user:*"))))
                .encode());
        issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0, Map.of(
                "ISSUER_TRUST_FILE", trust.toString(),
                "ISSUER_APPROVAL_WEBHOOK", "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"));
    }

    @AfterAll
    static void stop() {
        issuer.close();
        idp.close();
        hook.stop(0);
        assertEquals(RefusalTable.idsOf(RefusalTable.APPROVAL_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.APPROVAL_PREFIXES), "every P row of the refusal table has a test");
    }

    // ---- fixtures ----

    static String owner() {
        return idp.principal("olivia");
    }

    /** A's policy-free chain head, B in the middle, C whose payments above 1000 EUR and bank audience need approval. */
    record Chain(TestAgent a, TestAgent b, TestAgent c) {
    }

    static Chain chain(JsonObject approval) {
        int n = SEQ.incrementAndGet();
        TestAgent c = agent("c" + n).owner(owner()).scopes("read", "write").audiences(API, BANK).build();
        c.registration.put("approval", approval);
        assertEquals(201, issuer.admin("POST", "/admin/agents", c.registration).status());
        TestAgent b = issuer.register(agent("b" + n).owner(owner()).scopes("read", "write").delegates(c.id));
        TestAgent a = issuer.register(agent("a" + n).owner(owner()).scopes("read", "write").delegates(b.id));
        return new Chain(a, b, c);
    }

    static JsonObject policy() {
        return new JsonObject()
                .put("audiences", new JsonArray().add(BANK))
                .put("authorization_details", new JsonArray().add(new JsonObject().put("type", "payment")
                        .put("field", "amount").put("above", 1000).put("currency", "EUR")))
                .put("approvers", new JsonObject().put("owner", true)
                        .put("groups", new JsonArray().add(idp.principal("finance"))))
                .put("lifetime_seconds", 120).put("pending_seconds", 300).put("interval_seconds", 5);
    }

    static String payment(int amount) {
        return new JsonArray().add(new JsonObject().put("type", "payment").put("amount", amount)
                .put("currency", "EUR")).encode();
    }

    /** B's token of the chain, holding a payment of {@code amount} EUR from A's root token. */
    static String bToken(Chain ch, int amount) {
        String root = tokenFor(ch.a(), "authorization_details", payment(amount));
        return exchanged(ch.b(), root);
    }

    /**
     * Form parameters authenticated as {@code agent}: the assertion expires a minute after the issuer's clock (which
     * the tests move forward, at most a few minutes in all) and was issued at the real time, so that it is acceptable
     * by both.
     */
    static Map<String, String> as(TestAgent agent, String... keyValues) {
        Instant now = issuer.clock.instant();
        Map<String, String> params = new java.util.LinkedHashMap<>();
        params.put("client_assertion_type", TestIssuer.JWT_BEARER);
        params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(agent.id)
                .subject(agent.id).audience(issuer.url).expirationTime(Date.from(now.plusSeconds(60)))
                .issueTime(new Date()).jwtID(java.util.UUID.randomUUID().toString()).build(), agent.key));
        for (int i = 0; i < keyValues.length; i += 2) {
            params.put(keyValues[i], keyValues[i + 1]);
        }
        return params;
    }

    static TestIssuer.Response clientCredentials(TestAgent agent, String... extra) {
        Map<String, String> params = as(agent, extra);
        params.put("grant_type", "client_credentials");
        return issuer.token(params);
    }

    static String tokenFor(TestAgent agent, String... extra) {
        TestIssuer.Response r = clientCredentials(agent, extra);
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    static TestIssuer.Response exchange(TestAgent client, String subjectToken, String... extra) {
        Map<String, String> params = as(client, "grant_type", TestIssuer.EXCHANGE, "subject_token", subjectToken,
                "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
        for (int i = 0; i < extra.length; i += 2) {
            params.put(extra[i], extra[i + 1]);
        }
        return issuer.token(params);
    }

    static String exchanged(TestAgent client, String subjectToken, String... extra) {
        TestIssuer.Response r = exchange(client, subjectToken, extra);
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    static TestIssuer.Response backchannel(TestAgent client, String subjectToken, String... extra) {
        Map<String, String> params = as(client, "subject_token", subjectToken,
                "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
        for (int i = 0; i < extra.length; i += 2) {
            params.put(extra[i], extra[i + 1]);
        }
        return issuer.post("/oauth2/bc-authorize", "application/x-www-form-urlencoded", TestIssuer.form(params));
    }

    static String started(TestAgent client, String subjectToken, String... extra) {
        TestIssuer.Response r = backchannel(client, subjectToken, extra);
        assertEquals(200, r.status(), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals(Set.of("auth_req_id", "expires_in", "interval"), r.json().fieldNames());
        return r.json().getString("auth_req_id");
    }

    static TestIssuer.Response poll(TestAgent client, String id) {
        return issuer.token(as(client, "grant_type", CIBA, "auth_req_id", id));
    }

    static String idToken(String sub, String... groups) {
        Instant now = issuer.clock.instant();
        return idp.idToken(idp.claims(sub).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)))
                .claim("groups", List.of(groups)).build());
    }

    static TestIssuer.Response decide(String id, String verb, String approverToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url + "/admin/approvals/" + id + "/" + verb))
                .header("Content-Type", "application/json");
        JsonObject body = new JsonObject();
        if (approverToken == null) {
            b.header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN);
        } else {
            body.put("approver_token", approverToken);
        }
        return issuer.send(b.POST(HttpRequest.BodyPublishers.ofString(body.encode())).build());
    }

    static JWTClaimsSet claims(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> act(JWTClaimsSet claims) throws Exception {
        return claims.getJSONObjectClaim("act");
    }

    static JsonArray audit(String query) {
        TestIssuer.Response r = issuer.admin("GET", "/admin/audit?" + query, null);
        assertEquals(200, r.status(), r.body());
        return r.json().getJsonArray("events");
    }

    static List<String> types(JsonArray events) {
        List<String> types = new ArrayList<>();
        events.forEach(e -> types.add(((JsonObject) e).getString("type")));
        return types;
    }

    static String q(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8);
    }

    // ---- the flow ----

    @Test
    void lastHopAboveTheThresholdIsHeldApprovedByTheOwnerAndCarriesTheApproval() throws Exception {
        Chain ch = chain(policy());
        String b = bToken(ch, 5000);
        RefusalTable.assertRow(exchange(ch.c(), b, "audience", API), "P01",
                "reasons", "payment amount 5000 above 1000 EUR", "issuer", issuer.url);

        HOOKED.clear();
        TestIssuer.Response ack = backchannel(ch.c(), b, "audience", API);
        assertEquals(200, ack.status(), ack.body());
        assertEquals(300, ack.json().getInteger("expires_in"));
        assertEquals(5, ack.json().getInteger("interval"));
        String id = ack.json().getString("auth_req_id");
        String hooked = HOOKED.poll(10, TimeUnit.SECONDS);
        assertNotNull(hooked, "the webhook is told of the pending request");
        JsonObject notified = new JsonObject(hooked);
        assertEquals("approval.requested", notified.getString("event"));
        assertEquals(id, notified.getJsonObject("request").getString("id"));
        assertFalse(hooked.contains(b), "no token in the webhook's payload");
        assertFalse(hooked.contains("subject_token"));

        RefusalTable.assertRow(poll(ch.c(), id), "P09");
        RefusalTable.assertRow(poll(ch.c(), id), "P10", "interval", "5");   // at once: too fast
        issuer.clock.advance(Duration.ofSeconds(9));
        RefusalTable.assertRow(poll(ch.c(), id), "P10", "interval", "10");   // the interval grew by 5 s
        issuer.clock.advance(Duration.ofSeconds(15));
        RefusalTable.assertRow(poll(ch.c(), id), "P09");

        // the approver sees it, with the whole chain
        TestIssuer.Response listed = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/approvals"))
                .header("Authorization", "Bearer " + idToken("olivia")).GET().build());
        assertEquals(200, listed.status(), listed.body());
        JsonObject view = listed.json().getJsonArray("approvals").stream().map(o -> (JsonObject) o)
                .filter(o -> o.getString("id").equals(id)).findFirst().orElseThrow();
        assertEquals(ch.c().id, view.getString("agent"));
        assertEquals(owner(), view.getString("principal"));
        assertEquals(List.of(ch.c().id, ch.b().id, ch.a().id), view.getJsonArray("chain").stream()
                .map(o -> ((JsonObject) o).getString("sub")).toList());
        assertEquals(new JsonArray(payment(5000)), view.getJsonArray("authorization_details"));
        assertFalse(listed.body().contains(b), "no token in the approver's view");

        Instant before = issuer.clock.instant();
        TestIssuer.Response approved = decide(id, "approve", idToken("olivia"));
        Instant after = issuer.clock.instant();
        assertEquals(200, approved.status(), approved.body());
        assertEquals("approved", approved.json().getString("state"));
        // the issuer's clock keeps ticking: the decision's own time, not one read around the request
        Instant decided = Instant.parse(approved.json().getString("decided_at"));
        assertFalse(decided.isBefore(before.truncatedTo(ChronoUnit.SECONDS)) || decided.isAfter(after),
                decided + " not within the request " + before + " .. " + after);
        issuer.clock.advance(Duration.ofSeconds(10));
        TestIssuer.Response token = poll(ch.c(), id);
        assertEquals(200, token.status(), token.body());
        JWTClaimsSet claims = claims(token.json().getString("access_token"));
        Map<String, Object> act = act(claims);
        assertEquals(ch.c().id, act.get("sub"));
        assertEquals(Map.of("id", id, "approver", owner(), "iat", decided.getEpochSecond()), act.get("apv"));
        assertFalse(((Map<?, ?>) act.get("act")).containsKey("apv"), "only the approved actor's level");
        assertTrue(!claims.getExpirationTime().toInstant().isAfter(decided.plusSeconds(120)),
                "the approval's window caps the lifetime");
        assertEquals(List.of(Map.of("type", "payment", "amount", 5000L, "currency", "EUR")),
                claims.getListClaim("authorization_details"));

        RefusalTable.assertRow(poll(ch.c(), id), "P13");

        // request, approval and issuance, linked by lineage
        JsonArray trail = audit("lineage=" + q(claims.getJWTID()));
        List<String> kinds = types(trail);
        assertTrue(kinds.containsAll(List.of("approval.requested", "approval.approved", "token.issued")), kinds.toString());
        JsonObject issued = trail.stream().map(o -> (JsonObject) o)
                .filter(o -> o.getString("type").equals("token.issued")
                        && claims.getJWTID().equals(o.getJsonObject("fields").getString("jti")))
                .findFirst().orElseThrow();
        assertEquals(id, issued.getJsonObject("fields").getString("approval"));
        JsonObject approval = trail.stream().map(o -> (JsonObject) o)
                .filter(o -> o.getString("type").equals("approval.approved")).findFirst().orElseThrow();
        assertEquals(owner(), approval.getJsonObject("fields").getString("approver"));
        assertEquals(false, approval.getJsonObject("fields").getBoolean("break_glass"));
    }

    @Test
    void paymentBelowTheThresholdNeedsNoApproval() throws Exception {
        Chain ch = chain(policy());
        String b = bToken(ch, 999);
        String c = exchanged(ch.c(), b, "audience", API);
        assertNull(act(claims(c)).get("apv"));
        RefusalTable.assertRow(backchannel(ch.c(), b, "audience", API), "P06");
    }

    @Test
    void audienceThatNeedsApprovalIsHeldWhateverTheAmount() {
        Chain ch = chain(policy());
        RefusalTable.assertRow(exchange(ch.c(), bToken(ch, 1), "audience", BANK), "P01",
                "reasons", "audience '" + BANK + "'", "issuer", issuer.url);
    }

    @Test
    void ownerApprovingOwnRequestUnderFourEyesIsRefused() throws Exception {
        JsonObject fourEyes = policy().put("four_eyes", true);
        fourEyes.getJsonObject("approvers").put("owner", false);
        Chain ch = chain(fourEyes);
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        TestIssuer.Response own = decide(id, "approve", idToken("olivia", "finance"));
        TestIssuer.assertError(own, 403, "access_denied", "four eyes: '" + owner()
                + "' may not approve a request of their own agent or on their own behalf");
        TestIssuer.Response other = decide(id, "approve", idToken("frank", "finance"));
        assertEquals(200, other.status(), other.body());
        issuer.clock.advance(Duration.ofSeconds(6));
        TestIssuer.Response token = poll(ch.c(), id);
        assertEquals(200, token.status(), token.body());
        assertEquals(idp.principal("frank"), ((Map<?, ?>) act(claims(token.json().getString("access_token")))
                .get("apv")).get("approver"));
    }

    @Test
    void approverOutsideThePolicyIsRefused() {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        TestIssuer.assertError(decide(id, "approve", idToken("mallory", "sales")), 403, "access_denied",
                "'" + idp.principal("mallory") + "' is not an approver of agent '" + ch.c().id + "'");
    }

    @Test
    void forgedApproverTokenIsRefused() {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        String forged = idToken("olivia");
        forged = forged.substring(0, forged.lastIndexOf('.') + 1) + "AAAA";
        TestIssuer.assertError(decide(id, "approve", forged), 401, "invalid_token",
                "the approver's token is not a valid id_token of a trusted identity provider");
    }

    @Test
    void breakGlassApprovalIsRecordedAsSuch() throws Exception {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        assertEquals(200, decide(id, "approve", null).status());
        issuer.clock.advance(Duration.ofSeconds(6));
        TestIssuer.Response token = poll(ch.c(), id);
        assertEquals(200, token.status(), token.body());
        assertEquals("break-glass:admin", ((Map<?, ?>) act(claims(token.json().getString("access_token")))
                .get("apv")).get("approver"));
        JsonObject approved = audit("type=approval.approved&agent=" + ch.c().id).getJsonObject(0);
        assertEquals(true, approved.getJsonObject("fields").getBoolean("break_glass"));
    }

    @Test
    void deniedRequestAnswersAccessDenied() {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        assertEquals(200, decide(id, "deny", idToken("olivia")).status());
        RefusalTable.assertRow(poll(ch.c(), id), "P11");
        TestIssuer.assertError(decide(id, "approve", idToken("olivia")), 409, "approval_not_pending",
                "approval request '" + id + "' is denied");
        assertEquals(List.of("approval.denied"), types(audit("type=approval.denied&agent=" + ch.c().id)));
    }

    @Test
    void approversReasonIsInTheDecisionsAuditRecordAndAMalformedOneIsRefused() {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        HttpRequest.Builder malformed = HttpRequest.newBuilder(URI.create(issuer.url + "/admin/approvals/" + id
                + "/deny")).header("Content-Type", "application/json");
        TestIssuer.Response refused = issuer.send(malformed.POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                .put("approver_token", idToken("olivia")).put("reason", "line one\nforged line").encode())).build());
        assertEquals(400, refused.status(), refused.body());
        assertEquals("invalid_request", refused.json().getString("error"));
        TestIssuer.Response denied = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/approvals/"
                + id + "/deny")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                new JsonObject().put("approver_token", idToken("olivia")).put("reason", "not during the freeze")
                        .encode())).build());
        assertEquals(200, denied.status(), denied.body());
        JsonObject record = audit("type=approval.denied&agent=" + ch.c().id).getJsonObject(0).getJsonObject("fields");
        assertEquals("not during the freeze", record.getString("decision_reason"));
        assertEquals(idp.principal("olivia"), record.getString("approver"));
    }

    @Test
    void requestUndecidedPastItsExpiryAnswersExpiredToken() {
        Chain ch = chain(policy().put("pending_seconds", 10));
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        issuer.clock.advance(Duration.ofSeconds(11));
        RefusalTable.assertRow(poll(ch.c(), id), "P12");
        TestIssuer.assertError(decide(id, "approve", idToken("olivia")), 409, "approval_not_pending",
                "approval request '" + id + "' is expired");
        assertEquals(List.of("approval.expired"), types(audit("type=approval.expired&agent=" + ch.c().id)));
    }

    @Test
    void approvalNotRedeemedWithinItsWindowExpires() {
        Chain ch = chain(policy().put("lifetime_seconds", 5));
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        assertEquals(200, decide(id, "approve", idToken("olivia")).status());
        issuer.clock.advance(Duration.ofSeconds(6));
        RefusalTable.assertRow(poll(ch.c(), id), "P12");
    }

    @Test
    void otherClientPollingAuthReqIdIsRefused() {
        Chain ch = chain(policy());
        String id = started(ch.c(), bToken(ch, 5000), "audience", API);
        assertEquals(200, decide(id, "approve", idToken("olivia")).status());
        RefusalTable.assertRow(poll(ch.b(), id), "P08");
        RefusalTable.assertRow(poll(ch.c(), "no-such-request-0123456789"), "P08");
    }

    @Test
    void approvalReusedForWiderScopeIsRefused() throws Exception {
        int n = SEQ.incrementAndGet();
        TestAgent d = issuer.register(agent("d" + n).owner("user:dave").scopes("read", "write").audiences(API, BANK));
        TestAgent c = agent("c" + n).owner(owner()).scopes("read", "write").audiences(API, BANK).delegates(d.id)
                .build();
        c.registration.put("approval", policy());
        assertEquals(201, issuer.admin("POST", "/admin/agents", c.registration).status());
        TestAgent b = issuer.register(agent("b" + n).owner(owner()).scopes("read", "write").delegates(c.id));
        TestAgent a = issuer.register(agent("a" + n).owner(owner()).scopes("read", "write").delegates(b.id));
        String root = tokenFor(a, "authorization_details", payment(5000));
        String bt = exchanged(b, root, "scope", "read");
        String id = started(c, bt, "audience", BANK);
        assertEquals(200, decide(id, "approve", idToken("olivia")).status());
        issuer.clock.advance(Duration.ofSeconds(6));
        TestIssuer.Response approved = poll(c, id);
        assertEquals(200, approved.status(), approved.body());
        String ct = approved.json().getString("access_token");

        // the delegate keeps the approval within what was approved, and no further
        TestIssuer.assertError(exchange(d, ct, "audience", BANK, "scope", "write"), 400, "invalid_scope",
                "scope 'write' exceeds the subject_token's scope");
        RefusalTable.assertRow(exchange(d, ct, "audience", API), "P02", "id", id, "audience", BANK);
        RefusalTable.assertRow(exchange(d, ct, "audience", BANK, "authorization_details", payment(9000)),
                "P03");
        String dt = exchanged(d, ct, "audience", BANK);
        Map<String, Object> act = act(claims(dt));
        assertNull(act.get("apv"));
        assertEquals(id, ((Map<?, ?>) ((Map<?, ?>) act.get("act")).get("apv")).get("id"), "the derived token keeps it");
    }

    @Test
    void tooManyAuthorizationDetailsAreRefused() {
        Chain ch = chain(policy());
        JsonArray many = new JsonArray();
        for (int i = 0; i < 17; i++) {
            many.add(new JsonObject().put("type", "payment").put("amount", i));
        }
        RefusalTable.assertRow(clientCredentials(ch.a(), "authorization_details", many.encode()), "P05");
    }

    @Test
    void detailsDoNotCrossToAPartner() {
        Chain ch = chain(policy());
        String root = tokenFor(ch.a(), "authorization_details", payment(5));
        RefusalTable.assertRow(exchange(ch.b(), root, "audience", PARTNER, "authorization_details",
                payment(5)), "P04");
        RefusalTable.assertRow(backchannel(ch.b(), root, "audience", PARTNER), "P07");
    }

    @Test
    void metadataAdvertisesCibaPollMode() {
        TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                + "/.well-known/oauth-authorization-server")).GET().build());
        JsonObject md = r.json();
        assertEquals(issuer.url + "/oauth2/bc-authorize", md.getString("backchannel_authentication_endpoint"));
        assertEquals(new JsonArray().add("poll"), md.getJsonArray("backchannel_token_delivery_modes_supported"));
        assertTrue(md.getJsonArray("grant_types_supported").contains(CIBA));
    }

    @Test
    void registrationWithAnInvalidPolicyIsRefusedNamingTheField() {
        TestAgent bad = agent("bad" + SEQ.incrementAndGet()).owner(owner()).audiences(API, BANK).build();
        bad.registration.put("approval", policy().put("four_eyes", true));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", bad.registration);
        assertEquals(400, r.status(), r.body());
        assertEquals(new JsonObject().put("error", "invalid_request").put("error_description",
                        "approval.four_eyes forbids the owner to approve, but approval.approvers.owner is true")
                .put("field", "approval"), r.json());
        bad.registration.put("approval", policy().put("scopes", new JsonArray().add("admin-only")));
        assertEquals("approval.scopes names 'admin-only', which is not one of the agent's scopes",
                issuer.admin("POST", "/admin/agents", bad.registration).json().getString("error_description"));
    }

    @Test
    void policyIsShownInTheInventory() {
        Chain ch = chain(policy());
        JsonObject shown = issuer.admin("GET", "/admin/agents/" + ch.c().id, null).json().getJsonObject("approval");
        assertEquals(List.of(BANK), shown.getJsonArray("audiences").getList());
        assertEquals(1000, shown.getJsonArray("authorization_details").getJsonObject(0).getInteger("above"));
        assertEquals(false, shown.getBoolean("four_eyes"));
    }

    @Test
    void afterEnoughApprovalsOfAKindTheNextIsApprovedAutomaticallyAndAnyDenialResets() throws Exception {
        Chain ch = chain(policy().put("autonomy", new JsonObject().put("after", 2).put("window_seconds", 3600)));
        for (int i = 0; i < 2; i++) {
            String id = started(ch.c(), bToken(ch, 5000), "audience", API);
            assertEquals(200, decide(id, "approve", idToken("olivia")).status());
            assertEquals(200, poll(ch.c(), id).status());
        }
        String auto = started(ch.c(), bToken(ch, 7000), "audience", API);
        TestIssuer.Response token = poll(ch.c(), auto);
        assertEquals(200, token.status(), token.body());
        assertEquals("auto:graduated-autonomy", ((Map<?, ?>) act(claims(token.json().getString("access_token")))
                .get("apv")).get("approver"));
        assertTrue(audit("type=approval.approved&agent=" + ch.c().id).stream().anyMatch(e -> "auto:graduated-autonomy"
                .equals(((JsonObject) e).getJsonObject("fields").getString("approver"))), "recorded as automatic");

        // a denial of another kind of request resets every count of the agent
        String bank = started(ch.c(), bToken(ch, 1), "audience", BANK);
        assertEquals(200, decide(bank, "deny", idToken("olivia")).status());
        String after = started(ch.c(), bToken(ch, 5000), "audience", API);
        RefusalTable.assertRow(poll(ch.c(), after), "P09");
    }

    /** A DPoP proof for {@code path} of the issuer, its iat from the issuer's clock. */
    static String dpop(com.nimbusds.jose.jwk.ECKey key, String path) throws Exception {
        return new com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory(key, com.nimbusds.jose.JWSAlgorithm.ES256)
                .createDPoPJWT(new com.nimbusds.oauth2.sdk.id.JWTID(), "POST", URI.create(issuer.url + path),
                        Date.from(issuer.clock.instant()), null).serialize();
    }

    @Test
    void dpopBoundAgentStartsWithAProofForTheBackchannelEndpointAndGetsADpopBoundToken() throws Exception {
        int n = SEQ.incrementAndGet();
        TestAgent c = agent("dc" + n).owner(owner()).scopes("read", "write").audiences(API).build();
        c.registration.put("approval", new JsonObject().put("scopes", new JsonArray().add("write"))
                .put("approvers", new JsonObject().put("owner", true)));
        c.registration.put("dpop_bound_access_tokens", true);
        assertEquals(201, issuer.admin("POST", "/admin/agents", c.registration).status());
        TestAgent a = issuer.register(agent("da" + n).owner(owner()).scopes("read", "write").delegates(c.id));
        String root = tokenFor(a);
        com.nimbusds.jose.jwk.ECKey holder = TestAgent.newKey();

        Map<String, String> form = as(c, "subject_token", root, "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
        TestIssuer.Response withoutProof = issuer.post("/oauth2/bc-authorize", "application/x-www-form-urlencoded",
                TestIssuer.form(form));
        assertEquals(400, withoutProof.status(), withoutProof.body());
        TestIssuer.Response tokenEndpointProof = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                        + "/oauth2/bc-authorize")).header("Content-Type", "application/x-www-form-urlencoded")
                .header("DPoP", dpop(holder, "/oauth2/token"))
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(as(c, "subject_token", root,
                        "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE)))).build());
        assertEquals(400, tokenEndpointProof.status(), "a proof for the token endpoint is not one for this endpoint");

        TestIssuer.Response started = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/bc-authorize"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("DPoP", dpop(holder, "/oauth2/bc-authorize"))
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(as(c, "subject_token", root,
                        "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE)))).build());
        assertEquals(200, started.status(), started.body());
        String id = started.json().getString("auth_req_id");
        assertEquals(200, decide(id, "approve", idToken("olivia")).status());
        TestIssuer.Response token = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("DPoP", dpop(holder, "/oauth2/token"))
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(as(c, "grant_type", CIBA,
                        "auth_req_id", id)))).build());
        assertEquals(200, token.status(), token.body());
        assertEquals("DPoP", token.json().getString("token_type"));
        JWTClaimsSet claims = claims(token.json().getString("access_token"));
        assertEquals(holder.computeThumbprint().toString(), claims.getJSONObjectClaim("cnf").get("jkt"));
        assertEquals(id, ((Map<?, ?>) act(claims).get("apv")).get("id"));
    }

    @Test
    void agentFloodingTheBackchannelEndpointIsCappedAtTwentyPendingRequests() {
        Chain ch = chain(policy());
        String b = bToken(ch, 5000);
        for (int i = 0; i < 20; i++) {
            started(ch.c(), b, "audience", API);
        }
        RefusalTable.assertRow(backchannel(ch.c(), b, "audience", API), "P14", "agent", ch.c().id);
    }
}
