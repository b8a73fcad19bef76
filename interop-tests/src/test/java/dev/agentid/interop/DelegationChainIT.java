package dev.agentid.interop;

import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A → B → C delegation through a real issuer process: A takes a token with its own credentials, B
 * exchanges it for a narrower one, C exchanges B's. The three tokens are checked with verifier-lib
 * and, in a separate Node process, with panva/jose knowing only the metadata URL.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class DelegationChainIT {

    static final String API = "https://api.example";
    static final String MAIL = "https://mail.example";

    static IssuerProcess issuer;
    static Agent a;
    static Agent b;
    static Agent c;
    static TokenResponse tokenA;
    static TokenResponse tokenB;
    static TokenResponse tokenC;

    @BeforeAll
    static void delegateFromAToBToC() {
        issuer = IssuerProcess.named("delegation").start();
        TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
        // A may reach two APIs; B and C only the files API. Owners differ so that a leaked owner shows.
        a = agents.agent("agent-a").owner("user:alice")
                .scopes("files:read", "files:write", "mail:send").audiences(API, MAIL)
                .delegates("agent-b").maxDelegationDepth(3).tokenTtlSeconds(600).register();
        b = agents.agent("agent-b").owner("user:bob")
                .scopes("files:read", "files:write").audiences(API)
                .delegates("agent-c").maxDelegationDepth(3).tokenTtlSeconds(300).register();
        c = agents.agent("agent-c").owner("user:carol")
                .scopes("files:read", "files:write").audiences(API)
                .maxDelegationDepth(3).tokenTtlSeconds(120).register();

        tokenA = TokenResponse.of(a.clientCredentials("files:read files:write mail:send", API));
        tokenB = TokenResponse.of(b.exchange(tokenA.accessToken(), "files:read files:write", null));
        tokenC = TokenResponse.of(c.exchange(tokenB.accessToken(), "files:read", null));
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    void tokenResponsesFollowRfc8693() {
        for (TokenResponse response : List.of(tokenA, tokenB, tokenC)) {
            assertAll(
                    () -> assertEquals(TestAgents.ACCESS_TOKEN_TYPE, response.issuedTokenType()),
                    () -> assertEquals("Bearer", response.tokenType()),
                    () -> assertTrue(response.expiresIn() > 0, "expires_in > 0"));
        }
        assertEquals("files:read files:write mail:send", tokenA.scope());
        assertEquals("files:read files:write", tokenB.scope());
        assertEquals("files:read", tokenC.scope());
        // each lifetime is the agent's own TTL: all three are below their subject token's expiry
        assertTrue(tokenA.expiresIn() > 590 && tokenA.expiresIn() <= 600, "A's expires_in ≈ 600: " + tokenA.expiresIn());
        assertTrue(tokenB.expiresIn() > 290 && tokenB.expiresIn() <= 300, "B's expires_in ≈ 300: " + tokenB.expiresIn());
        assertTrue(tokenC.expiresIn() > 110 && tokenC.expiresIn() <= 120, "C's expires_in ≈ 120: " + tokenC.expiresIn());
    }

    @Test
    void verifierLibAcceptsEveryHopAndItsInvariants() throws TokenVerificationException {
        VerifiedAgentToken va;
        VerifiedAgentToken vb;
        VerifiedAgentToken vc;
        try (AgentTokenVerifier verifier = Verifiers.remote(issuer, API)) {
            va = verifier.verify(tokenA.accessToken());
            vb = verifier.verify(tokenB.accessToken());
            vc = verifier.verify(tokenC.accessToken());
        }

        String iss = issuer.issuer();
        Actor actorA = Actor.of("agent-a", iss);
        Actor actorB = Actor.of("agent-b", iss);
        Actor actorC = Actor.of("agent-c", iss);

        assertAll("final token",
                () -> assertEquals(iss, vc.issuer()),
                () -> assertEquals("user:alice", vc.principal()),
                () -> assertEquals(List.of(API), vc.audience()),
                () -> assertEquals(List.of(actorC, actorB, actorA), vc.chain().actors()),
                () -> assertEquals(3, vc.chain().depth()),
                () -> assertEquals(actorC, vc.chain().current()),
                () -> assertEquals(actorA, vc.chain().first()),
                () -> assertEquals("agent-c", vc.clientId()),
                () -> assertEquals(Set.of("files:read"), vc.scopes()));
        assertAll("intermediate tokens",
                () -> assertEquals("user:alice", vb.principal()),
                () -> assertEquals("user:alice", va.principal()),
                () -> assertEquals(List.of(actorB, actorA), vb.chain().actors()),
                () -> assertEquals(List.of(actorA), va.chain().actors()),
                () -> assertEquals("agent-b", vb.clientId()),
                () -> assertEquals("agent-a", va.clientId()),
                () -> assertEquals(Set.of("files:read", "files:write"), vb.scopes()),
                () -> assertEquals(Set.of("files:read", "files:write", "mail:send"), va.scopes()),
                () -> assertEquals(List.of(API), va.audience()),
                () -> assertEquals(List.of(API), vb.audience()));
        assertAll("scope narrows and lifetime never grows along the chain",
                () -> assertTrue(va.scopes().containsAll(vb.scopes()) && !vb.scopes().containsAll(va.scopes())),
                () -> assertTrue(vb.scopes().containsAll(vc.scopes()) && !vc.scopes().containsAll(vb.scopes())),
                () -> assertFalse(vc.expiresAt().isAfter(vb.expiresAt())),
                () -> assertFalse(vb.expiresAt().isAfter(va.expiresAt())),
                () -> assertEquals(Duration.ofSeconds(120), Duration.between(vc.issuedAt(), vc.expiresAt())),
                () -> assertEquals(Duration.ofSeconds(300), Duration.between(vb.issuedAt(), vb.expiresAt())),
                () -> assertEquals(Duration.ofSeconds(600), Duration.between(va.issuedAt(), va.expiresAt())));
        assertAll("each token has its own jti",
                () -> assertNotEquals(va.jwtId(), vb.jwtId()),
                () -> assertNotEquals(vb.jwtId(), vc.jwtId()),
                () -> assertNotEquals(va.jwtId(), vc.jwtId()));

        assertDoesNotThrow(() -> vc.checkDerivedFrom(vb));
        assertDoesNotThrow(() -> vb.checkDerivedFrom(va));
        // the check can fail: C's token did not come straight from A's, and A's is not narrower than C's
        assertEquals(Reason.CHAIN_NOT_EXTENDED,
                assertThrows(TokenVerificationException.class, () -> vc.checkDerivedFrom(va)).reason());
        assertEquals(Reason.SCOPE_WIDENED,
                assertThrows(TokenVerificationException.class, () -> va.checkDerivedFrom(vc)).reason());
    }

    @Test
    void nodeJoseVerifiesTheSameTokensKnowingOnlyTheMetadataUrl() {
        List<NodeJose.Verdict> verdicts = NodeJose.verify(issuer.metadataUri(), API,
                List.of(tokenA.accessToken(), tokenB.accessToken(), tokenC.accessToken()));

        String iss = issuer.issuer();
        Map<String, Object> actA = DelegationChain.of(Actor.of("agent-a", iss)).toActClaim();
        Map<String, Object> actB = DelegationChain.ofCurrentFirst(List.of(
                Actor.of("agent-b", iss), Actor.of("agent-a", iss))).toActClaim();
        Map<String, Object> actC = DelegationChain.ofCurrentFirst(List.of(
                Actor.of("agent-c", iss), Actor.of("agent-b", iss), Actor.of("agent-a", iss))).toActClaim();
        List<Map<String, Object>> expectedAct = List.of(actA, actB, actC);
        List<String> expectedClient = List.of("agent-a", "agent-b", "agent-c");
        List<String> expectedScope = List.of("files:read files:write mail:send", "files:read files:write", "files:read");

        for (int i = 0; i < 3; i++) {
            NodeJose.Verdict verdict = verdicts.get(i);
            int hop = i;
            assertTrue(verdict.ok(), "jose rejected token " + i + ": " + verdict.code());
            assertAll("token " + i,
                    () -> assertEquals("at+jwt", verdict.header().get("typ")),
                    () -> assertEquals("ES256", verdict.header().get("alg")),
                    () -> assertEquals(iss, verdict.payload().get("iss")),
                    () -> assertEquals("user:alice", verdict.payload().get("sub")),
                    () -> assertEquals(expectedAct.get(hop), verdict.payload().get("act")),
                    () -> assertEquals(expectedClient.get(hop), verdict.payload().get("client_id")),
                    () -> assertEquals(expectedScope.get(hop), verdict.payload().get("scope")));
        }
    }

    @Test
    void nodeJoseRejectsATamperedSignatureAndAnotherAudience() {
        String token = tokenC.accessToken();
        int at = token.lastIndexOf('.') + 10;
        String tampered = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);

        List<NodeJose.Verdict> tamperedVerdict = NodeJose.verify(issuer.metadataUri(), API, List.of(tampered));
        List<NodeJose.Verdict> otherAudience = NodeJose.verify(issuer.metadataUri(), MAIL, List.of(token));

        assertFalse(tamperedVerdict.get(0).ok());
        assertEquals("ERR_JWS_SIGNATURE_VERIFICATION_FAILED", tamperedVerdict.get(0).code());
        assertFalse(otherAudience.get(0).ok());
        assertEquals("ERR_JWT_CLAIM_VALIDATION_FAILED", otherAudience.get(0).code());
    }
}
