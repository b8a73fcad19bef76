package dev.agentid.verifier;

import static dev.agentid.verifier.TestTokens.AUDIENCE;
import static dev.agentid.verifier.TestTokens.ISSUER;
import static dev.agentid.verifier.TestTokens.KEY;
import static dev.agentid.verifier.TestTokens.NOW;
import static dev.agentid.verifier.TestTokens.OTHER_ISSUER;
import static dev.agentid.verifier.TestTokens.b64;
import static dev.agentid.verifier.TestTokens.claims;
import static dev.agentid.verifier.TestTokens.header;
import static dev.agentid.verifier.TestTokens.headerJson;
import static dev.agentid.verifier.TestTokens.sign;
import static dev.agentid.verifier.TestTokens.signRaw;
import static dev.agentid.verifier.TestTokens.token;
import static dev.agentid.verifier.TestTokens.verifier;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AgentTokenVerifierTest {

    private final AgentTokenVerifier verifier = verifier().build();

    private void assertReason(Reason expected, String token) {
        assertReason(expected, verifier, token);
    }

    private static void assertReason(Reason expected, AgentTokenVerifier verifier, String token) {
        TokenVerificationException e = assertThrows(TokenVerificationException.class, () -> verifier.verify(token));
        assertEquals(expected, e.reason(), e.getMessage());
    }

    private static String withPayload(String payloadJson) {
        return signRaw(headerJson(), payloadJson, KEY);
    }

    /** The default claims as JSON with one member replaced (raw JSON value) or removed (null). */
    private static String payloadWith(String claim, String rawJsonValue) {
        Map<String, Object> json = claims().build().toJSONObject();
        json.remove(claim);
        String base = com.nimbusds.jose.util.JSONObjectUtils.toJSONString(json);
        if (rawJsonValue == null) {
            return base;
        }
        return "{\"" + claim + "\":" + rawJsonValue + "," + base.substring(1);
    }

    // --- accepted tokens ----------------------------------------------------------------------------

    @Test
    void validTokenExposesItsClaims() throws Exception {
        JWTClaimsSet claims = claims().claim("scope", "read write admin:x").build();
        VerifiedAgentToken token = verifier.verify(sign(claims));

        assertEquals(TestTokens.PRINCIPAL, token.principal());
        assertEquals(ISSUER, token.issuer());
        assertEquals(List.of(AUDIENCE), token.audience());
        assertEquals(List.of("read", "write", "admin:x"), List.copyOf(token.scopes()));
        assertEquals(TestTokens.chain(), token.chain());
        assertEquals("agent-b", token.chain().current().subject());
        assertEquals("agent-b", token.clientId());
        assertEquals(claims.getJWTID(), token.jwtId());
        assertEquals(NOW.minusSeconds(10), token.issuedAt());
        assertEquals(NOW.plusSeconds(300), token.expiresAt());
        assertEquals(KEY.getKeyID(), token.keyId());
        assertEquals(claims.getJWTID(), token.claims().getJWTID());
        assertThrows(UnsupportedOperationException.class, () -> token.scopes().add("more"));
        assertThrows(UnsupportedOperationException.class, () -> token.audience().add("more"));
    }

    @Test
    void statusAndCnfClaimsArePassedThrough() throws Exception {
        JWTClaimsSet claims = claims()
                .claim("status", Map.of("status_list", Map.of("idx", 7, "uri", "https://issuer.test/status/1")))
                .claim("cnf", Map.of("jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"))
                .build();
        VerifiedAgentToken token = verifier.verify(sign(claims));
        assertEquals(Map.of("jkt", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"), token.claims().getJSONObjectClaim("cnf"));
        assertTrue(token.claims().getClaims().containsKey("status"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"})
    void accessTokenTypeIsAcceptedInAnyCase(String typ) throws Exception {
        String token = sign(header().type(new JOSEObjectType(typ)).build(), claims().build(), KEY);
        assertEquals(TestTokens.PRINCIPAL, verifier.verify(token).principal());
    }


    @Test
    void singleStringAudienceIsAccepted() throws Exception {
        VerifiedAgentToken token = verifier.verify(sign(claims().audience(AUDIENCE).build()));
        assertEquals(List.of(AUDIENCE), token.audience());
    }

    @Test
    void oneAcceptedAudienceAmongSeveralIsEnough() throws Exception {
        String token = sign(claims().audience(List.of("https://elsewhere.test", AUDIENCE)).build());
        assertEquals(2, verifier.verify(token).audience().size());
    }

    @Test
    void anyAudienceAcceptsEveryAudience() throws Exception {
        AgentTokenVerifier any = AgentTokenVerifier.builder()
                .trustIssuer(ISSUER, new JWKSet(KEY.toPublicJWK())).anyAudience().clock(TestTokens.clock()).build();
        assertEquals(List.of("https://elsewhere.test"),
                any.verify(sign(claims().audience("https://elsewhere.test").build())).audience());
    }

    @Test
    void duplicateScopesCollapseInOrder() throws Exception {
        VerifiedAgentToken token = verifier.verify(sign(claims().claim("scope", "b a b").build()));
        assertEquals(List.of("b", "a"), List.copyOf(token.scopes()));
    }

    @Test
    void verifyWhenChainHasOneActorThenCurrentIsFirst() throws Exception {
        DelegationChain single = DelegationChain.of(Actor.of("agent-a", ISSUER));
        VerifiedAgentToken token = verifier.verify(sign(TestTokens.claimsFor(single).build()));
        assertEquals(single, token.chain());
        assertEquals(token.chain().current(), token.chain().first());
    }

    @Test
    void actorOfAnotherIssuerIsAllowedInTheChain() throws Exception {
        DelegationChain crossOrg = DelegationChain.of(Actor.of("agent-a", OTHER_ISSUER))
                .extendedBy(Actor.of("agent-b", ISSUER));
        assertEquals(OTHER_ISSUER, verifier.verify(sign(TestTokens.claimsFor(crossOrg).build()))
                .chain().first().issuer());
    }

    // --- 1. size and syntax ---------------------------------------------------------------------------

    @Test
    void verifyWhenLongerThanMaxThenTokenTooLarge() {
        String token = token();
        assertReason(Reason.TOKEN_TOO_LARGE, verifier().maxTokenBytes(token.length() - 1).build(), token);
    }

    @Test
    void verifyWhenExactlyMaxThenAccepted() throws Exception {
        String token = token();
        verifier().maxTokenBytes(token.length()).build().verify(token);
    }

    @Test
    void sizeCountsUtf8Bytes() {
        // 5000 characters but 10000 bytes
        assertReason(Reason.TOKEN_TOO_LARGE, "\u00e9".repeat(5000));
        assertReason(Reason.MALFORMED, "\u00e9".repeat(4000));
    }

    @Test
    void sizeIsCheckedBeforeSyntax() {
        assertReason(Reason.TOKEN_TOO_LARGE, "not a token ".repeat(1000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b.", "a b.c.d"})
    void verifyWhenNotThreePartsThenMalformed(String token) {
        assertReason(Reason.MALFORMED, token);
    }

    @Test
    void verifyWhenNullThenMalformed() {
        assertReason(Reason.MALFORMED, null);
    }

    @Test
    void verifyWhenWhitespaceOrPaddingOrForeignCharactersThenMalformed() {
        String token = token();
        String[] parts = token.split("\\.");
        assertReason(Reason.MALFORMED, token + " ");
        assertReason(Reason.MALFORMED, " " + token);
        assertReason(Reason.MALFORMED, parts[0] + ".\n" + parts[1] + "." + parts[2]);
        assertReason(Reason.MALFORMED, parts[0] + "=." + parts[1] + "." + parts[2]);
        assertReason(Reason.MALFORMED, parts[0] + "." + parts[1] + "." + parts[2] + "==");
        assertReason(Reason.MALFORMED, parts[0] + "." + parts[1].replace('-', '+').replace('_', '/') + "x+/."
                + parts[2]);
        assertReason(Reason.MALFORMED, "Bearer " + token);
    }

    /** Regression (found by the issuer's fuzzer): a header or payload that is the JSON text null threw an NPE. */
    @Test
    void verifyWhenHeaderOrPayloadIsJsonNullThenMalformed() {
        String[] parts = token().split("\\.");
        String jsonNull = com.nimbusds.jose.util.Base64URL.encode("null").toString();
        assertReason(Reason.MALFORMED, parts[0] + "." + jsonNull + "." + parts[2]);
        assertReason(Reason.MALFORMED, jsonNull + "." + parts[1] + "." + parts[2]);
    }

    @Test
    void verifyWhenSignatureHasNonZeroTrailingBitsThenMalformed() {
        String token = token();
        // a 64-byte signature is 86 characters; the last one carries 4 unused bits
        char last = token.charAt(token.length() - 1);
        String altered = token.substring(0, token.length() - 1) + (char) (last == 'A' ? 'B' : last + 1);
        assertEquals(86, token.length() - token.lastIndexOf('.') - 1);
        assertReason(Reason.MALFORMED, altered);
    }

    @Test
    void verifyWhenHeaderIsNotJsonThenMalformed() {
        assertReason(Reason.MALFORMED, signRaw("not json", claims().build().toString(), KEY));
        assertReason(Reason.MALFORMED, signRaw("[1,2]", claims().build().toString(), KEY));
    }

    @Test
    void verifyWhenPayloadIsNotJsonObjectThenMalformed() {
        assertReason(Reason.MALFORMED, withPayload("\"just a string\""));
        assertReason(Reason.MALFORMED, withPayload("{\"iss\":"));
    }

    @Test
    void verifyWhenPayloadIsNotUtf8ThenMalformed() {
        String payload = claims().build().toString();
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        int at = payload.indexOf("user:alice") + 5;
        bytes[at] = (byte) 0xC3; // a lone lead byte: "user:\xC3lice"
        String input = b64(headerJson()) + "." + Base64URL.encode(bytes);
        assertReason(Reason.MALFORMED, input + "." + Base64URL.encode(new byte[64]));
    }

    @Test
    void verifyWhenJsonHasDuplicateMembersThenMalformed() {
        String payload = claims().build().toString();
        assertReason(Reason.MALFORMED, withPayload("{\"iss\":\"" + OTHER_ISSUER + "\"," + payload.substring(1)));
    }

    @Test
    void verifyWhenHeaderHasNoAlgThenMalformed() {
        assertReason(Reason.MALFORMED, signRaw("{\"typ\":\"at+jwt\"}", claims().build().toString(), KEY));
        assertReason(Reason.MALFORMED, signRaw("{\"alg\":7,\"typ\":\"at+jwt\"}", claims().build().toString(), KEY));
    }

    @Test
    void verifyWhenCritHeaderThenMalformed() {
        String header = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"" + KEY.getKeyID()
                + "\",\"crit\":[\"exp\"],\"exp\":1}";
        assertReason(Reason.MALFORMED, signRaw(header, claims().build().toString(), KEY));
    }

    @Test
    void critIsMalformedEvenWithAnAlgorithmThatIsNotAllowed() {
        // profile 5.2.2 comes before the algorithm step 5.2.3
        String header = "{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"k\",\"crit\":[\"x\"],\"x\":1}";
        assertReason(Reason.MALFORMED, signRaw(header, claims().build().toString(), KEY));
    }

    @Test
    void verifyWhenUnencodedPayloadHeaderThenMalformed() {
        String header = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"" + KEY.getKeyID() + "\",\"b64\":false}";
        assertReason(Reason.MALFORMED, signRaw(header, claims().build().toString(), KEY));
    }

    @Test
    void verifyWhenHeaderMemberHasWrongTypeThenMalformed() {
        String header = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":42}";
        assertReason(Reason.MALFORMED, signRaw(header, claims().build().toString(), KEY));
    }

    // --- 2. header --------------------------------------------------------------------------------------

    @Test
    void verifyWhenAlgNoneThenUnsupportedAlgorithm() {
        String unsigned = b64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "." + b64(claims().build().toString());
        // a real unsecured JWS has an empty signature part; the syntax step lets it through to the alg step
        assertReason(Reason.UNSUPPORTED_ALGORITHM, unsigned + ".");
        assertReason(Reason.UNSUPPORTED_ALGORITHM, unsigned + "." + b64("sig"));
    }

    @Test
    void verifyWhenHmacWithPublicKeyAsSecretThenUnsupportedAlgorithm() throws Exception {
        // the classic key-confusion attack: HS256 keyed with the issuer's public key bytes
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType("at+jwt")).keyID(KEY.getKeyID()).build(), claims().build());
        jwt.sign(new MACSigner(KEY.toPublicJWK().toJSONString().repeat(2).getBytes(StandardCharsets.UTF_8)));
        assertReason(Reason.UNSUPPORTED_ALGORITHM, jwt.serialize());
    }

    @Test
    void verifyWhenAlgorithmNotOnAllowlistThenUnsupportedAlgorithm() {
        String header = "{\"alg\":\"ES384\",\"typ\":\"at+jwt\",\"kid\":\"" + KEY.getKeyID() + "\"}";
        assertReason(Reason.UNSUPPORTED_ALGORITHM, signRaw(header, claims().build().toString(), KEY));
        String lowercase = "{\"alg\":\"es256\",\"typ\":\"at+jwt\",\"kid\":\"" + KEY.getKeyID() + "\"}";
        assertReason(Reason.UNSUPPORTED_ALGORITHM, signRaw(lowercase, claims().build().toString(), KEY));
    }

    @ParameterizedTest
    @ValueSource(strings = {"JWT", "jwt", "at+jwt ", "at+JWS", "application/jwt", "secevent+jwt", ""})
    void verifyWhenTypeIsNotAccessTokenThenWrongType(String typ) {
        assertReason(Reason.WRONG_TYPE, sign(header().type(new JOSEObjectType(typ)).build(), claims().build(), KEY));
    }

    @Test
    void verifyWhenTypeMissingThenWrongType() {
        assertReason(Reason.WRONG_TYPE, sign(header().type(null).build(), claims().build(), KEY));
    }

    @Test
    void headerIsCheckedBeforeIssuer() {
        JWTClaimsSet untrusted = claims().issuer(OTHER_ISSUER).build();
        assertReason(Reason.WRONG_TYPE, sign(header().type(JOSEObjectType.JWT).build(), untrusted, KEY));
    }

    @Test
    void embeddedHeaderKeyIsIgnored() {
        // the attacker signs with their own key and puts it in the header; only the issuer's keys count
        ECKey attacker = TestTokens.newKey(KEY.getKeyID());
        JWSHeader header = header(attacker).jwk(attacker.toPublicJWK()).build();
        assertReason(Reason.BAD_SIGNATURE, sign(header, claims().build(), attacker));
    }

    // --- 3. issuer ----------------------------------------------------------------------------------------

    @Test
    void verifyWhenIssuerNotTrustedThenUntrustedIssuer() {
        assertReason(Reason.UNTRUSTED_ISSUER, sign(claims().issuer(OTHER_ISSUER).build()));
        assertReason(Reason.UNTRUSTED_ISSUER, sign(claims().issuer(ISSUER + "/").build()));
    }

    @Test
    void verifyWhenIssuerMissingThenMissingClaim() {
        assertReason(Reason.MISSING_CLAIM, sign(claims().issuer(null).build()));
    }

    @Test
    void verifyWhenIssuerNotStringThenInvalidClaim() {
        assertReason(Reason.INVALID_CLAIM, withPayload(payloadWith("iss", "[\"" + ISSUER + "\"]")));
    }

    // --- 4. signature ------------------------------------------------------------------------------------

    @Test
    void verifyWhenKidMissingThenUnknownKeyWithoutTryingTheKeys() {
        // even signed with the issuer's only key: keys are never tried one by one (profile 5.2.6)
        assertReason(Reason.UNKNOWN_KEY, sign(header().keyID(null).build(), claims().build(), KEY));
    }

    @Test
    void headerCertificateThumbprintsAreIgnoredForKeySelection() throws Exception {
        JWSHeader header = header().x509CertSHA256Thumbprint(Base64URL.encode(new byte[32])).build();
        assertEquals(TestTokens.PRINCIPAL, verifier.verify(sign(header, claims().build(), KEY)).principal());
    }

    @Test
    void verifyWhenKeyUnderKidDoesNotFitTheAlgorithmThenUnknownKey() throws Exception {
        // the issuer's key with this kid is P-384 (and one is an encryption key): neither may verify ES256
        ECKey p384 = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384)
                .keyID("p384").generate();
        ECKey encryption = new ECKey.Builder(TestTokens.newKey("enc")).keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION)
                .build();
        JWKSource<SecurityContext> keys = new com.nimbusds.jose.jwk.source.ImmutableJWKSet<>(
                new JWKSet(List.of(p384.toPublicJWK(), encryption.toPublicJWK())));
        AgentTokenVerifier v = AgentTokenVerifier.builder().trustIssuer(ISSUER, keys).audience(AUDIENCE)
                .clock(TestTokens.clock()).build();
        String header = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"p384\"}";
        assertReason(Reason.UNKNOWN_KEY, v, signRaw(header, claims().build().toString(), KEY));
        assertReason(Reason.UNKNOWN_KEY, v, sign(claims().build(), encryption));
    }

    @Test
    void verifyWhenKidUnknownThenUnknownKey() {
        ECKey other = TestTokens.newKey("unknown-kid");
        assertReason(Reason.UNKNOWN_KEY, sign(claims().build(), other));
    }

    @Test
    void floodOfUnknownKidsLeavesKeySelectionIntact() throws Exception {
        // unverified headers name the kids: hundreds of them (more than the selector keeps matchers for) are each
        // refused, and afterwards the issuer's key is still found under its own kid and under no other
        String header = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}";
        String payload = claims().build().toString();
        for (int i = 0; i < 300; i++) {
            assertReason(Reason.UNKNOWN_KEY, signRaw(String.format(header, "flood-" + i), payload, KEY));
        }
        assertEquals(TestTokens.PRINCIPAL, verifier.verify(token()).principal());
        assertReason(Reason.UNKNOWN_KEY, signRaw(String.format(header, "flood-0"), payload, KEY));
        assertReason(Reason.BAD_SIGNATURE, sign(claims().build(), TestTokens.newKey(KEY.getKeyID())));
    }

    @Test
    void verifyWhenSignedWithAnotherKeyUnderTheSameKidThenBadSignature() {
        ECKey impostor = TestTokens.newKey(KEY.getKeyID());
        assertReason(Reason.BAD_SIGNATURE, sign(claims().build(), impostor));
    }

    @Test
    void verifyWhenPayloadTamperedThenBadSignature() {
        String[] parts = token().split("\\.");
        String tampered = b64(claims().subject("user:mallory").build().toString());
        assertReason(Reason.BAD_SIGNATURE, parts[0] + "." + tampered + "." + parts[2]);
    }

    @Test
    void verifyWhenSignatureTruncatedZeroOrEmptyThenBadSignature() {
        String token = token();
        String input = token.substring(0, token.lastIndexOf('.'));
        assertReason(Reason.BAD_SIGNATURE, input + ".");
        assertReason(Reason.BAD_SIGNATURE, input + "." + Base64URL.encode(new byte[63]));
        assertReason(Reason.BAD_SIGNATURE, input + "." + Base64URL.encode(new byte[64]));
    }

    @Test
    void verifyWhenKeySourceFailsThenKeySourceUnavailable() {
        JWKSource<SecurityContext> failing = (selector, context) -> {
            throw new KeySourceException("connection refused");
        };
        AgentTokenVerifier v = AgentTokenVerifier.builder().trustIssuer(ISSUER, failing)
                .audience(AUDIENCE).clock(TestTokens.clock()).build();
        TokenVerificationException e = assertThrows(TokenVerificationException.class, () -> v.verify(token()));
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, e.reason());
        assertEquals(Reason.Family.UNAVAILABLE, e.reason().family());
    }

    @Test
    void signatureIsCheckedBeforeClaims() {
        ECKey impostor = TestTokens.newKey(KEY.getKeyID());
        JWTClaimsSet expired = claims().expirationTime(Date.from(NOW.minusSeconds(3600))).build();
        assertReason(Reason.BAD_SIGNATURE, sign(expired, impostor));
        assertReason(Reason.BAD_SIGNATURE, signRaw(headerJson(), payloadWith("exp", "\"soon\""), impostor));
    }

    @Test
    void eachIssuerIsVerifiedOnlyWithItsOwnKeys() throws Exception {
        ECKey otherKey = TestTokens.newKey("other-key-1");
        AgentTokenVerifier two = verifier().trustIssuer(OTHER_ISSUER, new JWKSet(otherKey.toPublicJWK())).build();
        assertEquals(OTHER_ISSUER, two.verify(sign(claims().issuer(OTHER_ISSUER).build(), otherKey)).issuer());
        assertEquals(ISSUER, two.verify(token()).issuer());
        // a token naming ISSUER but signed with OTHER_ISSUER's key: that kid is unknown at ISSUER
        assertReason(Reason.UNKNOWN_KEY, two, sign(claims().build(), otherKey));
        // and under ISSUER's kid it does not verify
        assertReason(Reason.BAD_SIGNATURE, two, sign(header(KEY).build(), claims().build(), otherKey));
    }

    @Test
    void rsaTokensAreAcceptedOnlyWhenAllowed() throws Exception {
        com.nimbusds.jose.jwk.RSAKey rsa = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("rsa-1").generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.PS256).type(new JOSEObjectType("at+jwt"))
                .keyID("rsa-1").build(), claims().build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(rsa));
        JWKSet keys = new JWKSet(List.of(KEY.toPublicJWK(), rsa.toPublicJWK()));
        AgentTokenVerifier esOnly = AgentTokenVerifier.builder().trustIssuer(ISSUER, keys).audience(AUDIENCE)
                .clock(TestTokens.clock()).build();
        assertReason(Reason.UNSUPPORTED_ALGORITHM, esOnly, jwt.serialize());
        AgentTokenVerifier both = AgentTokenVerifier.builder().trustIssuer(ISSUER, keys).audience(AUDIENCE)
                .allowedAlgorithms(JWSAlgorithm.ES256, JWSAlgorithm.PS256).clock(TestTokens.clock()).build();
        assertEquals(TestTokens.PRINCIPAL, both.verify(jwt.serialize()).principal());
        assertEquals(TestTokens.PRINCIPAL, both.verify(token()).principal());
    }

    // --- 5. claims ----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"sub", "aud", "exp", "iat", "jti", "client_id", "scope", "act"})
    void verifyWhenRequiredClaimMissingThenMissingClaim(String claim) {
        assertReason(Reason.MISSING_CLAIM, withPayload(payloadWith(claim, null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sub", "aud", "exp", "iat", "jti", "client_id", "scope", "act"})
    void verifyWhenRequiredClaimNullThenMissingClaim(String claim) {
        assertReason(Reason.MISSING_CLAIM, withPayload(payloadWith(claim, "null")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "sub=42", "sub=\"\"", "sub=[\"user:alice\"]",
        "aud=42", "aud=[42]", "aud=[\"https://api.test\",null]", "aud={}",
        "exp=\"1900000000\"", "exp=-1", "exp=1e300", "exp=true",
        "iat=\"now\"", "iat=-5",
        "nbf=\"later\"",
        "jti=7", "jti=\"\"",
        "client_id=false", "client_id=\"\"",
        "scope=[\"read\"]", "scope=\"\"", "scope=\"read  write\"", "scope=\" read\"", "scope=\"read \"",
        "scope=\"re\\\"ad\"", "scope=\"caf\u00e9\"", "scope=\"a\\tb\""})
    void verifyWhenClaimHasWrongTypeOrValueThenInvalidClaim(String assignment) {
        int eq = assignment.indexOf('=');
        String claim = assignment.substring(0, eq);
        assertReason(Reason.INVALID_CLAIM, withPayload(payloadWith(claim, assignment.substring(eq + 1))));
    }

    @Test
    void fractionalNumericDatesAreAccepted() throws Exception {
        long exp = NOW.plusSeconds(100).getEpochSecond();
        VerifiedAgentToken token = verifier.verify(withPayload(payloadWith("exp", exp + ".5")));
        assertEquals(Instant.ofEpochSecond(exp), token.expiresAt());
    }

    @Test
    void verifyWhenExpiredBeyondSkewThenExpired() {
        assertReason(Reason.EXPIRED, sign(claims().expirationTime(Date.from(NOW.minusSeconds(61))).build()));
        // exp equal to now - skew is already expired
        assertReason(Reason.EXPIRED, sign(claims().expirationTime(Date.from(NOW.minusSeconds(60))).build()));
    }

    @Test
    void expiredWithinSkewIsAccepted() throws Exception {
        verifier.verify(sign(claims().expirationTime(Date.from(NOW.minusSeconds(59))).build()));
    }

    @Test
    void verifyWhenClockAdvancesPastExpiryThenExpired() throws Exception {
        String token = token();
        verifier().clock(TestTokens.clockAt(NOW.plusSeconds(359))).build().verify(token);
        assertReason(Reason.EXPIRED, verifier().clock(TestTokens.clockAt(NOW.plusSeconds(360))).build(), token);
        assertReason(Reason.EXPIRED, verifier().clockSkew(Duration.ZERO)
                .clock(TestTokens.clockAt(NOW.plusSeconds(300))).build(), token);
    }

    @Test
    void verifyWhenIssuedInFutureBeyondSkewThenIssuedInFuture() throws Exception {
        assertReason(Reason.ISSUED_IN_FUTURE, sign(claims().issueTime(Date.from(NOW.plusSeconds(61))).build()));
        verifier.verify(sign(claims().issueTime(Date.from(NOW.plusSeconds(60))).build()));
    }

    @Test
    void verifyWhenNotBeforeInFutureBeyondSkewThenNotYetValid() throws Exception {
        assertReason(Reason.NOT_YET_VALID, sign(claims().notBeforeTime(Date.from(NOW.plusSeconds(61))).build()));
        verifier.verify(sign(claims().notBeforeTime(Date.from(NOW.plusSeconds(60))).build()));
    }

    @Test
    void verifyWhenAudienceNotAcceptedThenAudienceMismatch() {
        assertReason(Reason.AUDIENCE_MISMATCH, sign(claims().audience("https://elsewhere.test").build()));
        assertReason(Reason.AUDIENCE_MISMATCH, sign(claims().audience(List.of("a", "b")).build()));
    }

    @Test
    void verifyWhenAudienceIsEmptyThenAudienceMismatch() {
        // profile 3.7: a string or an array of strings is the right type; nothing in it is accepted
        assertReason(Reason.AUDIENCE_MISMATCH, withPayload(payloadWith("aud", "\"\"")));
        assertReason(Reason.AUDIENCE_MISMATCH, withPayload(payloadWith("aud", "[]")));
    }

    @Test
    void missingClaimsAreReportedBeforeTimeChecks() {
        String expiredWithoutJti = withPayload(payloadWith("jti", null)
                .replace(String.valueOf(NOW.plusSeconds(300).getEpochSecond()), "1000"));
        assertReason(Reason.MISSING_CLAIM, expiredWithoutJti);
    }

    // --- 6. chain ------------------------------------------------------------------------------------------

    @Test
    void verifyWhenActIsNotAnObjectThenChainMalformed() {
        assertReason(Reason.CHAIN_MALFORMED, withPayload(payloadWith("act", "\"agent-b\"")));
        assertReason(Reason.CHAIN_MALFORMED, withPayload(payloadWith("act", "{\"sub\":\"agent-b\"}")));
        assertReason(Reason.CHAIN_MALFORMED,
                withPayload(payloadWith("act", "{\"sub\":\"agent-b\",\"iss\":\"" + ISSUER + "\",\"act\":null}")));
        assertReason(Reason.CHAIN_MALFORMED,
                withPayload(payloadWith("act", "{\"sub\":\"agent-b\",\"iss\":\"\"}")));
    }

    @Test
    void verifyWhenChainDeeperThanMaxThenChainTooDeep() throws Exception {
        DelegationChain chain = DelegationChain.of(Actor.of("a0", ISSUER));
        for (int i = 1; i < 11; i++) {
            chain = chain.extendedBy(Actor.of("a" + i, ISSUER));
        }
        assertReason(Reason.CHAIN_TOO_DEEP, sign(TestTokens.claimsFor(chain).build()));
        assertEquals(11, verifier().maxChainDepth(11).build().verify(sign(TestTokens.claimsFor(chain).build()))
                .chain().depth());
        assertReason(Reason.CHAIN_TOO_DEEP, verifier().maxChainDepth(1).build(), token());
    }

    @Test
    void verifyWhenAgentAppearsTwiceThenChainCycle() {
        String act = "{\"sub\":\"agent-b\",\"iss\":\"" + ISSUER + "\",\"act\":{\"sub\":\"agent-a\",\"iss\":\""
                + ISSUER + "\",\"act\":{\"sub\":\"agent-b\",\"iss\":\"" + ISSUER + "\"}}}";
        assertReason(Reason.CHAIN_CYCLE, withPayload(payloadWith("act", act)));
    }

    @Test
    void verifyWhenClientIdIsNotCurrentActorThenClientIdMismatch() {
        assertReason(Reason.CLIENT_ID_MISMATCH, sign(claims().claim("client_id", "agent-a").build()));
    }

    @Test
    void verifyWhenClientIdMatchesAnActorOfAnotherIssuerThenStillChecksSubjectOnly() throws Exception {
        DelegationChain chain = DelegationChain.of(Actor.of("agent-z", OTHER_ISSUER));
        assertEquals("agent-z", verifier.verify(sign(TestTokens.claimsFor(chain).build())).clientId());
    }

    // --- results are independent -------------------------------------------------------------------------

    @Test
    void failuresCarryNoStackTraceAndNoToken() {
        String token = sign(claims().audience("https://elsewhere.test").build());
        TokenVerificationException e = assertThrows(TokenVerificationException.class, () -> verifier.verify(token));
        assertEquals(0, e.getStackTrace().length);
        assertFalse(e.getMessage().contains(token.split("\\.")[2]));
    }

    @Test
    void signaturesAreVerifiedWithBouncyCastleForEveryIssuer() {
        AgentTokenVerifier two = verifier().trustIssuer(OTHER_ISSUER,
                new JWKSet(TestTokens.newKey("o").toPublicJWK())).build();
        assertEquals(Set.of(com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton.getInstance()),
                two.signatureProviders());
    }

    @Test
    void trustedIssuersAreListed() {
        assertEquals(Set.of(ISSUER), verifier.trustedIssuers());
    }

    // --- a header seen before is looked up, not re-checked: every later check still runs -------------

    @Test
    void tokenWithAHeaderSeenBeforeIsStillRefusedForABadSignature() throws Exception {
        String good = token();
        verifier.verify(good);   // its header is now remembered
        String[] parts = good.split("\\.");
        String tampered = parts[0] + "." + b64(payloadWith("scope", "\"admin\"")) + "." + parts[2];
        assertReason(Reason.BAD_SIGNATURE, tampered);
        ECKey attacker = TestTokens.newKey(KEY.getKeyID());   // same kid, same header, another key
        assertReason(Reason.BAD_SIGNATURE, sign(claims().build(), attacker));
    }

    @Test
    void tokenWithAHeaderSeenBeforeStillNeedsATrustedIssuerAndValidClaims() throws Exception {
        verifier.verify(token());
        assertReason(Reason.UNTRUSTED_ISSUER, sign(claims().issuer(OTHER_ISSUER).build()));
        assertReason(Reason.EXPIRED, sign(claims().expirationTime(Date.from(NOW.minusSeconds(3600)))
                .build()));
        assertReason(Reason.AUDIENCE_MISMATCH, sign(claims().audience("https://elsewhere.example").build()));
        assertEquals(ISSUER, verifier.verify(token()).issuer());
    }
}
