package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code apv} member of an act level (profile section 6.13): its wire shape, strict parsing, not identity. */
class ApprovalRecordTest {

    static final String ISSUER = "https://issuer.example";
    static final Approval APV = new Approval("req-1", "https://idp.example#olivia", Instant.ofEpochSecond(1767225500));

    @Test
    void approvedActorRoundTripsThroughTheActClaimAndDerivedChainsKeepIt() throws Exception {
        DelegationChain chain = DelegationChain.of(Actor.of("agent-a", ISSUER))
                .extendedBy(new Actor("agent-c", ISSUER, null, APV));
        String json = JSONObjectUtils.toJSONString(chain.toActClaim());
        assertEquals("{\"sub\":\"agent-c\",\"iss\":\"https://issuer.example\",\"apv\":{\"id\":\"req-1\","
                + "\"approver\":\"https://idp.example#olivia\",\"iat\":1767225500},\"act\":{\"sub\":\"agent-a\","
                + "\"iss\":\"https://issuer.example\"}}", json);
        DelegationChain parsed = DelegationChain.fromActClaim(JSONObjectUtils.parse(json), 10);
        assertEquals(chain, parsed);
        assertEquals(APV, parsed.current().approval());
        assertNull(parsed.first().approval());
        DelegationChain derived = parsed.extendedBy(Actor.of("agent-d", ISSUER));
        assertEquals(APV, derived.actors().get(1).approval());
    }

    @Test
    void approvalIsNotIdentityButChainsDifferingInItAreNotEqual() {
        Actor approved = new Actor("agent-c", ISSUER, null, APV);
        assertEquals(Actor.of("agent-c", ISSUER), approved);
        assertNotEquals(DelegationChain.of(approved), DelegationChain.of(Actor.of("agent-c", ISSUER)));
        assertTrue(new Approval("x", Approval.BREAK_GLASS, Instant.EPOCH).breakGlass());
    }

    @Test
    void malformedApprovalIsChainMalformed() throws Exception {
        for (Object apv : new Object[] {"yes", Map.of("id", "x", "approver", "y"),
                Map.of("id", "x", "approver", "y", "iat", 1.5), Map.of("id", "", "approver", "y", "iat", 1),
                Map.of("id", 7, "approver", "y", "iat", 1)}) {
            Map<String, Object> level = new LinkedHashMap<>();
            level.put("sub", "agent-c");
            level.put("iss", ISSUER);
            level.put("apv", apv);
            TokenVerificationException e = assertThrows(TokenVerificationException.class,
                    () -> DelegationChain.fromActClaim(level, 10), String.valueOf(apv));
            assertEquals(Reason.CHAIN_MALFORMED, e.reason());
        }
        Map<String, Object> nullApv = new LinkedHashMap<>();
        nullApv.put("sub", "agent-c");
        nullApv.put("iss", ISSUER);
        nullApv.put("apv", null);
        assertEquals(Reason.CHAIN_MALFORMED, assertThrows(TokenVerificationException.class,
                () -> DelegationChain.fromActClaim(nullApv, 10)).reason());
    }
}
