package dev.agentid.verifier;

import static dev.agentid.verifier.TestTokens.AUDIENCE;
import static dev.agentid.verifier.TestTokens.ISSUER;
import static dev.agentid.verifier.TestTokens.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

/** EdDSA (Ed25519) tokens, opt-in through allowedAlgorithms, verified with BouncyCastle. */
class Ed25519Test {

    private static final Ed25519PrivateKeyParameters PRIVATE = new Ed25519PrivateKeyParameters(new SecureRandom());
    private static final OctetKeyPair PUBLIC = new OctetKeyPair.Builder(Curve.Ed25519,
            Base64URL.encode(PRIVATE.generatePublicKey().getEncoded())).keyID("ed-1").build();

    private static String signEd25519(String alg, String kid, String payloadJson) {
        String input = TestTokens.b64("{\"alg\":\"" + alg + "\",\"typ\":\"at+jwt\",\"kid\":\"" + kid + "\"}")
                + "." + TestTokens.b64(payloadJson);
        byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, PRIVATE);
        signer.update(bytes, 0, bytes.length);
        return input + "." + Base64URL.encode(signer.generateSignature());
    }

    private static AgentTokenVerifier.Builder verifier(JWSAlgorithm... algs) {
        return AgentTokenVerifier.builder()
                .trustIssuer(ISSUER, new JWKSet(List.of(TestTokens.KEY.toPublicJWK(), PUBLIC)))
                .audience(AUDIENCE).clock(TestTokens.clock()).allowedAlgorithms(algs);
    }

    private static Reason reason(AgentTokenVerifier verifier, String token) {
        return assertThrows(TokenVerificationException.class, () -> verifier.verify(token)).reason();
    }

    @Test
    void eddsaTokensVerifyWhenAllowed() throws Exception {
        AgentTokenVerifier verifier = verifier(JWSAlgorithm.ES256, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519).build();
        assertEquals("ed-1", verifier.verify(signEd25519("EdDSA", "ed-1", claims().build().toString())).keyId());
        assertEquals("ed-1", verifier.verify(signEd25519("Ed25519", "ed-1", claims().build().toString())).keyId());
        assertEquals(TestTokens.PRINCIPAL, verifier.verify(TestTokens.token()).principal());
    }

    @Test
    void eddsaIsRefusedByDefault() {
        AgentTokenVerifier esOnly = verifier(JWSAlgorithm.ES256).build();
        assertEquals(Reason.UNSUPPORTED_ALGORITHM,
                reason(esOnly, signEd25519("EdDSA", "ed-1", claims().build().toString())));
    }

    @Test
    void eddsaWithTheWrongKeyOrAlteredSignatureFails() {
        AgentTokenVerifier verifier = verifier(JWSAlgorithm.ES256, JWSAlgorithm.EdDSA).build();
        String token = signEd25519("EdDSA", "ed-1", claims().build().toString());
        String input = token.substring(0, token.lastIndexOf('.'));
        byte[] sig = Base64URL.from(token.substring(token.lastIndexOf('.') + 1)).decode();

        sig[5] ^= 1;
        assertEquals(Reason.BAD_SIGNATURE, reason(verifier, input + "." + Base64URL.encode(sig)));
        sig[5] ^= 1;
        byte[] longer = java.util.Arrays.copyOf(sig, 65);
        assertEquals(Reason.BAD_SIGNATURE, reason(verifier, input + "." + Base64URL.encode(longer)));
        // an EdDSA header naming the EC key, and an ES256 header naming the Ed25519 key
        assertEquals(Reason.UNKNOWN_KEY,
                reason(verifier, signEd25519("EdDSA", TestTokens.KEY.getKeyID(), claims().build().toString())));
        String es256OnEdKey = TestTokens.sign(TestTokens.header().keyID("ed-1").build(), claims().build(),
                TestTokens.KEY);
        assertEquals(Reason.UNKNOWN_KEY, reason(verifier, es256OnEdKey));
    }

    @Test
    void staticSetsMayHoldEd25519ButTheAgentKeyPolicyDoesNot() {
        JWKSet set = new JWKSet(PUBLIC);
        verifier(JWSAlgorithm.EdDSA).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwksPolicy.requirePublicSigningKeys(set));
        assertTrue(e.getMessage().contains("OKP"));
        OctetKeyPair withPrivate = new OctetKeyPair.Builder(PUBLIC).d(Base64URL.encode(PRIVATE.getEncoded())).build();
        assertThrows(IllegalArgumentException.class,
                () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, new JWKSet(withPrivate)));
        OctetKeyPair wrongAlg = new OctetKeyPair.Builder(PUBLIC).algorithm(JWSAlgorithm.ES256).build();
        assertThrows(IllegalArgumentException.class,
                () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, new JWKSet(wrongAlg)));
    }

    @Test
    void everyWycheproofEd25519VectorGivesTheExpectedResult() throws Exception {
        Map<String, Object> file = Wycheproof.load("ed25519_test.json");
        JWSHeader header = new JWSHeader(JWSAlgorithm.EdDSA);
        List<String> disagreements = new ArrayList<>();
        int count = 0;
        for (Map<String, Object> group : Wycheproof.list(file, "testGroups")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> publicKey = (Map<String, Object>) group.get("publicKey");
            byte[] pk = Wycheproof.hex((String) publicKey.get("pk"));
            OctetKeyPair jwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(pk)).build();
            Ed25519Verification.Verifier verifier =
                    new Ed25519Verification.Verifier((Ed25519Verification.RawKey) Ed25519Verification.publicKey(jwk));
            for (Map<String, Object> test : Wycheproof.list(group, "tests")) {
                boolean expected = "valid".equals(test.get("result"));
                boolean actual = verifier.verify(header, Wycheproof.hex((String) test.get("msg")),
                        Base64URL.encode(Wycheproof.hex((String) test.get("sig"))));
                if (actual != expected) {
                    disagreements.add("tcId " + test.get("tcId") + " (" + test.get("comment") + ")");
                }
                count++;
            }
        }
        assertEquals(List.of(), disagreements);
        assertEquals(151, count);
    }
}
