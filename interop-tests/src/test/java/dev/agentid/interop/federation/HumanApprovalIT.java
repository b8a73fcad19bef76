package dev.agentid.interop.federation;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Approval;
import dev.agentid.verifier.VerifiedAgentToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Human approval (profile section 6.13) between real processes: an issuer process, panva/oidc-provider for the
 * approvers (real authorization-code logins), agents A -> B -> C whose last hop needs approval above 1000 EUR. The
 * client starts the request at the backchannel endpoint and polls the token endpoint in CIBA poll mode; approvers
 * decide through the admin API with their id_token.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class HumanApprovalIT {

    static final String API = "https://api.example";
    static final String CIBA = "urn:openid:params:grant-type:ciba";
    static final AtomicInteger SEQ = new AtomicInteger();

    static OidcProviderProcess idp;
    static IssuerProcess issuer;
    static TestAgents agents;

    @BeforeAll
    static void start() throws Exception {
        idp = OidcProviderProcess.start();
        Path trust = Files.createTempFile(Files.createDirectories(Interop.targetDir().resolve("issuer-data")),
                "approval-trust-", ".json");
        Files.writeString(trust, "{\"identity_providers\": [{\"issuer\": \"" + idp.issuer() + "\", \"audience\": \""
                + idp.clientId() + "\", \"groups_claim\": \"groups\"}]}");
        issuer = IssuerProcess.named("approval").env("ISSUER_TRUST_FILE", trust.toString())
                .env("ISSUER_FEDERATION_LOOPBACK_HTTP", "true").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (issuer != null) {
            issuer.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    static String owner() {
        return idp.issuer() + "#olivia";
    }

    static Map<String, Object> policy(boolean fourEyes, int pendingSeconds) {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("authorization_details", List.of(Map.of("type", "payment", "field", "amount", "above", 1000,
                "currency", "EUR")));
        policy.put("approvers", Map.of("owner", !fourEyes, "groups", List.of(idp.issuer() + "#finance")));
        policy.put("four_eyes", fourEyes);
        policy.put("lifetime_seconds", 120);
        policy.put("pending_seconds", pendingSeconds);
        policy.put("interval_seconds", 1);
        return policy;
    }

    record Chain(Agent a, Agent b, Agent c) {
    }

    static Chain chain(Map<String, Object> policy) {
        int n = SEQ.incrementAndGet();
        Agent c = agents.agent("pay-c" + n).owner(owner()).scopes("pay").audiences(API).field("approval", policy)
                .register();
        Agent b = agents.agent("pay-b" + n).owner(owner()).scopes("pay").audiences(API).delegates(c.id()).register();
        Agent a = agents.agent("pay-a" + n).owner(owner()).scopes("pay").audiences(API).delegates(b.id()).register();
        return new Chain(a, b, c);
    }

    static String payment(int amount) {
        return "[{\"type\":\"payment\",\"amount\":" + amount + ",\"currency\":\"EUR\"}]";
    }

    /** B's token, from A's root token that holds a payment of {@code amount} EUR. */
    static String bToken(Chain ch, int amount) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("authorization_details", payment(amount));
        String root = dev.agentid.interop.TokenResponse.of(post(ch.a(), issuer.tokenEndpoint(), form)).accessToken();
        return ch.b().exchanged(root, null, null);
    }

    /** POSTs {@code form} authenticated as {@code agent} (a fresh client assertion). */
    static HttpResult post(Agent agent, URI endpoint, Map<String, String> form) {
        Map<String, String> all = new LinkedHashMap<>(form);
        all.put("client_assertion_type", TestAgents.JWT_BEARER);
        all.put("client_assertion", agent.clientAssertion());
        return agents.http().postForm(endpoint, all, null);
    }

    static HttpResult directExchange(Agent c, String subject) {
        Map<String, String> form = new LinkedHashMap<>(c.exchangeForm(subject, null, null));
        form.values().removeIf(java.util.Objects::isNull);
        return agents.http().postForm(issuer.tokenEndpoint(), form, null);
    }

    static String start(Agent c, String subject) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("subject_token", subject);
        form.put("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE);
        HttpResult r = post(c, URI.create(issuer.issuer() + "/oauth2/bc-authorize"), form);
        assertEquals(200, r.status(), r.describe());
        assertEquals(1, ((Number) r.json().get("interval")).intValue());
        return (String) r.json().get("auth_req_id");
    }

    static HttpResult poll(Agent c, String id) {
        return post(c, issuer.tokenEndpoint(), Map.of("grant_type", CIBA, "auth_req_id", id));
    }

    static String error(HttpResult r) {
        return r.status() == 200 ? null : (String) r.json().get("error");
    }

    static HttpResult decide(String id, String verb, String idToken) {
        return agents.http().postJson(issuer.admin("/admin/approvals/" + id + "/" + verb),
                Map.of("approver_token", idToken), null);
    }

    /** Polls (bounded, at the request's interval) until the answer is no longer authorization_pending. */
    static HttpResult pollUntilDecided(Agent c, String id) {
        return Interop.await("a decision on " + id, Duration.ofSeconds(40), Duration.ofMillis(1100), () -> {
            HttpResult r = poll(c, id);
            return "authorization_pending".equals(error(r)) || "slow_down".equals(error(r)) ? null : r;
        });
    }

    static AgentTokenVerifier verifier() throws Exception {
        return AgentTokenVerifier.builder().trustIssuer(issuer.issuer(), issuer.jwksUri().toURL()).audience(API)
                .build();
    }

    @Test
    void lastHopAboveTheThresholdIsPendingThenApprovedByTheOwnerAndTheAuditLinksIt() throws Exception {
        Chain ch = chain(policy(false, 300));
        String b = bToken(ch, 5000);
        HttpResult direct = directExchange(ch.c(), b);
        assertEquals(400, direct.status(), direct.describe());
        assertEquals("approval_required", direct.json().get("error"));
        assertTrue(((String) direct.json().get("error_description")).endsWith(issuer.issuer() + "/oauth2/bc-authorize"));

        String id = start(ch.c(), b);
        assertEquals("authorization_pending", error(poll(ch.c(), id)));
        assertEquals("slow_down", error(poll(ch.c(), id)), "a second poll at once is too fast");

        // the owner logs in at the real OpenID Provider, sees the request with its chain, and approves
        String olivia = idp.idToken("olivia", null);
        HttpResult listed = agents.http().get(issuer.admin("/admin/approvals"), olivia).expect(200);
        @SuppressWarnings("unchecked")
        Map<String, Object> view = ((List<Map<String, Object>>) listed.json().get("approvals")).stream()
                .filter(v -> id.equals(v.get("id"))).findFirst().orElseThrow();
        assertEquals(3, ((List<?>) view.get("chain")).size());
        assertEquals(owner(), view.get("principal"));
        assertEquals(200, decide(id, "approve", olivia).status());

        HttpResult granted = pollUntilDecided(ch.c(), id);
        assertEquals(200, granted.status(), granted.describe());
        String token = (String) granted.json().get("access_token");
        String jti;
        try (AgentTokenVerifier verifier = verifier()) {
            VerifiedAgentToken verified = verifier.verify(token);
            Approval approval = verified.chain().current().approval();
            assertNotNull(approval, "the approved actor's act level carries apv");
            assertEquals(id, approval.id());
            assertEquals(owner(), approval.approver());
            assertNull(verified.chain().actors().get(1).approval());
            assertTrue(!verified.expiresAt().isAfter(approval.approvedAt().plusSeconds(121)));
            jti = verified.jwtId();
        }

        HttpResult trail = agents.http().get(issuer.admin("/admin/audit?lineage="
                + URLEncoder.encode(jti, StandardCharsets.UTF_8)), issuer.adminToken()).expect(200);
        List<String> types = new ArrayList<>();
        for (Object e : (List<?>) trail.json().get("events")) {
            types.add((String) ((Map<?, ?>) e).get("type"));
        }
        assertTrue(types.containsAll(List.of("approval.requested", "approval.approved", "token.issued")),
                types.toString());
        assertTrue(types.indexOf("approval.requested") < types.indexOf("approval.approved"));
    }

    @Test
    void amountBelowTheThresholdIsIssuedDirectly() {
        Chain ch = chain(policy(false, 300));
        HttpResult direct = directExchange(ch.c(), bToken(ch, 1000));
        assertEquals(200, direct.status(), direct.describe());
    }

    @Test
    void deniedRequestAnswersAccessDenied() {
        Chain ch = chain(policy(false, 300));
        String id = start(ch.c(), bToken(ch, 5000));
        assertEquals(200, decide(id, "deny", idp.idToken("frank", "finance")).status());
        assertEquals("access_denied", error(pollUntilDecided(ch.c(), id)));
    }

    @Test
    void undecidedRequestExpires() {
        Chain ch = chain(policy(false, 10));
        String id = start(ch.c(), bToken(ch, 5000));
        assertEquals("expired_token", error(pollUntilDecided(ch.c(), id)));
    }

    @Test
    void ownerApprovingOwnRequestUnderFourEyesIsRefused() throws Exception {
        Chain ch = chain(policy(true, 300));
        String id = start(ch.c(), bToken(ch, 5000));
        HttpResult own = decide(id, "approve", idp.idToken("olivia", "finance"));
        assertEquals(403, own.status(), own.describe());
        assertEquals(Map.of("error", "access_denied", "error_description", "four eyes: '" + owner()
                + "' may not approve a request of their own agent or on their own behalf"), own.json());
        assertEquals(200, decide(id, "approve", idp.idToken("frank", "finance")).status());
        HttpResult granted = pollUntilDecided(ch.c(), id);
        assertEquals(200, granted.status(), granted.describe());
        try (AgentTokenVerifier verifier = verifier()) {
            assertEquals(idp.issuer() + "#frank", verifier.verify((String) granted.json().get("access_token"))
                    .chain().current().approval().approver());
        }
    }
}
