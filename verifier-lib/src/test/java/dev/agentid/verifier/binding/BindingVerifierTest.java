package dev.agentid.verifier.binding;

import static dev.agentid.verifier.binding.TestProofs.KEY;
import static dev.agentid.verifier.binding.TestProofs.METHOD;
import static dev.agentid.verifier.binding.TestProofs.NOW;
import static dev.agentid.verifier.binding.TestProofs.OTHER_KEY;
import static dev.agentid.verifier.binding.TestProofs.URI;
import static dev.agentid.verifier.binding.TestProofs.claimsFor;
import static dev.agentid.verifier.binding.TestProofs.proof;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TestTokens;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class BindingVerifierTest {

    private static final X509Certificate AGENT_CERT = TestProofs.certificate("agent-b");
    private static final X509Certificate OTHER_CERT = TestProofs.certificate("agent-x");

    private final MutableClock clock = new MutableClock(NOW);
    private final AgentTokenVerifier tokens = TestTokens.verifier().build();
    private final BindingVerifier bindings = BindingVerifier.builder()
            .dpop(DpopProofVerifier.builder().clock(clock).build())
            .build();

    /** A token whose cnf is the given object (null: no cnf). */
    private static String token(Object cnf) {
        var claims = TestTokens.claims();
        if (cnf != null) {
            claims.claim("cnf", cnf);
        }
        return TestTokens.sign(claims.build());
    }

    private static String dpopBoundToken() {
        return token(Map.of("jkt", TestProofs.thumbprint(KEY)));
    }

    private static String certificateBoundToken() {
        return token(Map.of("x5t#S256", com.nimbusds.jose.util.X509CertUtils.computeSHA256Thumbprint(AGENT_CERT)
                .toString()));
    }

    private VerifiedBinding verify(String token, PresentedRequest request) throws TokenVerificationException {
        VerifiedAgentToken verified = tokens.verify(token);
        return bindings.verify(verified, request);
    }

    private static PresentedRequest dpop(String token, String proof) {
        return PresentedRequest.dpop(token, proof).request(METHOD, URI);
    }

    private static void assertReason(Reason reason, Executable executable) {
        TokenVerificationException e = assertThrows(TokenVerificationException.class, executable);
        assertEquals(reason, e.reason(), e.getMessage());
    }

    // --- DPoP (cnf.jkt) -------------------------------------------------------------------------------

    @Test
    void dpopBoundTokenWithAValidProofByItsKeyIsAccepted() throws Exception {
        String token = dpopBoundToken();

        VerifiedBinding binding = verify(token, dpop(token, proof(claimsFor(token).build())));

        assertTrue(binding.isBound());
        assertEquals(TestProofs.thumbprint(KEY), binding.proof().orElseThrow().jwkThumbprint());
        assertTrue(binding.certificate().isEmpty());
    }

    @Test
    void dpopBoundTokenWithoutProofIsRefused() {
        String token = dpopBoundToken();

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, dpop(token, null)));
    }

    @Test
    void dpopBoundTokenWithAProofByAnotherKeyIsRefused() {
        String token = dpopBoundToken();

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, dpop(token, proof(OTHER_KEY, claimsFor(token).build()))));
    }

    @Test
    void dpopBoundTokenPresentedAsBearerIsRefusedEvenWithAProof() {
        String token = dpopBoundToken();
        PresentedRequest bearer = PresentedRequest.bearer(token).dpopProof(proof(claimsFor(token).build()))
                .request(METHOD, URI);

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, bearer));
    }

    @Test
    void replayedProofIsRefused() throws Exception {
        String token = dpopBoundToken();
        String proof = proof(claimsFor(token).build());
        verify(token, dpop(token, proof));

        assertReason(Reason.DPOP_PROOF_REPLAYED, () -> verify(token, dpop(token, proof)));
    }

    @Test
    void proofForAnotherUrlOrMethodIsRefused() {
        String token = dpopBoundToken();

        assertReason(Reason.DPOP_PROOF_INVALID, () -> verify(token,
                dpop(token, proof(claimsFor(token).claim("htu", "https://api.test/orders/18").build()))));
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verify(token,
                dpop(token, proof(claimsFor(token).claim("htm", "DELETE").build()))));
    }

    @Test
    void proofForAnotherAccessTokenIsRefused() {
        String token = dpopBoundToken();

        assertReason(Reason.DPOP_PROOF_INVALID, () -> verify(token, dpop(token, proof(claimsFor("other").build()))));
    }

    @Test
    void proofByAnotherKeyDoesNotConsumeTheProof() throws Exception {
        // a proof by the right key, with the jti of a refused proof by another key, is still accepted
        String token = dpopBoundToken();
        var claims = claimsFor(token).build();
        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, dpop(token, proof(OTHER_KEY, claims))));

        verify(token, dpop(token, proof(KEY, claims)));
    }

    @Test
    void nonceRequirementIsPassedThrough() throws Exception {
        RotatingNonceSource nonces = new RotatingNonceSource(clock);
        BindingVerifier withNonces = BindingVerifier.builder()
                .dpop(DpopProofVerifier.builder().clock(clock).nonceSource(nonces).build()).build();
        String token = dpopBoundToken();
        VerifiedAgentToken verified = tokens.verify(token);

        assertReason(Reason.DPOP_NONCE_REQUIRED,
                () -> withNonces.verify(verified, dpop(token, proof(claimsFor(token).build()))));
        withNonces.verify(verified, dpop(token, proof(claimsFor(token).claim("nonce", withNonces.dpopProofVerifier()
                .nonceSource().currentNonce()).build())));
    }

    @Test
    void dpopBoundTokenWithoutRequestMethodAndUriIsACallerError() throws Exception {
        String token = dpopBoundToken();
        VerifiedAgentToken verified = tokens.verify(token);

        assertThrows(IllegalArgumentException.class, () -> bindings.verify(verified,
                PresentedRequest.dpop(token, proof(claimsFor(token).build()))));
    }

    // --- mTLS (cnf.x5t#S256) --------------------------------------------------------------------------

    @Test
    void certificateBoundTokenOverTheBoundCertificateIsAccepted() throws Exception {
        String token = certificateBoundToken();

        VerifiedBinding binding = verify(token, PresentedRequest.bearer(token).clientCertificate(AGENT_CERT));

        assertTrue(binding.isBound());
        assertEquals("8kyS601TwWiKSaY5275-_NnbSyFycalCRgacsZQouJ8", binding.certificate().orElseThrow());
    }

    @Test
    void certificateBoundTokenOverAnotherCertificateIsRefused() {
        String token = certificateBoundToken();

        assertReason(Reason.BINDING_MISMATCH,
                () -> verify(token, PresentedRequest.bearer(token).clientCertificate(OTHER_CERT)));
    }

    @Test
    void certificateBoundTokenWithoutClientCertificateIsRefused() {
        String token = certificateBoundToken();

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, PresentedRequest.bearer(token)));
    }

    @Test
    void certificateBoundTokenWithTheDpopSchemeIsRefused() {
        String token = certificateBoundToken();

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token,
                dpop(token, proof(claimsFor(token).build())).clientCertificate(AGENT_CERT)));
    }

    @Test
    void tokenBoundToBothNeedsBoth() throws Exception {
        String token = token(Map.of("jkt", TestProofs.thumbprint(KEY), "x5t#S256",
                com.nimbusds.jose.util.X509CertUtils.computeSHA256Thumbprint(AGENT_CERT).toString()));

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, dpop(token, proof(claimsFor(token).build()))));
        VerifiedBinding binding = verify(token, dpop(token, proof(claimsFor(token).build())).clientCertificate(AGENT_CERT));
        assertTrue(binding.proof().isPresent() && binding.certificate().isPresent());
    }

    // --- bearer tokens and cnf itself -----------------------------------------------------------------

    @Test
    void unboundTokenAsBearerIsAccepted() throws Exception {
        String token = token(null);

        VerifiedBinding binding = verify(token, PresentedRequest.bearer(token));

        assertFalse(binding.isBound());
        assertEquals(VerifiedBinding.BEARER, binding);
    }

    @Test
    void unboundTokenWithTheDpopSchemeIsRefused() {
        String token = token(null);

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, dpop(token, proof(claimsFor(token).build()))));
    }

    @Test
    void unboundTokenIsRefusedWhenBoundTokensAreRequired() throws Exception {
        String token = token(null);
        BindingVerifier strict = BindingVerifier.builder().requireBoundTokens().build();
        VerifiedAgentToken verified = tokens.verify(token);

        assertReason(Reason.BINDING_MISMATCH, () -> strict.verify(verified, PresentedRequest.bearer(token)));
    }

    @Test
    void tokenBoundByAnUnknownConfirmationMethodIsRefused() {
        String token = token(Map.of("jwk", KEY.toPublicJWK().toJSONObject()));

        assertReason(Reason.BINDING_MISMATCH, () -> verify(token, PresentedRequest.bearer(token)));
    }

    @Test
    void malformedCnfIsAnInvalidClaim() {
        for (Object cnf : new Object[] {"jkt", Map.of(), Map.of("jkt", 7), Map.of("jkt", "too-short"),
                Map.of("x5t#S256", TestProofs.thumbprint(KEY) + "A")}) {
            String token = token(cnf);
            assertReason(Reason.INVALID_CLAIM, () -> verify(token, PresentedRequest.bearer(token)));
        }
    }

    @Test
    void verifiedTokenExposesItsConfirmation() throws Exception {
        VerifiedAgentToken bound = tokens.verify(dpopBoundToken());
        VerifiedAgentToken bearer = tokens.verify(token(null));

        assertEquals(Confirmation.ofJwkThumbprint(TestProofs.thumbprint(KEY)), bound.confirmation());
        assertEquals(Map.of("jkt", TestProofs.thumbprint(KEY)), bound.confirmation().toClaim());
        assertEquals(Confirmation.NONE, bearer.confirmation());
        assertFalse(bearer.confirmation().isBound());
    }

    @Test
    void authorizationHeaderIsParsedCaseInsensitively() {
        assertEquals(PresentedRequest.Scheme.DPOP, PresentedRequest.fromAuthorization("dpop abc").scheme());
        assertEquals(PresentedRequest.Scheme.BEARER, PresentedRequest.fromAuthorization("Bearer abc").scheme());
        assertEquals("abc", PresentedRequest.fromAuthorization("DPoP abc").accessToken());
        assertThrows(IllegalArgumentException.class, () -> PresentedRequest.fromAuthorization("Basic abc"));
        assertThrows(IllegalArgumentException.class, () -> PresentedRequest.fromAuthorization("Bearer"));
        assertThrows(IllegalArgumentException.class, () -> PresentedRequest.fromAuthorization("Bearer a b"));
    }
}
