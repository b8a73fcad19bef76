package dev.agentid.verifier.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import dev.agentid.verifier.binding.BindingVerifier;
import dev.agentid.verifier.binding.DpopProofVerifier;
import dev.agentid.verifier.binding.PresentedRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The sender-constrained token vectors of spec/vectors/binding (profile section 5.6.5): generated here
 * with deterministic ES256 (RFC 6979) from the fixed {@link VectorKeys}, checked in, and run through
 * verifier-lib's {@link AgentTokenVerifier} and {@link BindingVerifier}. {@code -Dvectors.write=true}
 * rewrites the files. Replay is stateful, so it is a test here, not a vector.
 */
class BindingVectorsTest {

    /** The reasons of section 5.6; the binding vectors cover those that need no state. */
    static final Set<Reason> REASONS = EnumSet.of(Reason.DPOP_PROOF_INVALID, Reason.DPOP_PROOF_REPLAYED,
            Reason.DPOP_NONCE_REQUIRED, Reason.BINDING_MISMATCH, Reason.REPLAY_CHECK_UNAVAILABLE);

    private static final String ISSUER = "https://issuer.example";
    private static final String AUDIENCE = "https://api.example";
    private static final String URL = "https://api.example/tickets/42";
    private static final long TIME = 1767225600L; // 2026-01-01T00:00:00Z

    private static final VectorKeys.EcVectorKey ISSUER_KEY = VectorKeys.ec("agentid vector key 1");
    private static final VectorKeys.EcVectorKey AGENT_KEY = VectorKeys.ec("agentid vector dpop key 1");
    private static final VectorKeys.EcVectorKey OTHER_AGENT_KEY = VectorKeys.ec("agentid vector dpop key 2");

    static Path directory() {
        return VectorGenerator.defaultDirectory().resolve("binding");
    }

    static SortedMap<String, String> generate() {
        String token = token();
        SortedMap<String, String> files = new TreeMap<>();
        files.put("01-dpop-bound-valid.json", vector("A DPoP-bound token with a valid proof by its key (§5.6.3)",
                "cnf.jkt is the thumbprint of the proof's jwk; htm, htu, iat and ath match the request",
                token, "DPoP", proof(AGENT_KEY, "GET", URL, token), "GET", URL, null));
        files.put("02-dpop-proof-other-key.json", vector("A valid proof by another key than cnf.jkt (§5.6.3)",
                "the proof is well-formed and signed by its own jwk, but that jwk is not the key the token is bound to",
                token, "DPoP", proof(OTHER_AGENT_KEY, "GET", URL, token), "GET", URL, "BINDING_MISMATCH"));
        files.put("03-dpop-proof-other-url.json", vector("A proof for another URL (§5.6.2)",
                "htu names https://api.example/tickets/43; the request is for /tickets/42",
                token, "DPoP", proof(AGENT_KEY, "GET", "https://api.example/tickets/43", token), "GET", URL,
                "DPOP_PROOF_INVALID"));
        files.put("04-dpop-bound-as-bearer.json", vector("A DPoP-bound token presented as Bearer without a proof (§5.6.3)",
                "a stolen DPoP-bound token replayed as a bearer token", token, "Bearer", null, "GET", URL,
                "BINDING_MISMATCH"));
        files.put("05-dpop-proof-other-method.json", vector("A proof for another method (§5.6.2)",
                "htm is POST; the request is a GET", token, "DPoP", proof(AGENT_KEY, "POST", URL, token), "GET", URL,
                "DPOP_PROOF_INVALID"));
        return files;
    }

    private static String token() {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", "at+jwt");
        header.put("kid", ISSUER_KEY.kid());
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("iss", ISSUER);
        payload.put("sub", "user:alice");
        payload.put("aud", AUDIENCE);
        payload.put("exp", TIME + 240);
        payload.put("iat", TIME - 60);
        payload.put("jti", "vec-dpop-bound");
        payload.put("client_id", "agent-researcher");
        payload.put("scope", "tickets:read");
        Map<String, Object> act = new LinkedHashMap<>();   // Map.of iterates in a per-JVM order: not reproducible
        act.put("sub", "agent-researcher");
        act.put("iss", ISSUER);
        payload.put("act", act);
        payload.put("cnf", Map.of("jkt", DpopProofVerifier.thumbprint(AGENT_KEY.publicJwk())));
        return sign(header, payload, ISSUER_KEY);
    }

    private static String proof(VectorKeys.EcVectorKey key, String method, String url, String token) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("typ", "dpop+jwt");
        header.put("alg", "ES256");
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kty", "EC");
        jwk.put("crv", "P-256");
        jwk.put("x", key.publicJwk().getX().toString());
        jwk.put("y", key.publicJwk().getY().toString());
        header.put("jwk", jwk);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("jti", "vec-proof-" + method.toLowerCase() + "-" + url.substring(url.lastIndexOf('/') + 1)
                + "-" + key.kid().substring(0, 8));
        payload.put("htm", method);
        payload.put("htu", url);
        payload.put("iat", TIME - 5);
        payload.put("ath", DpopProofVerifier.accessTokenHash(token));
        return sign(header, payload, key);
    }

    private static String sign(Map<String, Object> header, Map<String, Object> payload, VectorKeys.EcVectorKey key) {
        String input = b64(JSONObjectUtils.toJSONString(header)) + "." + b64(JSONObjectUtils.toJSONString(payload));
        try {
            return input + "." + key.signer().sign(new JWSHeader(JWSAlgorithm.ES256),
                    input.getBytes(StandardCharsets.US_ASCII));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String vector(String title, String description, String token, String scheme, String proof,
                                 String method, String url, String reason) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("title", title);
        v.put("section", title.substring(title.lastIndexOf('§') + 1, title.length() - 1));
        v.put("description", description);
        v.put("token", token);
        v.put("issuer", ISSUER);
        v.put("jwks", new JWKSet(ISSUER_KEY.publicJwk()).toJSONObject(true));
        Map<String, Object> verifier = new LinkedHashMap<>();
        verifier.put("audience", AUDIENCE);
        verifier.put("dpop_algorithms", List.of("ES256"));
        verifier.put("dpop_iat_window_seconds", 60);
        v.put("verifier", verifier);
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("method", method);
        request.put("uri", url);
        request.put("authorization_scheme", scheme);
        request.put("dpop", proof);
        request.put("client_certificate_x5t#S256", null);
        v.put("request", request);
        v.put("verification_time", TIME);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("valid", reason == null);
        if (reason != null) {
            expected.put("reason", reason);
        } else {
            expected.put("jkt", DpopProofVerifier.thumbprint(AGENT_KEY.publicJwk()));
        }
        v.put("expected", expected);
        return JsonWriter.write(v);
    }

    // --- tests ----------------------------------------------------------------------------------------

    @Test
    void checkedInBindingVectorsAreWhatTheGeneratorProduces() throws IOException {
        SortedMap<String, String> generated = generate();
        Path dir = directory();
        if (Boolean.getBoolean("vectors.write")) {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> e : generated.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
        }
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(dir)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(generated.keySet(), onDisk, "rerun with -Dvectors.write=true");
        for (Map.Entry<String, String> e : generated.entrySet()) {
            assertEquals(e.getValue(), Files.readString(dir.resolve(e.getKey()), StandardCharsets.UTF_8),
                    e.getKey() + " is out of date; rerun with -Dvectors.write=true");
        }
        assertEquals(generated, generate(), "regenerating is byte-identical");
    }

    @Test
    void everyBindingVectorGivesItsExpectedResult() throws Exception {
        int checked = 0;
        for (Map.Entry<String, String> e : generate().entrySet()) {
            Map<String, Object> v = JSONObjectUtils.parse(e.getValue());
            Map<String, Object> expected = JSONObjectUtils.getJSONObject(v, "expected");
            Map<String, Object> verifierBinding = binding(v);
            try {
                run(v, verifierBinding);
                assertTrue((Boolean) expected.get("valid"), e.getKey() + " verified but should fail");
            } catch (TokenVerificationException failure) {
                assertEquals(expected.get("reason"), failure.reason().name(), e.getKey() + ": " + failure.getMessage());
            }
            checked++;
        }
        assertEquals(5, checked);
    }

    @Test
    void replayingTheValidVectorsProofFailsAndAfterTheWindowItIsTooOld() throws Exception {
        Map<String, Object> v = JSONObjectUtils.parse(generate().get("01-dpop-bound-valid.json"));
        Map<String, Object> binding = binding(v);
        run(v, binding);

        TokenVerificationException replay = assertThrows(TokenVerificationException.class, () -> run(v, binding));
        assertEquals(Reason.DPOP_PROOF_REPLAYED, replay.reason());

        Map<String, Object> late = binding(v, TIME + 56); // iat is TIME - 5, window 60 s
        TokenVerificationException old = assertThrows(TokenVerificationException.class, () -> run(v, late));
        assertEquals(Reason.DPOP_PROOF_INVALID, old.reason());
    }

    /** A token verifier and a binding verifier configured from the vector, at its verification time or {@code at}. */
    private static Map<String, Object> binding(Map<String, Object> v) throws Exception {
        return binding(v, JSONObjectUtils.getLong(v, "verification_time"));
    }

    private static Map<String, Object> binding(Map<String, Object> v, long at) throws Exception {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(at), ZoneOffset.UTC);
        Map<String, Object> config = JSONObjectUtils.getJSONObject(v, "verifier");
        AgentTokenVerifier tokens = AgentTokenVerifier.builder()
                .trustIssuer(JSONObjectUtils.getString(v, "issuer"), JWKSet.parse(JSONObjectUtils.getJSONObject(v, "jwks")))
                .audience(JSONObjectUtils.getString(config, "audience"))
                .clock(clock)
                .build();
        BindingVerifier bindings = BindingVerifier.builder()
                .dpop(DpopProofVerifier.builder().clock(clock).allowedAlgorithms(JWSAlgorithm.ES256)
                        .window(java.time.Duration.ofSeconds(JSONObjectUtils.getLong(config, "dpop_iat_window_seconds")))
                        .build())
                .build();
        return Map.of("tokens", tokens, "bindings", bindings);
    }

    private static void run(Map<String, Object> v, Map<String, Object> verifiers) throws TokenVerificationException {
        Map<String, Object> request;
        try {
            request = JSONObjectUtils.getJSONObject(v, "request");
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
        String token = (String) v.get("token");
        VerifiedAgentToken verified = ((AgentTokenVerifier) verifiers.get("tokens")).verify(token);
        PresentedRequest presented = PresentedRequest
                .fromAuthorization(request.get("authorization_scheme") + " " + token)
                .dpopProof((String) request.get("dpop"))
                .request((String) request.get("method"), URI.create((String) request.get("uri")));
        ((BindingVerifier) verifiers.get("bindings")).verify(verified, presented);
    }
}
