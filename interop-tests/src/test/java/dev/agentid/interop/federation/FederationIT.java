package dev.agentid.interop.federation;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.NodeJose;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.interop.TokenResponse;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.MalformedURLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two organisations (and a third) as separate issuer processes on loopback, each with its own keys, data and trust
 * file naming the others (draft-ietf-oauth-identity-chaining): an agent of A obtains a grant for B from A, an agent
 * of B redeems it at B. A partner resource server that uses only verifier-lib (trusting A and B, labelled with their
 * organisations) and Node jose (knowing only each issuer's metadata URL) accept the results. Refusals are asserted
 * with their whole bodies; a revocation at A reaches B's token within the documented bound.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class FederationIT {

    static final String API = "https://partner-api.example";
    static final String PRINCIPAL = "user:alice";
    /**
     * The documented bound (README "Federation"; profile section 6.11) on a revocation at A reaching B: A's
     * status-list ttl (60 s) + A's status job period (2 s) + B's partner refresh period
     * (ISSUER_PARTNER_STATUS_REFRESH_MILLIS, 1 s here) + the clock skew (60 s). Typically a few seconds: the measured
     * delay is printed.
     */
    static final Duration REVOCATION_BOUND = Duration.ofSeconds(60 + 2 + 1 + 60);

    static Organisation a;
    static Organisation b;
    static Organisation c;
    static Agent planner;    // A: the chain's first actor
    static Agent intruder;   // A: B does not let it hand work to anyone
    static Agent assistant;  // A: acts for alice, a human of the OpenID Provider that A trusts
    static Agent aBack;      // A: takes work back from B (A -> B -> A)
    static Agent bWorker;    // B: takes work from A's planner
    static Agent cWorker;    // C: trusts A, tries to redeem a grant that was for B
    static Agent cMinter;    // C: B does not trust C
    static AgentTokenVerifier partnerServer;
    static OidcProviderProcess idp;

    @BeforeAll
    static void startOrganisations() throws MalformedURLException {
        a = Organisation.reserve("org-a");
        b = Organisation.reserve("org-b");
        c = Organisation.reserve("org-c");
        idp = OidcProviderProcess.start();
        a.trust("{\"partners\": [" + Organisation.partner(b, "{\"b-worker\": [\"a-back\"]}", "[\"tickets:read\"], "
                + "\"outbound_agents\": [\"planner\", \"assistant\", \"intruder\"]")
                + "], \"identity_providers\": [{\"issuer\": \"" + idp.issuer() + "\", \"audience\": \""
                + idp.clientId() + "\"}]}");
        b.trust("{\"partners\": [" + Organisation.partner(a,
                "{\"planner\": [\"b-worker\"], \"assistant\": [\"b-worker\"]}", "[\"tickets:read\"], "
                + "\"outbound_agents\": [\"b-worker\"]", "[\"user:*\", {\"idp\": \"" + idp.issuer()
                + "\", \"proof\": \"required\", \"audience\": \"" + idp.clientId() + "\"}]")
                // B trusts the IdP itself: A's humans cross only with the IdP's id_token (section 6.11)
                + "], \"identity_providers\": [{\"issuer\": \"" + idp.issuer() + "\", \"audience\": \"b-at-idp\"}]}");
        c.trust("{\"partners\": [" + Organisation.partner(a, "{\"planner\": [\"c-worker\"]}", "[\"tickets:read\"]")
                + ", " + Organisation.partner(b, "{}", "[\"tickets:read\"], \"outbound_agents\": [\"c-minter\"]") + "]}");
        a.start(Map.of());
        b.start(Map.of());
        c.start(Map.of());
        planner = a.agents.agent("planner").owner(PRINCIPAL).scopes("tickets:read", "tickets:write").audiences(API)
                .tokenTtlSeconds(600).register();
        intruder = a.agents.agent("intruder").scopes("tickets:read").audiences(API).register();
        assistant = a.agents.agent("assistant").scopes("tickets:read").audiences(API)
                .field("acts_for", Map.of("users", List.of(idp.issuer() + "#alice"))).register();
        aBack = a.agents.agent("a-back").scopes("tickets:read").audiences(API).register();
        bWorker = b.agents.agent("b-worker").scopes("tickets:read").audiences(API).register();
        cWorker = c.agents.agent("c-worker").scopes("tickets:read").audiences(API).register();
        cMinter = c.agents.agent("c-minter").scopes("tickets:read").audiences(API).register();
        partnerServer = AgentTokenVerifier.builder()
                .trustIssuer(a.issuer, a.process.jwksUri().toURL(), "org-a")
                .trustIssuer(b.issuer, b.process.jwksUri().toURL(), "org-b")
                .audience(API)
                .requireChainEvidence()   // every hop of A's and B's chains, from their keys alone (section 6.12)
                .build();
    }

    @AfterAll
    static void stopOrganisations() {
        if (partnerServer != null) {
            partnerServer.close();
        }
        for (Organisation org : new Organisation[] {a, b, c}) {
            if (org != null) {
                org.close();
            }
        }
        if (idp != null) {
            idp.close();
        }
    }

    /** A fresh root at A and its grant for {@code partner}. */
    static String grantFrom(Agent agent, Organisation partner) {
        String root = agent.token("tickets:read", API);
        return a.granted(agent, root, partner);
    }

    static void assertRefused(HttpResult result, int status, String error, String description) {
        assertEquals(status, result.status(), result.describe());
        assertEquals(Map.of("error", error, "error_description", description), result.json());
        assertEquals("no-store", result.header("Cache-Control"));
    }

    @Test
    void agentOfAHandsWorkToAgentOfBAndThePartnerServerAndJoseAcceptTheChain() throws Exception {
        String root = planner.token("tickets:read tickets:write", API);
        String grant = a.granted(planner, root, b);
        TokenResponse atB = TokenResponse.of(b.redeem(bWorker, grant));
        assertEquals(dev.agentid.interop.TestAgents.ACCESS_TOKEN_TYPE, atB.issuedTokenType());
        assertEquals("tickets:read", atB.scope(), "partner scopes cap the chain");

        VerifiedAgentToken token = partnerServer.verify(atB.accessToken());
        assertEquals(b.issuer, token.issuer());
        assertEquals(PRINCIPAL, token.principal(), "the original principal survives the crossing");
        List<Actor> actors = token.chain().actors();
        assertEquals(List.of(new Actor("b-worker", b.issuer), new Actor("planner", a.issuer)), actors);
        assertEquals("org-b", token.organisationOf(actors.get(0)));
        assertEquals("org-a", token.organisationOf(actors.get(1)));
        assertEquals("b-worker", token.clientId());

        List<NodeJose.Verdict> atBByJose = NodeJose.verify(b.process.metadataUri(), API, List.of(atB.accessToken()));
        List<NodeJose.Verdict> atAByJose = NodeJose.verify(a.process.metadataUri(), API, List.of(root));
        assertTrue(atBByJose.get(0).ok(), "jose at B: " + atBByJose.get(0).code());
        assertTrue(atAByJose.get(0).ok(), "jose at A: " + atAByJose.get(0).code());
        assertEquals(PRINCIPAL, atBByJose.get(0).payload().get("sub"));
        assertEquals(Map.of("sub", "b-worker", "iss", b.issuer, "act", Map.of("sub", "planner", "iss", a.issuer)),
                atBByJose.get(0).payload().get("act"));
    }

    @Test
    void chainThatStartsFromAHumanAtACrossesToBWithTheHumanAsSubAndTheIdpsProof() throws Exception {
        String idToken = idp.idToken("alice", null);
        Map<String, String> form = new java.util.LinkedHashMap<>(assistant.exchangeForm(idToken, null, null));
        form.put("subject_token_type", "urn:ietf:params:oauth:token-type:id_token");
        String atA = TokenResponse.of(a.agents.http().postForm(a.process.tokenEndpoint(), form, null)).accessToken();
        // without the IdP's proof, B does not take A's word for alice (F33)
        HttpResult bare = b.redeem(bWorker, a.granted(assistant, atA, b));
        assertEquals(400, bare.status(), bare.describe());
        assertEquals(Map.of("error", "invalid_grant", "error_description", "the assertion's subject needs the proof "
                + "of identity provider " + idp.issuer() + " in sub_proof"), bare.json());
        String grant = a.grant(assistant, atA, b, Map.of("subject_proof", idToken)).expect(200).json()
                .get("access_token").toString();
        String atB = TokenResponse.of(b.redeem(bWorker, grant)).accessToken();
        VerifiedAgentToken token = partnerServer.verify(atB);
        assertEquals(idp.issuer() + "#alice", token.principal());
        assertEquals(List.of(new Actor("b-worker", b.issuer), new Actor("assistant", a.issuer)),
                token.chain().actors());
    }

    @Test
    void chainGoesFromAToBAndBackToA() throws Exception {
        String atB = TokenResponse.of(b.redeem(bWorker, grantFrom(planner, b))).accessToken();
        String grantForA = b.granted(bWorker, atB, a);
        TokenResponse backAtA = TokenResponse.of(a.redeem(aBack, grantForA));
        VerifiedAgentToken token = partnerServer.verify(backAtA.accessToken());
        assertEquals(a.issuer, token.issuer());
        assertEquals(PRINCIPAL, token.principal());
        assertEquals(List.of(new Actor("a-back", a.issuer), new Actor("b-worker", b.issuer),
                new Actor("planner", a.issuer)), token.chain().actors());
        assertEquals(List.of("org-a", "org-b", "org-a"),
                token.chain().actors().stream().map(token::organisationOf).toList());
        assertTrue(NodeJose.verify(a.process.metadataUri(), API, List.of(backAtA.accessToken())).get(0).ok());
    }

    @Test
    void grantFromAnUntrustedOrganisationIsRefusedAndItsTokensFailAtThePartnerServer() {
        String rootAtC = cMinter.token("tickets:read", API);
        String grantFromC = c.granted(cMinter, rootAtC, b);
        assertRefused(b.redeem(bWorker, grantFromC), 400, "invalid_grant",
                "assertion issuer '" + c.issuer + "' is not a trusted partner");
        TokenVerificationException e = assertThrows(TokenVerificationException.class,
                () -> partnerServer.verify(rootAtC));
        assertEquals(Reason.UNTRUSTED_ISSUER, e.reason());
    }

    @Test
    void grantReplayedAtAThirdOrganisationIsRefused() {
        String grant = grantFrom(planner, b);
        TokenResponse.of(b.redeem(bWorker, grant));
        // C trusts A and A's planner may hand work to C's worker: only the audience stops it
        assertRefused(c.redeem(cWorker, grant), 400, "invalid_grant", "assertion audience is not this issuer");
        assertRefused(b.redeem(bWorker, grant), 400, "invalid_grant", "assertion has already been used");
    }

    @Test
    void grantForBPresentedAtAIsRefused() {
        assertRefused(a.redeem(aBack, grantFrom(planner, b)), 400, "invalid_grant",
                "assertion audience is not this issuer");
    }

    @Test
    void partnerActorThatBsPolicyDoesNotPermitIsRefused() {
        assertRefused(b.redeem(bWorker, grantFrom(intruder, b)), 400, "invalid_grant",
                "partner agent 'intruder' of " + a.issuer + " may not act for agent 'b-worker'");
    }

    @Test
    void revokingTheRootAtAMakesTheTokenAtBInactiveWithinTheBound() {
        String root = planner.token("tickets:read", API);
        String atB = TokenResponse.of(b.redeem(bWorker, a.granted(planner, root, b))).accessToken();
        assertTrue(b.agents.isActive(atB), "active before the revocation");

        a.agents.adminRevoke(root).expect(200);
        long revokedAt = System.nanoTime();
        Interop.await("B's token to become inactive after A revoked its root", REVOCATION_BOUND,
                Duration.ofMillis(200), () -> b.agents.isActive(atB) ? null : Boolean.TRUE);
        Duration delay = Duration.ofNanos(System.nanoTime() - revokedAt);
        System.out.println("[federation] revocation at A reached B after " + delay.toMillis() + " ms (bound "
                + REVOCATION_BOUND.toSeconds() + " s)");
        // and B refuses to build on it
        HttpResult onward = b.agents.http().postForm(b.process.tokenEndpoint(), bWorker.exchangeForm(atB, null, null),
                null);
        assertEquals(400, onward.status(), onward.describe());
    }
}
