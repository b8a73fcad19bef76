package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.nimbusds.jose.jwk.JWKSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Wycheproof json_web_signature_test.json: every test through the strict compact/base64url pre-check
 * ({@link CompactJws}) and Nimbus verification with the key pinned to the JWK's {@code alg}.
 */
class WycheproofJwsTest {

    /**
     * Labelled valid in this snapshot, rejected by a strict verifier (see the README next to the file).
     * 346, 350 (RFC 7520 Figure 20): the header says PS384 but the key is pinned to PS256.
     * 347, 351 (RFC 7520 Figure 27): the header says ES512, the key's alg is "ES521", not a registered name.
     * 372, 373: a '?' was inserted after the MAC was computed; the JWS signing input is the literal
     * received ASCII, and '?' is not base64url, so the pre-check rejects them before Nimbus.
     */
    private static final Set<Integer> STRICTER_THAN_LABEL = Set.of(346, 347, 350, 351, 372, 373);

    /**
     * Labelled invalid ("invalidBase64Padding", "invalidBase64PaddingInPayload") but, in this snapshot,
     * byte-identical to the valid tcId 357: the '=' padding they were meant to carry is absent. Not in
     * the README's quirk list; found by this test. Accepting them is the only answer consistent with 357.
     */
    private static final Set<Integer> IDENTICAL_TO_VALID_357 = Set.of(367, 370);

    @Test
    void everyCompactJwsVectorGivesTheExpectedResult() throws Exception {
        Map<String, Object> file = Wycheproof.load("json_web_signature_test.json");
        List<String> disagreements = new ArrayList<>();
        Map<Integer, Boolean> outcomes = new HashMap<>();
        int count = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            JWKSet keys = JWKSet.parse(Wycheproof.keySetJson(group));
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                int tcId = ((Number) test.get("tcId")).intValue();
                boolean expected = ("valid".equals(test.get("result")) && !STRICTER_THAN_LABEL.contains(tcId))
                        || IDENTICAL_TO_VALID_357.contains(tcId);
                boolean actual = Wycheproof.verifyPinned(test.get("jws"), keys);
                outcomes.put(tcId, actual);
                if (actual != expected) {
                    disagreements.add("tcId " + tcId + " (" + group.get("comment") + "/" + test.get("comment")
                            + "): expected " + (expected ? "accept" : "reject"));
                }
                count++;
            }
        }
        assertEquals(List.of(), disagreements);
        assertEquals(401, count);
        for (int tcId : STRICTER_THAN_LABEL) {
            assertFalse(outcomes.get(tcId), "tcId " + tcId + " is rejected on purpose");
        }
    }

    @Test
    void quirkVectorsAreLabelledValidInThisSnapshot() {
        // guards the special cases above: if a future snapshot fixes the labels, revisit the list
        Map<String, Object> file = Wycheproof.load("json_web_signature_test.json");
        int labelledValid = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                if (STRICTER_THAN_LABEL.contains(((Number) test.get("tcId")).intValue())) {
                    assertEquals("valid", test.get("result"));
                    labelledValid++;
                }
            }
        }
        assertEquals(STRICTER_THAN_LABEL.size(), labelledValid);
    }

    @Test
    void paddingVectorsAreCopiesOfAValidVectorInThisSnapshot() {
        Map<Integer, Object> jws = new HashMap<>();
        for (Map<String, Object> group : Wycheproof.list(Wycheproof.load("json_web_signature_test.json"), "testGroups")) {
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                jws.put(((Number) test.get("tcId")).intValue(), test.get("jws"));
            }
        }
        for (int tcId : IDENTICAL_TO_VALID_357) {
            assertEquals(jws.get(357), jws.get(tcId), "tcId " + tcId);
        }
        // what the two were meant to test is rejected by the pre-check
        String valid = (String) jws.get(357);
        String[] parts = valid.split("\\.");
        assertEquals(null, CompactJws.split(valid + "=", true));
        assertEquals(null, CompactJws.split(parts[0] + "." + parts[1] + "==." + parts[2], true));
    }

    @Test
    void base64VectorsThatNimbusAloneAcceptsAreRejectedByThePreCheck() throws Exception {
        // README: Nimbus tolerates whitespace, '?', '#' and non-zero trailing bits in these
        Map<String, Object> file = Wycheproof.load("json_web_signature_test.json");
        Set<Integer> lax = Set.of(360, 361, 362, 365, 366, 368, 369, 371, 375);
        int seen = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                if (lax.contains(((Number) test.get("tcId")).intValue())) {
                    assertEquals(null, CompactJws.split((String) test.get("jws"), true), "tcId " + test.get("tcId"));
                    seen++;
                }
            }
        }
        assertEquals(lax.size(), seen);
    }
}
