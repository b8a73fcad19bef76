package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.util.Base64URL;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Wycheproof ecdsa_secp256r1_sha256_p1363_test.json (ES256 signatures are P1363 r||s) through both verifiers
 * {@link AgentTokenVerifier} uses: {@link Es256Verification} (BouncyCastle's ECDSA on the P1363 signature, for P-256 keys
 * of trusted issuers) and Nimbus {@link ECDSAVerifier} on BouncyCastle (every other ES256 check).
 */
class WycheproofEcdsaP256Test {

    @Test
    void everyP1363VectorGivesTheExpectedResultWithBouncyCastle() throws Exception {
        everyVector(key -> {
            ECDSAVerifier verifier = new ECDSAVerifier(key);
            verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            return verifier;
        });
    }

    @Test
    void everyP1363VectorGivesTheExpectedResultWithTheDirectEs256Verifier() throws Exception {
        everyVector(key -> {
            com.nimbusds.jose.JWSVerifier verifier = Es256Verification.forKey(key);
            assertTrue(verifier != null, "a P-256 key");
            return verifier;
        });
    }

    interface VerifierFor {
        com.nimbusds.jose.JWSVerifier make(ECPublicKey key) throws Exception;
    }

    private static void everyVector(VerifierFor verifiers) throws Exception {
        Map<String, Object> file = Wycheproof.load("ecdsa_secp256r1_sha256_p1363_test.json");
        KeyFactory keyFactory = KeyFactory.getInstance("EC", BouncyCastleProviderSingleton.getInstance());
        JWSHeader header = new JWSHeader(JWSAlgorithm.ES256);
        int count = 0;
        int valid = 0;
        List<String> disagreements = new ArrayList<>();
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            assertEquals("SHA-256", group.get("sha"));
            ECPublicKey key = (ECPublicKey) keyFactory.generatePublic(
                    new X509EncodedKeySpec(Wycheproof.hex((String) group.get("publicKeyDer"))));
            com.nimbusds.jose.JWSVerifier verifier = verifiers.make(key);
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                String result = (String) test.get("result");
                assertTrue(result.equals("valid") || result.equals("invalid"), "no acceptable cases expected");
                boolean expected = result.equals("valid");
                boolean actual;
                try {
                    actual = verifier.verify(header, Wycheproof.hex((String) test.get("msg")),
                            Base64URL.encode(Wycheproof.hex((String) test.get("sig"))));
                } catch (Exception e) {
                    actual = false;
                }
                if (actual != expected) {
                    disagreements.add("tcId " + test.get("tcId") + " (" + test.get("comment") + "): expected "
                            + result);
                }
                count++;
                valid += expected ? 1 : 0;
            }
        }
        assertEquals(List.of(), disagreements);
        assertEquals(262, count);
        assertEquals(((Number) file.get("numberOfTests")).intValue(), count);
        assertEquals(173, valid);
    }
}
