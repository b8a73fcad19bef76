package dev.agentid.verifier.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Approval;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every checked-in vector of spec/vectors against verifier-lib, as any other implementation of the
 * profile would: configure a verifier from the vector, verify, compare with the expected outcome.
 */
class VectorsTest {

    static Stream<Arguments> vectors() throws IOException {
        Path dir = VectorGenerator.defaultDirectory();
        List<Arguments> arguments = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                Map<String, Object> vector;
                try {
                    vector = JSONObjectUtils.parse(Files.readString(file, StandardCharsets.UTF_8));
                } catch (java.text.ParseException e) {
                    throw new IOException(file + " is not a JSON object", e);
                }
                arguments.add(Arguments.of(vector.get("title"), vector));
            }
        }
        if (arguments.size() < 30) {
            throw new IllegalStateException("expected at least 30 vectors in " + dir + ", found " + arguments.size());
        }
        return arguments.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void vector(String title, Map<String, Object> vector) throws Exception {
        Map<String, Object> expected = JSONObjectUtils.getJSONObject(vector, "expected");
        boolean expectValid = Boolean.TRUE.equals(expected.get("valid"));
        Map<String, Object> parent = JSONObjectUtils.getJSONObject(vector, "parent");

        VerifiedAgentToken token;
        try {
            VerifiedAgentToken verifiedParent = null;
            if (parent != null) {
                verifiedParent = verifier(vector, JSONObjectUtils.getLong(parent, "verification_time"))
                        .verify(JSONObjectUtils.getString(parent, "token"));
            }
            token = verifier(vector, JSONObjectUtils.getLong(vector, "verification_time"))
                    .verify(JSONObjectUtils.getString(vector, "token"));
            if (verifiedParent != null) {
                token.checkDerivedFrom(verifiedParent);
            }
        } catch (TokenVerificationException e) {
            if (expectValid) {
                fail("expected a valid token, got " + e);
            }
            assertEquals(expected.get("reason"), e.reason().name(), "reason; message: " + e.getMessage());
            return;
        }
        if (!expectValid) {
            fail("expected " + expected.get("reason") + ", but the token verified: " + token);
        }

        assertEquals(expected.get("principal"), token.principal(), "principal");
        assertEquals(new LinkedHashSet<>(JSONObjectUtils.getStringList(expected, "scopes")), token.scopes(), "scopes");
        assertEquals(expected.get("client_id"), token.clientId(), "client_id");
        List<Actor> chain = new ArrayList<>();
        for (Object level : JSONObjectUtils.getJSONArray(expected, "chain")) {
            Map<?, ?> actor = (Map<?, ?>) level;
            Attestation att = null;
            if (actor.get("att") instanceof Map<?, ?> summary) {
                att = Attestation.of((String) summary.get("iss"), (String) summary.get("dig"),
                        Instant.ofEpochSecond(((Number) summary.get("iat")).longValue()));
            }
            Approval apv = null;
            if (actor.get("apv") instanceof Map<?, ?> approval) {
                apv = new Approval((String) approval.get("id"), (String) approval.get("approver"),
                        Instant.ofEpochSecond(((Number) approval.get("iat")).longValue()));
            }
            chain.add(new Actor((String) actor.get("sub"), (String) actor.get("iss"), att, apv));
        }
        assertEquals(chain, token.chain().actors(), "chain, current actor first");
        assertEquals(DelegationChain.ofCurrentFirst(chain), token.chain(), "chain with attestation summaries and"
                + " approvals");

        Map<String, Object> expectedClaims = JSONObjectUtils.getJSONObject(expected, "claims");
        JWTClaimsSet claims = token.claims();
        assertNotNull(claims, "claims");
        assertEquals(expectedClaims.keySet(), claims.getClaims().keySet(), "claim names");
        for (String name : expectedClaims.keySet()) {
            Object expectedValue = normalize(name, expectedClaims.get(name));
            Object actualValue = normalize(name, claims.getClaim(name));
            assertEquals(expectedValue, actualValue, "claim " + name);
        }
        assertEquals(JSONObjectUtils.getString(expectedClaims, "iss"), token.issuer(), "issuer");
        assertEquals(JSONObjectUtils.getString(expectedClaims, "jti"), token.jwtId(), "jti");
        assertEquals(Instant.ofEpochSecond(JSONObjectUtils.getLong(expectedClaims, "exp")), token.expiresAt(), "exp");
        assertEquals(Instant.ofEpochSecond(JSONObjectUtils.getLong(expectedClaims, "iat")), token.issuedAt(), "iat");
        assertTrue(token.audience().contains(JSONObjectUtils.getString(
                JSONObjectUtils.getJSONObject(vector, "verifier"), "audience")), "audience");
    }

    private static AgentTokenVerifier verifier(Map<String, Object> vector, long time) throws Exception {
        Map<String, Object> config = JSONObjectUtils.getJSONObject(vector, "verifier");
        return AgentTokenVerifier.builder()
                .trustIssuer(JSONObjectUtils.getString(vector, "issuer"),
                        JWKSet.parse(JSONObjectUtils.getJSONObject(vector, "jwks")))
                .audience(JSONObjectUtils.getString(config, "audience"))
                .maxChainDepth(JSONObjectUtils.getInt(config, "max_chain_depth"))
                .clockSkew(Duration.ofSeconds(JSONObjectUtils.getLong(config, "clock_skew_seconds")))
                .clock(Clock.fixed(Instant.ofEpochSecond(time), ZoneOffset.UTC))
                .build();
    }

    /**
     * Brings a claim value from the vector's JSON and from Nimbus's claims set to one form: NumericDates
     * as epoch seconds, integral numbers as Long, {@code aud} always as a list.
     */
    private static Object normalize(String name, Object value) {
        if (value instanceof Date date) {
            return date.getTime() / 1000;
        }
        if ("aud".equals(name) && value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put((String) k, normalize((String) k, v)));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(normalize("", v)));
            return out;
        }
        return value;
    }
}
