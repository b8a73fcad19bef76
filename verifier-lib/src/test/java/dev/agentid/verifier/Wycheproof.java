package dev.agentid.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEProcessor;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Loads the Wycheproof copies under src/test/resources/wycheproof/ and runs JWS checks under our policy. */
final class Wycheproof {

    private Wycheproof() {
    }

    static Map<String, Object> load(String name) {
        try (InputStream in = Wycheproof.class.getResourceAsStream("/wycheproof/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource wycheproof/" + name);
            }
            return JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> json, String member) {
        return (List<Map<String, Object>>) json.get(member);
    }

    static byte[] hex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** A group's key: {@code public} if present, else {@code private}; a single JWK becomes a set of one. */
    @SuppressWarnings("unchecked")
    static String keySetJson(Map<String, Object> group) {
        Map<String, Object> key = (Map<String, Object>) (group.containsKey("public") ? group.get("public")
                : group.get("private"));
        if (key.containsKey("keys")) {
            return JSONObjectUtils.toJSONString(key);
        }
        return JSONObjectUtils.toJSONString(Map.of("keys", List.of(key)));
    }

    /**
     * The policy the Wycheproof JSON files assume: compact serialization only, strict base64url (our
     * {@link CompactJws} pre-check, empty payload and signature allowed), keys chosen by the
     * application (header jwk/jku/x5u ignored), the algorithm pinned to each key's {@code alg}, a key
     * without {@code alg} never used. Verification is Nimbus with BouncyCastle.
     */
    static boolean verifyPinned(Object jws, JWKSet keys) {
        if (!(jws instanceof String)) {
            return false; // JSON serialization
        }
        Base64URL[] parts = CompactJws.split((String) jws, true);
        if (parts == null) {
            return false;
        }
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        for (JWK key : keys.getKeys()) {
            if (key.getAlgorithm() != null) {
                algorithms.add(JWSAlgorithm.parse(key.getAlgorithm().getName()));
            }
        }
        if (algorithms.isEmpty()) {
            return false;
        }
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        factory.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        DefaultJOSEProcessor<SecurityContext> processor = new DefaultJOSEProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, new ImmutableJWKSet<>(keys)));
        processor.setJWSVerifierFactory(factory);
        processor.setJWSTypeVerifier((type, context) -> { });
        try {
            processor.process(new JWSObject(parts[0], new Payload(parts[1]), parts[2]), null);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
