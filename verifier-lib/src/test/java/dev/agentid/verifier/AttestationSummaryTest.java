package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code att} member of an act level: its wire shape, parsing, and that it is not identity. */
class AttestationSummaryTest {

    static final String ISSUER = "https://issuer.example";
    static final String ATTESTER = "https://attester.example";
    static final String DIGEST = "sha256:" + "ab".repeat(32);
    static final Attestation ATT = Attestation.of(ATTESTER, DIGEST, Instant.ofEpochSecond(1767225500));

    @Test
    void attestedActorsRoundTripThroughTheActClaim() throws Exception {
        DelegationChain chain = DelegationChain.of(Actor.attested("agent-a", ISSUER, ATT))
                .extendedBy(Actor.of("agent-b", ISSUER))
                .extendedBy(Actor.attested("agent-c", ISSUER,
                        Attestation.of("https://tee.example", "sha384:" + "0f".repeat(48), Instant.ofEpochSecond(5))));
        Map<String, Object> act = chain.toActClaim();
        String json = JSONObjectUtils.toJSONString(act);
        assertEquals("{\"sub\":\"agent-c\",\"iss\":\"https://issuer.example\",\"att\":{\"iss\":\"https://tee.example\","
                + "\"dig\":\"sha384:" + "0f".repeat(48) + "\",\"iat\":5},\"act\":{\"sub\":\"agent-b\","
                + "\"iss\":\"https://issuer.example\",\"act\":{\"sub\":\"agent-a\",\"iss\":\"https://issuer.example\","
                + "\"att\":{\"iss\":\"https://attester.example\",\"dig\":\"" + DIGEST + "\",\"iat\":1767225500}}}}",
                json);
        DelegationChain parsed = DelegationChain.fromActClaim(JSONObjectUtils.parse(json), 10);
        assertEquals(chain, parsed);
        assertEquals(ATT, parsed.actors().get(2).attestation());
        assertNull(parsed.actors().get(1).attestation());
        assertEquals("https://tee.example", parsed.current().attestation().attester());
    }

    @Test
    void attestationIsNotPartOfTheActorsIdentity() {
        Actor attested = Actor.attested("agent-a", ISSUER, ATT);
        assertEquals(Actor.of("agent-a", ISSUER), attested);
        assertEquals(Actor.of("agent-a", ISSUER).hashCode(), attested.hashCode());
        assertTrue(attested.isAttested());
        assertFalse(Actor.of("agent-a", ISSUER).isAttested());
        DelegationChain chain = DelegationChain.of(attested);
        assertTrue(chain.containsAgent("agent-a", ISSUER));
        assertThrows(IllegalArgumentException.class, () -> chain.extendedBy(Actor.of("agent-a", ISSUER)));
    }

    @Test
    void chainsThatDifferOnlyInAnAttestationAreNotEqual() {
        DelegationChain attested = DelegationChain.of(Actor.attested("agent-a", ISSUER, ATT));
        DelegationChain bare = DelegationChain.of(Actor.of("agent-a", ISSUER));
        DelegationChain otherDigest = DelegationChain.of(Actor.attested("agent-a", ISSUER,
                Attestation.of(ATTESTER, "sha256:" + "cd".repeat(32), ATT.attestedAt())));
        assertNotEquals(attested, bare);
        assertNotEquals(attested, otherDigest);
        assertEquals(attested, DelegationChain.of(Actor.attested("agent-a", ISSUER, ATT)));
    }

    @Test
    void aCycleIsDetectedEvenWhenOnlyOneOccurrenceIsAttested() throws Exception {
        Map<String, Object> inner = level("agent-a", null);
        Map<String, Object> outer = level("agent-a", inner);
        outer.put("att", att(ATTESTER, DIGEST, 1767225500L));
        assertEquals(Reason.CHAIN_CYCLE, reason(outer));
    }

    @Test
    void unknownMembersOfAttAreIgnored() throws Exception {
        Map<String, Object> level = level("agent-a", null);
        Map<String, Object> att = att(ATTESTER, DIGEST, 1767225500L);
        att.put("model", "example-model-1");
        level.put("att", att);
        assertEquals(ATT, DelegationChain.fromActClaim(level, 10).current().attestation());
    }

    @Test
    void malformedAttestationSummariesAreMalformedChains() {
        List<Object> bad = List.of(
                "a string",
                List.of(),
                att(null, DIGEST, 1L),
                att("", DIGEST, 1L),
                att(ATTESTER, null, 1L),
                att(ATTESTER, "sha256:" + "AB".repeat(32), 1L),
                att(ATTESTER, "sha256:" + "ab".repeat(31), 1L),
                att(ATTESTER, "md5:" + "ab".repeat(16), 1L),
                att(ATTESTER, "ab".repeat(32), 1L),
                att(ATTESTER, DIGEST, null),
                att(ATTESTER, DIGEST, "1767225500"),
                att(ATTESTER, DIGEST, 1.5),
                att(ATTESTER, DIGEST, -1L),
                att(ATTESTER, DIGEST, 253402300800L));
        for (Object value : bad) {
            Map<String, Object> level = level("agent-a", null);
            level.put("att", value);
            assertEquals(Reason.CHAIN_MALFORMED, reason(level), "att " + value);
        }
        Map<String, Object> nullAtt = level("agent-a", null);
        nullAtt.put("att", null);
        assertEquals(Reason.CHAIN_MALFORMED, reason(nullAtt), "att null");
    }

    @Test
    void theAttestationRecordRefusesWhatTheWireRefuses() {
        assertThrows(IllegalArgumentException.class, () -> Attestation.of("", DIGEST, Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> Attestation.of(ATTESTER, "sha256:xyz", Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> Attestation.of(ATTESTER, DIGEST, Instant.ofEpochMilli(1)));
        assertThrows(IllegalArgumentException.class, () -> Attestation.of(ATTESTER, DIGEST, Instant.ofEpochSecond(-1)));
    }

    private static Reason reason(Map<String, Object> act) {
        return assertThrows(TokenVerificationException.class, () -> DelegationChain.fromActClaim(act, 10)).reason();
    }

    private static Map<String, Object> level(String sub, Map<String, Object> nested) {
        Map<String, Object> level = new LinkedHashMap<>();
        level.put("sub", sub);
        level.put("iss", ISSUER);
        if (nested != null) {
            level.put("act", nested);
        }
        return level;
    }

    private static Map<String, Object> att(Object iss, Object dig, Object iat) {
        Map<String, Object> att = new LinkedHashMap<>();
        att.put("iss", iss);
        att.put("dig", dig);
        att.put("iat", iat);
        return att;
    }
}
