package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Test fixtures: pre-filled builders that mint valid agent tokens with generated ES256 keys. Change one
 * thing from the default to test one failure. Private keys here are test fixtures, generated per run.
 */
public final class TestTokens {

    public static final String ISSUER = "https://issuer.test";
    public static final String OTHER_ISSUER = "https://other-issuer.test";
    public static final String AUDIENCE = "https://api.test";
    public static final String PRINCIPAL = "user:alice";
    public static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    /** The default signing key of {@link #ISSUER}. */
    public static final ECKey KEY = newKey("issuer-key-1");

    private TestTokens() {
    }

    public static ECKey newKey(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyID(kid)
                    .provider(BouncyCastleProviderSingleton.getInstance())
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Clock clock() {
        return Clock.fixed(NOW, ZoneOffset.UTC);
    }

    public static Clock clockAt(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    /** The chain agent-b (current) on behalf of agent-a, both of {@link #ISSUER}. */
    public static DelegationChain chain() {
        return DelegationChain.of(Actor.of("agent-a", ISSUER)).extendedBy(Actor.of("agent-b", ISSUER));
    }

    /** Valid claims: five minutes left, scopes "read write", chain agent-b <- agent-a. */
    public static JWTClaimsSet.Builder claims() {
        return claimsFor(chain());
    }

    /** Valid claims with the given chain; client_id is its current actor. */
    public static JWTClaimsSet.Builder claimsFor(DelegationChain chain) {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(PRINCIPAL)
                .audience(List.of(AUDIENCE))
                .issueTime(Date.from(NOW.minusSeconds(10)))
                .expirationTime(Date.from(NOW.plusSeconds(300)))
                .jwtID(UUID.randomUUID().toString())
                .claim("client_id", chain.current().subject())
                .claim("scope", "read write")
                .claim(DelegationChain.ACT, chain.toActClaim());
    }

    /** The default header: ES256, typ at+jwt, kid of {@link #KEY}. */
    public static JWSHeader.Builder header() {
        return header(KEY);
    }

    public static JWSHeader.Builder header(ECKey key) {
        return new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("at+jwt"))
                .keyID(key.getKeyID());
    }

    public static String token() {
        return sign(claims().build());
    }

    public static String sign(JWTClaimsSet claims) {
        return sign(header().build(), claims, KEY);
    }

    public static String sign(JWTClaimsSet claims, ECKey key) {
        return sign(header(key).build(), claims, key);
    }

    public static String sign(JWSHeader header, JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs arbitrary header and payload JSON with ES256, for tokens Nimbus' builders refuse to make. */
    public static String signRaw(String headerJson, String payloadJson, ECKey key) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            Base64URL signature = signer(key).sign(new JWSHeader(JWSAlgorithm.ES256),
                    input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + signature;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The default header as JSON. */
    public static String headerJson() {
        return header().build().toString();
    }

    private static ECDSASigner signer(ECKey key) throws JOSEException {
        ECDSASigner signer = new ECDSASigner(key);
        signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return signer;
    }

    /** A verifier trusting {@link #ISSUER} with the public part of {@link #KEY}, audience {@link #AUDIENCE}, clock at {@link #NOW}. */
    public static AgentTokenVerifier.Builder verifier() {
        return AgentTokenVerifier.builder()
                .trustIssuer(ISSUER, new JWKSet(KEY.toPublicJWK()))
                .audience(AUDIENCE)
                .clock(clock());
    }
}
