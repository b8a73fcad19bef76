package dev.agentid.interop.federation;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.interop.TokenResponse;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.VerifiedAgentToken;
import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Verifiable federation across three organisations (profile section 6.12): A and B are issuer processes, P is a
 * hand-written hostile partner (an HTTP server on loopback with its own ES256 key and RFC 8414 metadata) that both
 * trust. A genuine chain A → P → B is accepted and verifies hop by hop from the three JWKS; every grant P forges is
 * refused with its row of the refusal table: a forged subject (F30, F29), a forged inner level of B (F28), a forged
 * third-party level (F27, the exact grant of the issue), a forged att (F29). A refuses to send what its own policy
 * forbids: a grant for P to an agent not allowed to delegate there (F24), and one whose redemption would exceed the
 * owner's depth limit (F25).
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ForgedChainIT {

    static final String API = "https://partner-api.example";
    static final String PRINCIPAL = "user:alice";

    static Organisation a;
    static Organisation b;
    static HostilePartner p;
    static Agent planner;   // A: hands work to P
    static Agent bWorker;   // B: takes work from P's p-agent

    @BeforeAll
    static void start() throws Exception {
        p = HostilePartner.start();
        a = Organisation.reserve("org-a");
        b = Organisation.reserve("org-b");
        a.trust("{\"partners\": [{\"issuer\": \"" + p.issuer + "\", \"agents\": {}, \"subjects\": [\"user:*\"], "
                + "\"scopes\": [\"tickets:read\"], \"outbound_agents\": [\"planner\"]}]}");
        b.trust("{\"partners\": [" + Organisation.partner(a, "{}", "[\"tickets:read\"]") + ", {\"issuer\": \""
                + p.issuer + "\", \"agents\": {\"p-agent\": [\"b-worker\"]}, \"subjects\": [\"user:*\"], "
                + "\"scopes\": [\"tickets:read\"]}]}");
        a.start(Map.of());
        b.start(Map.of());
        planner = a.agents.agent("planner").owner(PRINCIPAL).scopes("tickets:read").audiences(API).register();
        bWorker = b.agents.agent("b-worker").scopes("tickets:read").audiences(API).register();
    }

    @AfterAll
    static void stop() {
        for (Organisation org : new Organisation[] {a, b}) {
            if (org != null) {
                org.close();
            }
        }
        if (p != null) {
            p.close();
        }
    }

    static void assertRefused(HttpResult result, String description) {
        assertEquals(400, result.status(), result.describe());
        assertEquals(Map.of("error", "invalid_grant", "error_description", description), result.json());
        assertEquals("no-store", result.header("Cache-Control"));
    }

    /** A's genuine grant for P: planner@A, with A's receipt for the hop A → P. */
    static JWTClaimsSet genuineGrantFromA() throws Exception {
        String root = planner.token("tickets:read", API);
        HttpResult result = a.grant(planner, root, p.issuer).expect(200);
        return SignedJWT.parse((String) result.json().get("access_token")).getJWTClaimsSet();
    }

    static Map<String, Object> level(String sub, String iss, Map<String, Object> inner) {
        Map<String, Object> level = new LinkedHashMap<>();
        level.put("sub", sub);
        level.put("iss", iss);
        if (inner != null) {
            level.put("act", inner);
        }
        return level;
    }

    static Map<String, Object> att() {
        return Map.of("iss", "https://attester.example", "dig", "sha256:" + "ab".repeat(32),
                "iat", Instant.now().getEpochSecond());
    }

    @Test
    void genuineChainFromAThroughTheHostilePartnerToBIsAcceptedAndVerifiesHopByHop() throws Exception {
        JWTClaimsSet fromA = genuineGrantFromA();
        List<String> receipts = fromA.getStringListClaim("act_ev");
        Map<String, Object> act = level("p-agent", p.issuer, fromA.getJSONObjectClaim("act"));
        String token = TokenResponse.of(b.redeem(bWorker, p.grant(PRINCIPAL, act, receipts))).accessToken();
        try (AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                .trustIssuer(a.issuer, a.process.jwksUri().toURL())
                .trustIssuer(b.issuer, b.process.jwksUri().toURL())
                .trustIssuer(p.issuer, new JWKSet(p.key.toPublicJWK()))
                .audience(API).requireChainEvidence().build()) {
            VerifiedAgentToken verified = verifier.verify(token);
            assertEquals(List.of(new Actor("b-worker", b.issuer), new Actor("p-agent", p.issuer),
                    new Actor("planner", a.issuer)), verified.chain().actors());
            assertEquals(PRINCIPAL, verified.principal());
        }
    }

    @Test
    void forgedSubjectIsRefused() throws Exception {
        // P starts a chain for a human of an IdP that B never configured: B lets P assert only user:*
        assertRefused(b.redeem(bWorker, p.grant("https://idp.example#alice", level("p-agent", p.issuer, null),
                List.of())), "partner " + p.issuer + " may not assert the assertion's subject");
        // P rewrites the principal of A's chain: A's receipt binds user:alice
        JWTClaimsSet fromA = genuineGrantFromA();
        assertRefused(b.redeem(bWorker, p.grant("user:mallory", level("p-agent", p.issuer,
                fromA.getJSONObjectClaim("act")), fromA.getStringListClaim("act_ev"))),
                "evidence for hop 1 does not match the assertion's delegation chain");
    }

    @Test
    void forgedThirdPartyLevelIsRefused() {
        // the grant of the issue: an inner b-finance@B with an invented att over c-agent@https://c.example,
        // "receipts" all made up by P; C is no partner of B
        Map<String, Object> inner = level("b-finance", b.issuer, level("c-agent", "https://c.example", null));
        inner.put("att", att());
        Map<String, Object> act = level("p-agent", p.issuer, inner);
        List<String> madeUp = new ArrayList<>();
        madeUp.add(p.receipt("https://c.example", b.issuer, PRINCIPAL,
                List.of(new Actor("c-agent", "https://c.example")), null));
        madeUp.add(p.receipt(b.issuer, p.issuer, PRINCIPAL, List.of(new Actor("b-finance", b.issuer),
                new Actor("c-agent", "https://c.example")), madeUp.get(0)));
        assertRefused(b.redeem(bWorker, p.grant("https://idp.example#alice", act, madeUp)),
                "evidence for hop 1 of the assertion's delegation chain is signed by an issuer that is not trusted");
        // a level of A, which B trusts, in a receipt P signed
        assertRefused(b.redeem(bWorker, p.grant(PRINCIPAL, level("p-agent", p.issuer, level("planner", a.issuer,
                null)), List.of(p.receipt(a.issuer, p.issuer, PRINCIPAL, List.of(new Actor("planner", a.issuer)),
                null)))), "evidence for hop 1 of the assertion's delegation chain has an invalid signature");
    }

    @Test
    void forgedInnerLevelOfBIsRefused() {
        Map<String, Object> act = level("p-agent", p.issuer, level("b-worker-2", b.issuer, null));
        assertRefused(b.redeem(bWorker, p.grantWithoutReceipts(PRINCIPAL, act)),
                "evidence for hop 1 of the assertion's delegation chain is missing");
        assertRefused(b.redeem(bWorker, p.grant(PRINCIPAL, act, List.of(p.receipt(b.issuer, p.issuer, PRINCIPAL,
                List.of(new Actor("b-worker-2", b.issuer)), null)))),
                "evidence for hop 1 of the assertion's delegation chain has an invalid signature");
    }

    @Test
    void forgedAttOnALevelOfAIsRefused() throws Exception {
        JWTClaimsSet fromA = genuineGrantFromA();
        Map<String, Object> aLevel = new LinkedHashMap<>(fromA.getJSONObjectClaim("act"));
        aLevel.put("att", att());
        assertRefused(b.redeem(bWorker, p.grant(PRINCIPAL, level("p-agent", p.issuer, aLevel),
                fromA.getStringListClaim("act_ev"))),
                "evidence for hop 1 does not match the assertion's delegation chain");
    }

    @Test
    void unauthorisedOutboundGrantIsRefusedAtTheSendingIssuer() {
        // F24: an agent of A that neither names P among its audiences nor is listed in A's outbound_agents for P
        Agent intruder = a.agents.agent("intruder").owner(PRINCIPAL).scopes("tickets:read").audiences(API).register();
        HttpResult result = a.grant(intruder, intruder.token("tickets:read", API), p.issuer);
        assertEquals(400, result.status(), result.describe());
        assertEquals(Map.of("error", "invalid_target", "error_description",
                "agent 'intruder' may not obtain grants for partner " + p.issuer), result.json());
        assertEquals("no-store", result.header("Cache-Control"));
    }

    @Test
    void depthBypassThroughThePartnerIsRefusedAtTheSendingIssuer() {
        // F25: solo's owner allows no delegation beyond solo itself; a grant for P would put p-agent on top of it,
        // so A refuses to issue it (the owner's limit crosses the boundary; inside A the same hop is X16)
        Agent solo = a.agents.agent("solo").owner(PRINCIPAL).scopes("tickets:read").audiences(API, p.issuer)
                .maxDelegationDepth(1).register();
        HttpResult result = a.grant(solo, solo.token("tickets:read", API), p.issuer);
        assertEquals(400, result.status(), result.describe());
        assertEquals("invalid_request", result.json().get("error"), result.describe());
        assertEquals("delegation depth 2 exceeds the limit of 1", result.json().get("error_description"),
                result.describe());
        assertEquals("no-store", result.header("Cache-Control"));
    }

    /** A partner that signs whatever grants and receipts a test asks for, with its own key. */
    static final class HostilePartner implements AutoCloseable {
        final HttpServer server;
        final String issuer;
        final ECKey key;

        private HostilePartner(HttpServer server, ECKey key) {
            this.server = server;
            this.key = key;
            this.issuer = "http://127.0.0.1:" + server.getAddress().getPort();
        }

        static HostilePartner start() throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            HostilePartner p = new HostilePartner(server, new ECKeyGenerator(Curve.P_256).keyID("p1").generate());
            server.createContext("/", p::handle);
            server.start();
            return p;
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                Map<String, Object> body;
                if (path.equals("/.well-known/oauth-authorization-server")) {
                    body = Map.of("issuer", issuer, "jwks_uri", issuer + "/jwks");
                } else if (path.equals("/jwks")) {
                    body = new JWKSet(key.toPublicJWK()).toJSONObject(true);
                } else if (path.equals("/oauth2/status/0")) {
                    // an honest list: nothing revoked (this partner forges chains, not revocations)
                    Instant now = Instant.now();
                    byte[] list = sign(new JOSEObjectType("statuslist+jwt"), new JWTClaimsSet.Builder().issuer(issuer)
                            .subject(issuer + "/oauth2/status/0").issueTime(Date.from(now))
                            .expirationTime(Date.from(now.plusSeconds(600))).claim("ttl", 60)
                            .claim("status_list", Map.of("bits", 1, "lst", StatusList.allValid(1024, 1).encode()))
                            .build()).getBytes(StandardCharsets.US_ASCII);
                    exchange.getResponseHeaders().set("Content-Type", "application/statuslist+jwt");
                    exchange.sendResponseHeaders(200, list.length);
                    exchange.getResponseBody().write(list);
                    return;
                } else {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] bytes = JSONObjectUtils.toJSONString(body).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
            }
        }

        /** A receipt "of" {@code from}, signed with P's key. */
        String receipt(String from, String to, String subject, List<Actor> covered, String previous) {
            return sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(from, to,
                    UUID.randomUUID().toString(), Instant.now(), subject, DelegationChain.ofCurrentFirst(covered),
                    previous));
        }

        /** A grant of P for B with this subject and chain, and no receipt at all. */
        String grantWithoutReceipts(String subject, Map<String, Object> act) {
            return grant(subject, act, List.of(), false);
        }

        /** A grant of P for B with this subject and chain: {@code earlier} receipts plus P's own for the hop to B. */
        String grant(String subject, Map<String, Object> act, List<String> earlier) {
            return grant(subject, act, earlier, true);
        }

        private String grant(String subject, Map<String, Object> act, List<String> earlier, boolean ownReceipt) {
            Instant now = Instant.now();
            String jti = UUID.randomUUID().toString();
            List<String> evidence = new ArrayList<>(earlier);
            if (ownReceipt) {
                try {
                    DelegationChain chain = DelegationChain.fromActClaim(act, 10);
                    evidence.add(sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(issuer, b.issuer,
                            jti, now, subject, chain, earlier.isEmpty() ? null : earlier.get(earlier.size() - 1))));
                } catch (dev.agentid.verifier.TokenVerificationException e) {
                    throw new IllegalArgumentException(e);
                }
            }
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(b.issuer)
                    .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60))).jwtID(jti)
                    .claim("client_id", "p-agent").claim("scope", "tickets:read").claim("act", act)
                    .claim(ChainEvidence.CLAIM, evidence.isEmpty() ? null : evidence)
                    .claim("max_exp", now.plusSeconds(300).getEpochSecond())
                    .claim("status", Map.of("status_list", Map.of("idx", 0, "uri", issuer + "/oauth2/status/0")))
                    .build();
            return sign(new JOSEObjectType("chain-grant+jwt"), claims);
        }

        private String sign(JOSEObjectType typ, JWTClaimsSet claims) {
            try {
                SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(typ)
                        .keyID(key.getKeyID()).build(), claims);
                jwt.sign(new ECDSASigner(key));
                return jwt.serialize();
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
