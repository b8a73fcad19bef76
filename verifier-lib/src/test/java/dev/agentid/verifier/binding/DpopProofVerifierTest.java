package dev.agentid.verifier.binding;

import static dev.agentid.verifier.binding.TestProofs.KEY;
import static dev.agentid.verifier.binding.TestProofs.METHOD;
import static dev.agentid.verifier.binding.TestProofs.NOW;
import static dev.agentid.verifier.binding.TestProofs.OTHER_KEY;
import static dev.agentid.verifier.binding.TestProofs.URI;
import static dev.agentid.verifier.binding.TestProofs.claims;
import static dev.agentid.verifier.binding.TestProofs.claimsFor;
import static dev.agentid.verifier.binding.TestProofs.header;
import static dev.agentid.verifier.binding.TestProofs.proof;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.TestTokens;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class DpopProofVerifierTest {

    private static final String ACCESS_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

    private final MutableClock clock = new MutableClock(NOW);
    private final DpopProofVerifier verifier = DpopProofVerifier.builder().clock(clock).build();

    private static void assertReason(Reason reason, Executable executable) {
        TokenVerificationException e = assertThrows(TokenVerificationException.class, executable);
        assertEquals(reason, e.reason(), e.getMessage());
    }

    private void assertInvalid(String proof) {
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(proof, METHOD, URI, null));
    }

    @Test
    void validProofYieldsItsKeyThumbprintAndClaims() throws Exception {
        JWTClaimsSet claims = claims().build();

        DpopProof proof = verifier.verify(proof(claims), METHOD, URI, null);

        assertEquals(KEY.computeThumbprint().toString(), proof.jwkThumbprint());
        assertEquals(KEY.toPublicJWK(), proof.publicKey());
        assertEquals(claims.getJWTID(), proof.jwtId());
        assertEquals(NOW, proof.issuedAt());
        assertEquals("GET", proof.method());
        assertEquals(URI.toString(), proof.targetUri());
        assertTrue(proof.nonceValue().isEmpty());
    }

    @Test
    void replayedProofIsRefused() throws Exception {
        String proof = proof(claims().build());
        verifier.verify(proof, METHOD, URI, null);

        assertReason(Reason.DPOP_PROOF_REPLAYED, () -> verifier.verify(proof, METHOD, URI, null));
        clock.advance(Duration.ofSeconds(30));
        assertReason(Reason.DPOP_PROOF_REPLAYED, () -> verifier.verify(proof, METHOD, URI, null));
    }

    @Test
    void replayedProofAfterTheWindowIsRefusedByItsAge() throws Exception {
        String proof = proof(claims().build());
        verifier.verify(proof, METHOD, URI, null);
        clock.advance(Duration.ofSeconds(61));

        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(proof, METHOD, URI, null));
    }

    @Test
    void sameJtiFromAnotherKeyIsNotAReplay() throws Exception {
        JWTClaimsSet claims = claims().build();
        verifier.verify(proof(KEY, claims), METHOD, URI, null);

        assertEquals(TestProofs.thumbprint(OTHER_KEY), verifier.verify(proof(OTHER_KEY, claims), METHOD, URI, null)
                .jwkThumbprint());
    }

    @Test
    void aForgedProofUnderAKeySeenBeforeIsRefused() throws Exception {
        verifier.verify(proof(claims().build()), METHOD, URI, null);   // the key's verifier is now remembered

        String good = proof(claims().build());
        int at = good.lastIndexOf('.') + 5;
        String forged = good.substring(0, at) + (good.charAt(at) == 'A' ? 'B' : 'A') + good.substring(at + 1);
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(forged, METHOD, URI, null));
        String otherSigner = TestProofs.sign(header(KEY).build(), claims().build(), OTHER_KEY);   // KEY in the header
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(otherSigner, METHOD, URI, null));
        verifier.verify(good, METHOD, URI, null);
    }

    @Test
    void proofRefusedForAnotherReasonDoesNotConsumeItsJti() throws Exception {
        String proof = proof(claimsFor(ACCESS_TOKEN).build());
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(proof, METHOD, URI, "another-token"));

        verifier.verify(proof, METHOD, URI, ACCESS_TOKEN);
    }

    @Test
    void proofForAnotherMethodIsRefused() {
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(proof(claims().build()), "POST", URI, null));
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(proof(claims().build()), "get", URI, null));
    }

    @Test
    void proofForAnotherUrlIsRefused() {
        for (String other : List.of("https://api.test/orders/18", "https://api.test/orders/17/", "http://api.test/orders/17",
                "https://api.test:8443/orders/17", "https://evil.test/orders/17")) {
            assertReason(Reason.DPOP_PROOF_INVALID,
                    () -> verifier.verify(proof(claims().claim("htu", other).build()), METHOD, URI, null));
        }
    }

    @Test
    void htuIsComparedWithoutQueryAndFragmentAfterNormalization() throws Exception {
        java.net.URI request = java.net.URI.create("https://api.test/orders/17?page=2#top");
        for (String htu : List.of("https://api.test/orders/17", "HTTPS://API.test:443/orders/17",
                "https://api.test/orders/./17", "https://api.test/%6Frders/17", "https://api.test/orders/17?x=1")) {
            verifier.verify(proof(claims().claim("htu", htu).build()), METHOD, request, null);
        }
    }

    @Test
    void typOtherThanDpopJwtIsRefused() {
        assertInvalid(TestProofs.sign(new JWSHeader.Builder(header(KEY).build()).type(JOSEObjectType.JWT).build(),
                claims().build(), KEY));
        assertInvalid(TestProofs.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).jwk(KEY.toPublicJWK()).build(),
                claims().build(), KEY));
    }

    @Test
    void algNoneIsRefused() {
        String header = "{\"alg\":\"none\",\"typ\":\"dpop+jwt\",\"jwk\":" + KEY.toPublicJWK().toJSONString() + "}";
        assertInvalid(TestProofs.b64(header) + "." + TestProofs.b64(claims().build().toString()) + ".");
    }

    @Test
    void macAlgorithmIsRefused() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(KEY.toPublicJWK()).build(), claims().build());
        jwt.sign(new MACSigner(new byte[32]));
        assertInvalid(jwt.serialize());
    }

    @Test
    void algorithmNotOnTheAllowlistIsRefused() throws Exception {
        RSAKey rsa = new RSAKeyGenerator(2048).generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(new JOSEObjectType("dpop+jwt"))
                .jwk(rsa.toPublicJWK()).build(), claims().build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(rsa));
        assertInvalid(jwt.serialize());

        DpopProofVerifier withRsa = DpopProofVerifier.builder().clock(clock)
                .allowedAlgorithms(JWSAlgorithm.ES256, JWSAlgorithm.RS256).build();
        assertEquals(rsa.computeThumbprint().toString(), withRsa.verify(jwt.serialize(), METHOD, URI, null).jwkThumbprint());
    }

    @Test
    void builderRefusesNoneAndMacAlgorithms() {
        assertThrows(IllegalArgumentException.class,
                () -> DpopProofVerifier.builder().allowedAlgorithms(new JWSAlgorithm("none")));
        assertThrows(IllegalArgumentException.class,
                () -> DpopProofVerifier.builder().allowedAlgorithms(JWSAlgorithm.HS256));
        assertThrows(IllegalArgumentException.class,
                () -> DpopProofVerifier.builder().window(Duration.ofMinutes(6)));
    }

    @Test
    void proofWithoutJwkIsRefused() {
        assertInvalid(TestProofs.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt"))
                .keyID("k").build(), claims().build(), KEY));
    }

    @Test
    void proofWithPrivateJwkIsRefused() {
        String header = "{\"alg\":\"ES256\",\"typ\":\"dpop+jwt\",\"jwk\":" + KEY.toJSONString() + "}";
        assertInvalid(TestProofs.signRaw(header, claims().build(), KEY));
    }

    @Test
    void proofSignedByAnotherKeyThanItsJwkIsRefused() {
        assertInvalid(TestProofs.sign(header(KEY).build(), claims().build(), OTHER_KEY));
    }

    @Test
    void proofWhoseJwkDoesNotFitTheAlgorithmIsRefused() throws Exception {
        ECKey p384 = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384).generate();
        String header = "{\"alg\":\"ES256\",\"typ\":\"dpop+jwt\",\"jwk\":" + p384.toPublicJWK().toJSONString() + "}";
        assertInvalid(TestProofs.signRaw(header, claims().build(), KEY));
    }

    @Test
    void proofWithAlteredPayloadIsRefused() {
        String[] parts = proof(claims().build()).split("\\.");
        String altered = TestProofs.b64(claims().claim("htu", "https://api.test/admin").build().toString());
        assertInvalid(parts[0] + "." + altered + "." + parts[2]);
    }

    @Test
    void proofMissingARequiredClaimIsRefused() {
        for (String claim : List.of("jti", "htm", "htu", "iat")) {
            JWTClaimsSet.Builder claims = claims();
            claims.claim(claim, null);
            assertInvalid(proof(claims.build()));
        }
        assertInvalid(proof(claims().claim("htm", 1).build()));
    }

    @Test
    void malformedProofIsRefused() {
        assertInvalid("not-a-jwt");
        assertInvalid("");
        assertReason(Reason.DPOP_PROOF_INVALID, () -> verifier.verify(null, METHOD, URI, null));
        assertInvalid("a".repeat(8193));
    }

    @Test
    void iatOutsideTheWindowIsRefusedAndTheBoundariesAreAccepted() throws Exception {
        assertInvalid(proof(claims().issueTime(Date.from(NOW.minusSeconds(61))).build()));
        assertInvalid(proof(claims().issueTime(Date.from(NOW.plusSeconds(61))).build()));
        verifier.verify(proof(claims().issueTime(Date.from(NOW.minusSeconds(60))).build()), METHOD, URI, null);
        verifier.verify(proof(claims().issueTime(Date.from(NOW.plusSeconds(60))).build()), METHOD, URI, null);
    }

    @Test
    void athMustBeTheHashOfThePresentedAccessToken() throws Exception {
        assertReason(Reason.DPOP_PROOF_INVALID,
                () -> verifier.verify(proof(claims().build()), METHOD, URI, ACCESS_TOKEN));
        assertReason(Reason.DPOP_PROOF_INVALID,
                () -> verifier.verify(proof(claimsFor("other").build()), METHOD, URI, ACCESS_TOKEN));

        verifier.verify(proof(claimsFor(ACCESS_TOKEN).build()), METHOD, URI, ACCESS_TOKEN);
    }

    @Test
    void accessTokenHashIsBase64UrlSha256() throws Exception {
        // RFC 9449 section 7.1 example: token Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU
        assertEquals("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo",
                DpopProofVerifier.accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"));
    }

    @Test
    void withNonceSourceAMissingOrWrongNonceIsADistinctFailure() throws Exception {
        RotatingNonceSource nonces = new RotatingNonceSource(clock, Duration.ofMinutes(5));
        DpopProofVerifier withNonces = DpopProofVerifier.builder().clock(clock).nonceSource(nonces).build();

        assertReason(Reason.DPOP_NONCE_REQUIRED, () -> withNonces.verify(proof(claims().build()), METHOD, URI, null));
        assertReason(Reason.DPOP_NONCE_REQUIRED,
                () -> withNonces.verify(proof(claims().claim("nonce", "guess").build()), METHOD, URI, null));

        DpopProof proof = withNonces.verify(proof(claims().claim("nonce", nonces.currentNonce()).build()),
                METHOD, URI, null);
        assertEquals(nonces.currentNonce(), proof.nonce());
        assertEquals(nonces, withNonces.nonceSource());
    }

    @Test
    void nonceRequiredIsReportedBeforeTheProofIsConsumed() throws Exception {
        RotatingNonceSource nonces = new RotatingNonceSource(clock);
        DpopProofVerifier withNonces = DpopProofVerifier.builder().clock(clock).nonceSource(nonces).build();
        JWTClaimsSet claims = claims().build();
        assertReason(Reason.DPOP_NONCE_REQUIRED, () -> withNonces.verify(proof(claims), METHOD, URI, null));

        // the client retries with the nonce and a new proof; an unrelated proof with the old jti is not blocked
        withNonces.verify(proof(new JWTClaimsSet.Builder(claims).claim("nonce", nonces.currentNonce()).build()),
                METHOD, URI, null);
    }

    @Test
    void replayCacheThatCannotAnswerIsNotAVerdictOnTheProof() {
        DpopProofVerifier broken = DpopProofVerifier.builder().clock(clock)
                .replayCache((id, expiresAt) -> {
                    throw new IllegalStateException("unreachable");
                }).build();

        TokenVerificationException e = assertThrows(TokenVerificationException.class,
                () -> broken.verify(proof(claims().build()), METHOD, URI, null));
        assertEquals(Reason.REPLAY_CHECK_UNAVAILABLE, e.reason());
        assertEquals(Reason.Family.UNAVAILABLE, e.reason().family());
    }

    @Test
    void replayCacheEntriesExpireAfterTheWindow() throws Exception {
        List<Instant> expiries = new ArrayList<>();
        DpopProofVerifier recording = DpopProofVerifier.builder().clock(clock)
                .replayCache((id, expiresAt) -> expiries.add(expiresAt)).build();

        recording.verify(proof(claims().build()), METHOD, URI, null);

        assertEquals(List.of(NOW.plusSeconds(61)), expiries);
    }

    @Test
    void concurrentUsesOfOneProofSucceedExactlyOnce() throws Exception {
        String proof = proof(claims().build());
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<Boolean> task = () -> {
                    start.await();
                    try {
                        verifier.verify(proof, METHOD, URI, null);
                        return true;
                    } catch (TokenVerificationException e) {
                        assertEquals(Reason.DPOP_PROOF_REPLAYED, e.reason());
                        return false;
                    }
                };
                results.add(pool.submit(task));
            }
            start.countDown();
            int successes = 0;
            for (Future<Boolean> result : results) {
                successes += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, successes);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void requestUriMustBeAnAbsoluteHttpUri() {
        assertThrows(IllegalArgumentException.class,
                () -> verifier.verify(proof(claims().build()), METHOD, java.net.URI.create("/orders/17"), null));
    }

    @Test
    void thumbprintIsRfc7638() throws JOSEException {
        assertEquals(TestTokens.KEY.computeThumbprint("SHA-256").toString(),
                DpopProofVerifier.thumbprint(TestTokens.KEY.toPublicJWK()));
    }
}
