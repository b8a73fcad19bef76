package dev.agentid.verifier;

import static dev.agentid.verifier.TestTokens.ISSUER;
import static dev.agentid.verifier.TestTokens.NOW;
import static dev.agentid.verifier.TestTokens.claimsFor;
import static dev.agentid.verifier.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Date;
import org.junit.jupiter.api.Test;

class VerifiedAgentTokenTest {

    private final AgentTokenVerifier verifier = TestTokens.verifier().build();

    private static final DelegationChain PARENT_CHAIN = DelegationChain.of(Actor.of("agent-a", ISSUER));
    private static final DelegationChain CHILD_CHAIN = PARENT_CHAIN.extendedBy(Actor.of("agent-b", ISSUER));

    private VerifiedAgentToken parent() throws TokenVerificationException {
        return verifier.verify(sign(claimsFor(PARENT_CHAIN).claim("scope", "read write").build()));
    }

    private VerifiedAgentToken child(com.nimbusds.jwt.JWTClaimsSet.Builder claims) throws TokenVerificationException {
        return verifier.verify(sign(claims.build()));
    }

    private static com.nimbusds.jwt.JWTClaimsSet.Builder childClaims() {
        return claimsFor(CHILD_CHAIN).claim("scope", "read").expirationTime(Date.from(NOW.plusSeconds(200)));
    }

    private static void assertReason(Reason expected, VerifiedAgentToken child, VerifiedAgentToken parent) {
        TokenVerificationException e = assertThrows(TokenVerificationException.class,
                () -> child.checkDerivedFrom(parent));
        assertEquals(expected, e.reason(), e.getMessage());
    }

    @Test
    void derivedTokenWithNarrowerScopeShorterLifeAndOneNewActorIsAccepted() throws Exception {
        child(childClaims()).checkDerivedFrom(parent());
    }

    @Test
    void equalScopesAndEqualExpiryAreAccepted() throws Exception {
        VerifiedAgentToken parent = parent();
        child(childClaims().claim("scope", "write read").expirationTime(Date.from(parent.expiresAt())))
                .checkDerivedFrom(parent);
    }

    @Test
    void checkDerivedFromWhenPrincipalDiffersThenSubjectChanged() throws Exception {
        assertReason(Reason.SUBJECT_CHANGED, child(childClaims().subject("user:mallory")), parent());
    }

    @Test
    void checkDerivedFromWhenScopeAddedThenScopeWidened() throws Exception {
        VerifiedAgentToken child = child(childClaims().claim("scope", "read admin"));
        TokenVerificationException e = assertThrows(TokenVerificationException.class,
                () -> child.checkDerivedFrom(parent()));
        assertEquals(Reason.SCOPE_WIDENED, e.reason());
        assertTrue(e.getMessage().contains("admin"));
    }

    @Test
    void checkDerivedFromWhenExpiresLaterThenLifetimeExtended() throws Exception {
        assertReason(Reason.LIFETIME_EXTENDED,
                child(childClaims().expirationTime(Date.from(NOW.plusSeconds(301)))), parent());
    }

    @Test
    void checkDerivedFromWhenChainUnchangedThenChainNotExtended() throws Exception {
        assertReason(Reason.CHAIN_NOT_EXTENDED, child(claimsFor(PARENT_CHAIN).claim("scope", "read")), parent());
    }

    @Test
    void checkDerivedFromWhenTwoActorsAddedThenChainNotExtended() throws Exception {
        DelegationChain twoMore = CHILD_CHAIN.extendedBy(Actor.of("agent-c", ISSUER));
        assertReason(Reason.CHAIN_NOT_EXTENDED, child(claimsFor(twoMore).claim("scope", "read")), parent());
    }

    @Test
    void checkDerivedFromWhenHistoryRewrittenThenChainNotExtended() throws Exception {
        DelegationChain rewritten = DelegationChain.of(Actor.of("agent-x", ISSUER))
                .extendedBy(Actor.of("agent-b", ISSUER));
        assertReason(Reason.CHAIN_NOT_EXTENDED, child(claimsFor(rewritten).claim("scope", "read")), parent());
    }

    @Test
    void checkDerivedFromWhenSameAgentIdAtOtherIssuerThenChainNotExtended() throws Exception {
        DelegationChain otherOrg = DelegationChain.of(Actor.of("agent-a", TestTokens.OTHER_ISSUER))
                .extendedBy(Actor.of("agent-b", ISSUER));
        assertReason(Reason.CHAIN_NOT_EXTENDED, child(claimsFor(otherOrg).claim("scope", "read")), parent());
    }

    @Test
    void checkDerivedFromWhenParentIsTheChildThenChainNotExtended() throws Exception {
        VerifiedAgentToken parent = parent();
        assertReason(Reason.CHAIN_NOT_EXTENDED, parent, parent);
    }

    @Test
    void subjectIsCheckedFirst() throws Exception {
        VerifiedAgentToken everythingWrong = child(claimsFor(PARENT_CHAIN).subject("user:mallory")
                .claim("scope", "admin").expirationTime(Date.from(NOW.plusSeconds(400))));
        assertReason(Reason.SUBJECT_CHANGED, everythingWrong, parent());
    }

    @Test
    void toStringHoldsNoSignature() throws Exception {
        String token = sign(childClaims().build());
        String text = verifier.verify(token).toString();
        assertTrue(text.contains("user:alice"));
        assertTrue(!text.contains(token.substring(token.lastIndexOf('.') + 1)));
    }
}
