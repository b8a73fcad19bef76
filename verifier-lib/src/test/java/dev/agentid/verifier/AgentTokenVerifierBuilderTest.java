package dev.agentid.verifier;

import static dev.agentid.verifier.TestTokens.AUDIENCE;
import static dev.agentid.verifier.TestTokens.ISSUER;
import static dev.agentid.verifier.TestTokens.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentTokenVerifierBuilderTest {

    private static final JWKSet PUBLIC = new JWKSet(KEY.toPublicJWK());

    private static AgentTokenVerifier.Builder minimal() {
        return AgentTokenVerifier.builder().trustIssuer(ISSUER, PUBLIC).audience(AUDIENCE);
    }

    @Test
    void buildWhenNoIssuerThenRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AgentTokenVerifier.builder().audience(AUDIENCE).build());
        assertTrue(e.getMessage().contains("issuer"));
    }

    @Test
    void buildWhenNoAudienceThenRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, PUBLIC).build());
        assertTrue(e.getMessage().contains("anyAudience"));
    }

    @Test
    void buildWhenAudienceAndAnyAudienceThenRefused() {
        assertThrows(IllegalStateException.class, () -> minimal().anyAudience().build());
    }

    @Test
    void buildWhenAnyAudienceExplicitThenBuilt() {
        AgentTokenVerifier.builder().trustIssuer(ISSUER, PUBLIC).anyAudience().build();
    }

    @Test
    void audienceRefusesNoneEmptyAndNull() {
        AgentTokenVerifier.Builder b = AgentTokenVerifier.builder();
        assertThrows(IllegalArgumentException.class, b::audience);
        assertThrows(IllegalArgumentException.class, () -> b.audience(""));
        assertThrows(NullPointerException.class, () -> b.audience(AUDIENCE, null));
    }

    @Test
    void trustIssuerRefusesEmptyAndRepeatedIssuer() {
        assertThrows(IllegalArgumentException.class, () -> AgentTokenVerifier.builder().trustIssuer("", PUBLIC));
        assertThrows(NullPointerException.class, () -> AgentTokenVerifier.builder().trustIssuer(null, PUBLIC));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> minimal().trustIssuer(ISSUER, new JWKSet(TestTokens.newKey("k2").toPublicJWK())));
        assertTrue(e.getMessage().contains("already trusted"));
    }

    @Test
    void trustIssuerRefusesPrivateKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, new JWKSet(KEY)));
        assertTrue(e.getMessage().contains("private"));
    }

    @Test
    void trustIssuerRefusesSymmetricKeys() throws Exception {
        OctetSequenceKey secret = new OctetSequenceKeyGenerator(256).keyID("mac").generate();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, new JWKSet(secret)));
        assertTrue(e.getMessage().contains("private") || e.getMessage().contains("symmetric"), e.getMessage());
    }

    @Test
    void trustIssuerRefusesSetsFailingThePolicy() {
        ECKey a = TestTokens.newKey("same");
        ECKey b = TestTokens.newKey("same");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentTokenVerifier.builder()
                .trustIssuer(ISSUER, new JWKSet(List.of(a.toPublicJWK(), b.toPublicJWK()))));
        assertTrue(e.getMessage().contains("twice"));
        assertThrows(IllegalArgumentException.class, () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, new JWKSet()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://issuer.example/jwks", "ftp://127.0.0.1/jwks", "file:///etc/jwks.json",
        "http://127.0.0.1.example/jwks", "http://10.0.0.1/jwks"})
    void trustIssuerRefusesUrlsThatAreNotHttpsOrLoopback(String url) throws Exception {
        URL jwks = new URL(url);
        assertThrows(IllegalArgumentException.class, () -> AgentTokenVerifier.builder().trustIssuer(ISSUER, jwks));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://issuer.example/jwks", "http://127.0.0.1:8080/jwks", "http://localhost/jwks",
        "http://[::1]:9000/jwks"})
    void trustIssuerAcceptsHttpsAndLoopbackHttp(String url) throws Exception {
        try (AgentTokenVerifier v = AgentTokenVerifier.builder().trustIssuer(ISSUER, new URL(url)).audience(AUDIENCE)
                .build()) {
            assertEquals(1, v.trustedIssuers().size());
        }
    }

    @Test
    void trustIssuerAcceptsACallerKeySource() {
        AgentTokenVerifier.builder().trustIssuer(ISSUER, new ImmutableJWKSet<SecurityContext>(PUBLIC))
                .audience(AUDIENCE).build();
    }

    @Test
    void allowedAlgorithmsRefusesNoneMacUnsupportedAndEmpty() {
        AgentTokenVerifier.Builder b = minimal();
        assertThrows(IllegalArgumentException.class, b::allowedAlgorithms);
        assertThrows(IllegalArgumentException.class, () -> b.allowedAlgorithms(new JWSAlgorithm("none")));
        assertThrows(IllegalArgumentException.class, () -> b.allowedAlgorithms(JWSAlgorithm.parse("none")));
        for (JWSAlgorithm mac : JWSAlgorithm.Family.HMAC_SHA) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.allowedAlgorithms(JWSAlgorithm.ES256, mac));
            assertTrue(e.getMessage().contains("MAC"));
        }
        assertThrows(IllegalArgumentException.class, () -> b.allowedAlgorithms(JWSAlgorithm.ES256K));
        assertThrows(IllegalArgumentException.class, () -> b.allowedAlgorithms(JWSAlgorithm.Ed448));
        assertThrows(IllegalArgumentException.class, () -> b.allowedAlgorithms(new JWSAlgorithm("ES999")));
        assertThrows(NullPointerException.class, () -> b.allowedAlgorithms(JWSAlgorithm.ES256, null));
    }

    @Test
    void allowedAlgorithmsAcceptsSignatureAlgorithms() {
        minimal().allowedAlgorithms(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.RS256, JWSAlgorithm.PS512,
                JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519).build();
    }

    @Test
    void clockSkewRefusesNegativeAndMoreThanFiveMinutes() {
        AgentTokenVerifier.Builder b = minimal();
        assertThrows(IllegalArgumentException.class, () -> b.clockSkew(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.clockSkew(Duration.ofMinutes(5).plusMillis(1)));
        assertThrows(NullPointerException.class, () -> b.clockSkew(null));
        b.clockSkew(Duration.ZERO).clockSkew(Duration.ofMinutes(5)).build();
    }

    @Test
    void limitsRefuseNonPositiveValues() {
        AgentTokenVerifier.Builder b = minimal();
        assertThrows(IllegalArgumentException.class, () -> b.maxTokenBytes(0));
        assertThrows(IllegalArgumentException.class, () -> b.maxTokenBytes(-5));
        assertThrows(IllegalArgumentException.class, () -> b.maxChainDepth(0));
        assertThrows(NullPointerException.class, () -> b.clock(null));
        b.maxTokenBytes(1).maxChainDepth(1).build();
    }

    @Test
    void builtVerifierIsIndependentOfLaterBuilderChanges() throws Exception {
        AgentTokenVerifier.Builder b = TestTokens.verifier();
        AgentTokenVerifier first = b.build();
        b.audience("https://elsewhere.test").maxTokenBytes(10);
        assertEquals(TestTokens.PRINCIPAL, first.verify(TestTokens.token()).principal());
    }
}
