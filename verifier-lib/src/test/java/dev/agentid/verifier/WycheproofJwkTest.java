package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Wycheproof json_web_key_test.json through {@link JwksPolicy#requirePublicSigningKeys(String)} and then
 * the same pinned verification as {@link WycheproofJwsTest}. A test is accepted when the policy accepts
 * the key set and the JWS verifies with it.
 */
class WycheproofJwkTest {

    /**
     * The problem the policy must name for each test it rejects (a word of the exception message).
     * ROCA (tcId 7) is detected with the fingerprint test of CVE-2017-15361.
     */
    private static final Map<Integer, String> POLICY_REJECTS = Map.ofEntries(
            Map.entry(1, "mixes"),
            Map.entry(4, "twice"),
            Map.entry(6, "use"),
            Map.entry(7, "ROCA"),
            Map.entry(8, "bits"),
            Map.entry(9, "exponent"),
            Map.entry(19, "alg"),
            Map.entry(20, "alg"),
            Map.entry(21, "use"),
            Map.entry(22, "curve"),
            Map.entry(23, "curve"),
            Map.entry(24, "not a valid JWK set"),
            Map.entry(25, "symmetric"),
            Map.entry(26, "symmetric"));

    /**
     * Key sets of symmetric (oct) keys. Our policy accepts public keys only (agents register public
     * keys; MACs are never allowed), so it refuses them all, including tcId 2, 13, 14 and 15, which
     * Wycheproof labels valid: deliberately stricter than the vectors.
     */
    private static final Set<Integer> SYMMETRIC = Set.of(2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 18);
    private static final Set<Integer> VALID_BUT_SYMMETRIC = Set.of(2, 13, 14, 15);

    @Test
    void everyJwkVectorGivesTheExpectedResultUnderThePolicy() {
        Map<String, Object> file = Wycheproof.load("json_web_key_test.json");
        List<String> disagreements = new ArrayList<>();
        int count = 0;
        int accepted = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                int tcId = ((Number) test.get("tcId")).intValue();
                boolean valid = "valid".equals(test.get("result"));
                String problem = null;
                JWKSet keys = null;
                try {
                    keys = JwksPolicy.requirePublicSigningKeys(Wycheproof.keySetJson(group));
                } catch (IllegalArgumentException e) {
                    problem = e.getMessage();
                }
                boolean verified = keys != null && Wycheproof.verifyPinned(test.get("jws"), keys);
                count++;
                accepted += verified ? 1 : 0;

                String expectedWord = POLICY_REJECTS.get(tcId);
                if (SYMMETRIC.contains(tcId)) {
                    expectedWord = "symmetric";
                }
                boolean expectAccept = valid && !VALID_BUT_SYMMETRIC.contains(tcId);
                if (verified != expectAccept) {
                    disagreements.add("tcId " + tcId + ": expected " + (expectAccept ? "accept" : "reject")
                            + (problem == null ? "" : " (policy: " + problem + ")"));
                } else if (expectedWord != null && (problem == null || !problem.contains(expectedWord))) {
                    disagreements.add("tcId " + tcId + ": policy should name '" + expectedWord + "' but said: "
                            + problem);
                } else if (expectedWord == null && problem != null) {
                    disagreements.add("tcId " + tcId + ": policy should accept the keys but said: " + problem);
                }
            }
        }
        assertEquals(List.of(), disagreements);
        assertEquals(26, count);
        // tcId 5 is the one valid asymmetric case
        assertEquals(1, accepted);
    }

    @Test
    void onlyTheValidRsaSetPassesThePolicy() {
        Map<String, Object> file = Wycheproof.load("json_web_key_test.json");
        int passedPolicy = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                try {
                    JwksPolicy.requirePublicSigningKeys(Wycheproof.keySetJson(group));
                    passedPolicy++;
                    assertEquals(5, ((Number) test.get("tcId")).intValue());
                } catch (IllegalArgumentException expected) {
                    assertTrue(expected.getMessage().length() > 0);
                }
            }
        }
        assertEquals(1, passedPolicy);
    }
}
