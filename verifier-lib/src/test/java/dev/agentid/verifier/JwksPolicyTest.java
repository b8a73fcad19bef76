package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwksPolicyTest {

    private static RSAKey rsa2048;

    @BeforeAll
    static void generateRsa() throws Exception {
        rsa2048 = new RSAKeyGenerator(2048).keyID("rsa-1").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.PS256)
                .generate().toPublicJWK();
    }

    private static ECKey ec(String kid) {
        return TestTokens.newKey(kid).toPublicJWK();
    }

    private static String refusal(JWK... keys) {
        return assertThrows(IllegalArgumentException.class,
                () -> JwksPolicy.requirePublicSigningKeys(new JWKSet(List.of(keys)))).getMessage();
    }

    @Test
    void publicEcAndRsaSigningKeysPass() {
        JWKSet set = new JWKSet(List.of(ec("a"), ec("b"), rsa2048));
        assertSame(set, JwksPolicy.requirePublicSigningKeys(set));
        ECKey withUseAndOps = new ECKey.Builder(ec("c")).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                .keyOperations(Set.of(KeyOperation.VERIFY)).build();
        JwksPolicy.requirePublicSigningKeys(new JWKSet(withUseAndOps));
    }

    @Test
    void emptySetIsRefused() {
        assertTrue(refusal().contains("no keys"));
    }

    @Test
    void privateKeysAreRefused() {
        assertTrue(refusal(TestTokens.newKey("p")).contains("private"));
    }

    @Test
    void symmetricKeysAreRefused() throws Exception {
        assertTrue(refusal(new OctetSequenceKeyGenerator(256).keyID("s").generate()).contains("symmetric"));
    }

    @Test
    void mixedSetsAreRefused() throws Exception {
        assertTrue(refusal(ec("a"), new OctetSequenceKeyGenerator(256).keyID("s").generate()).contains("mixes"));
    }

    @Test
    void duplicateKidsAreRefused() {
        String message = refusal(ec("same"), ec("same"));
        assertTrue(message.contains("twice") && message.contains("same"), message);
    }

    @Test
    void keysWithoutKidMayRepeatTheAbsence() {
        JwksPolicy.requirePublicSigningKeys(new JWKSet(List.of(new ECKey.Builder(ec("x")).keyID(null).build(),
                new ECKey.Builder(ec("y")).keyID(null).build())));
    }

    @Test
    void smallRsaKeysAreRefused() throws Exception {
        RSAKey small = new RSAKeyGenerator(1024, true).keyID("small").generate().toPublicJWK();
        assertTrue(refusal(small).contains("1024 bits"));
    }

    @Test
    void rsaExponentOneOrEvenIsRefused() {
        for (long e : new long[] {1, 2, 65536}) {
            RSAKey bad = new RSAKey.Builder(rsa2048.getModulus(), Base64URL.encode(BigInteger.valueOf(e)))
                    .keyID("e" + e).build();
            assertTrue(refusal(bad).contains("exponent"), "e=" + e);
        }
        RSAKey three = new RSAKey.Builder(rsa2048.getModulus(), Base64URL.encode(BigInteger.valueOf(3))).build();
        JwksPolicy.requirePublicSigningKeys(new JWKSet(three));
    }

    @Test
    void rocaFingerprintIsNotFoundInFreshKeys() throws Exception {
        for (int i = 0; i < 3; i++) {
            RSAKey fresh = new RSAKeyGenerator(2048).generate();
            assertFalse(JwksPolicy.Roca.hasFingerprint(fresh.getModulus().decodeToBigInteger()));
        }
    }

    @Test
    void otherCurvesAreRefused() throws Exception {
        ECKey p384 = new ECKeyGenerator(Curve.P_384).keyID("p384").generate().toPublicJWK();
        assertTrue(refusal(p384).contains("P-384"));
        // an Ed25519 public key (RFC 8037 example); Nimbus' OKP generator needs Tink, so parse it
        String ed25519 = "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
                + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
        String message = assertThrows(IllegalArgumentException.class,
                () -> JwksPolicy.requirePublicSigningKeys(ed25519)).getMessage();
        assertTrue(message.contains("OKP"), message);
    }

    @Test
    void pointsOffTheCurveAreRefused() {
        ECKey good = ec("p");
        BigInteger y = good.getY().decodeToBigInteger().add(BigInteger.ONE);
        String json = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"p\",\"x\":\"" + good.getX()
                + "\",\"y\":\"" + Base64URL.encode(y) + "\"}]}";
        String message = assertThrows(IllegalArgumentException.class,
                () -> JwksPolicy.requirePublicSigningKeys(json)).getMessage();
        assertTrue(message.contains("curve"), message);
    }

    @Test
    void encryptionKeysAreRefused() {
        assertTrue(refusal(new ECKey.Builder(ec("enc")).keyUse(KeyUse.ENCRYPTION).build()).contains("use"));
        assertTrue(refusal(new ECKey.Builder(ec("ops")).keyOperations(Set.of(KeyOperation.SIGN)).build())
                .contains("key_ops"));
        assertTrue(refusal(new ECKey.Builder(ec("wrap")).keyOperations(Set.of(KeyOperation.WRAP_KEY)).build())
                .contains("key_ops"));
    }

    @Test
    void algorithmsThatDoNotFitTheKeyAreRefused() {
        assertTrue(refusal(new ECKey.Builder(ec("a")).algorithm(JWSAlgorithm.ES384).build()).contains("alg"));
        assertTrue(refusal(new ECKey.Builder(ec("b")).algorithm(JWSAlgorithm.RS256).build()).contains("alg"));
        assertTrue(refusal(new ECKey.Builder(ec("c")).algorithm(JWSAlgorithm.HS256).build()).contains("alg"));
        assertTrue(refusal(new RSAKey.Builder(rsa2048).algorithm(JWSAlgorithm.ES256).build()).contains("alg"));
        assertTrue(refusal(new RSAKey.Builder(rsa2048).algorithm(com.nimbusds.jose.JWEAlgorithm.RSA_OAEP_256)
                .build()).contains("alg"));
    }

    @Test
    void invalidJsonIsRefusedWithTheSameException() {
        assertThrows(IllegalArgumentException.class, () -> JwksPolicy.requirePublicSigningKeys("{\"keys\":"));
        assertThrows(IllegalArgumentException.class, () -> JwksPolicy.requirePublicSigningKeys("{}"));
    }

    @Test
    void messagesNameTheKeyButHoldNoKeyMaterial() {
        ECKey p = TestTokens.newKey("leaky");
        String message = refusal(p);
        assertTrue(message.contains("leaky"));
        assertFalse(message.contains(p.getD().toString()));
        assertEquals(-1, message.indexOf(p.getX().toString()));
    }
}
