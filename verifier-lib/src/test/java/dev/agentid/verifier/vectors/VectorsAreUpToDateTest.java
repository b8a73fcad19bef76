package dev.agentid.verifier.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.verifier.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checked-in vectors under spec/vectors are exactly what {@link VectorGenerator} produces. With
 * {@code -Dvectors.write=true} the test rewrites them instead (then review the diff).
 */
class VectorsAreUpToDateTest {

    private static final Pattern FILE_NAME = Pattern.compile("\\d{2}-[a-z0-9-]+\\.json");

    @Test
    void checkedInVectorsAreWhatTheGeneratorProduces() throws IOException {
        SortedMap<String, String> generated = VectorGenerator.generate();
        Path dir = VectorGenerator.defaultDirectory();
        if (Boolean.getBoolean("vectors.write")) {
            VectorGenerator.write(dir, generated);
        }
        Set<String> onDisk;
        try (Stream<Path> files = Files.list(dir)) {
            onDisk = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json") || n.equals("README.md"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(generated.keySet(), onDisk,
                "vector files in " + dir + " differ from the generator's; rerun with -Dvectors.write=true");
        for (Map.Entry<String, String> e : generated.entrySet()) {
            String actual = Files.readString(dir.resolve(e.getKey()), StandardCharsets.UTF_8);
            assertEquals(e.getValue(), actual, e.getKey() + " is out of date; rerun with -Dvectors.write=true");
        }
    }

    @Test
    void regeneratingIsByteIdentical() {
        assertEquals(VectorGenerator.generate(), VectorGenerator.generate());
    }

    @Test
    void thereAreAtLeastThirtyVectorsNamedInSectionOrder() {
        List<String> names = generated().keySet().stream()
                .filter(n -> n.endsWith(".json")).toList();
        assertTrue(names.size() >= 30, "only " + names.size() + " vectors");
        for (int i = 0; i < names.size(); i++) {
            assertTrue(FILE_NAME.matcher(names.get(i)).matches(), names.get(i));
            assertEquals(String.format("%02d-", i + 1), names.get(i).substring(0, 3));
        }
    }

    @Test
    void everyReasonThatNeedsNoLiveInfrastructureHasAVector() throws Exception {
        Set<Reason> covered = EnumSet.noneOf(Reason.class);
        for (Map<String, Object> v : generatedVectors()) {
            Map<String, Object> expected = JSONObjectUtils.getJSONObject(v, "expected");
            if (!Boolean.TRUE.equals(expected.get("valid"))) {
                covered.add(Reason.valueOf((String) expected.get("reason")));
            }
        }
        Set<Reason> missing = EnumSet.complementOf(EnumSet.copyOf(covered));
        // sender-constraint reasons have their own vectors in spec/vectors/binding (BindingVectorsTest)
        missing.removeAll(BindingVectorsTest.REASONS);
        // chain-evidence reasons have theirs in spec/vectors/evidence (EvidenceVectorsTest)
        missing.removeAll(EvidenceVectorsTest.REASONS);
        assertEquals(EnumSet.of(Reason.KEY_SOURCE_UNAVAILABLE, Reason.REVOKED), missing);
    }

    @Test
    void validVectorsCarrySignaturesThatNimbusVerifies() throws Exception {
        int checked = 0;
        for (Map<String, Object> v : generatedVectors()) {
            List<JWSObject> tokens = new ArrayList<>();
            if (Boolean.TRUE.equals(JSONObjectUtils.getJSONObject(v, "expected").get("valid"))) {
                tokens.add(JWSObject.parse((String) v.get("token")));
            }
            if (v.get("parent") != null) {
                tokens.add(JWSObject.parse(JSONObjectUtils.getString(JSONObjectUtils.getJSONObject(v, "parent"), "token")));
            }
            JWKSet jwks = JWKSet.parse(JSONObjectUtils.getJSONObject(v, "jwks"));
            for (JWSObject jws : tokens) {
                assertEquals(JWSAlgorithm.ES256, jws.getHeader().getAlgorithm());
                ECKey key = (ECKey) jwks.getKeyByKeyId(jws.getHeader().getKeyID());
                ECDSAVerifier verifier = new ECDSAVerifier(key);
                verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
                assertTrue(jws.verify(verifier), "signature of " + v.get("title"));
                checked++;
            }
        }
        assertTrue(checked >= 10, "only " + checked + " valid tokens checked");
    }

    @Test
    void vectorsHoldNoPrivateKeyMaterial() throws Exception {
        for (Map<String, Object> v : generatedVectors()) {
            for (JWK key : JWKSet.parse(JSONObjectUtils.getJSONObject(v, "jwks")).getKeys()) {
                assertFalse(key.isPrivate(), "private key in " + v.get("title"));
            }
        }
    }

    @Test
    void titlesCiteTheirSection() throws Exception {
        for (Map<String, Object> v : generatedVectors()) {
            String title = (String) v.get("title");
            if (!title.endsWith("(§" + v.get("section") + ")")) {
                fail("title does not cite its section: " + title);
            }
        }
    }

    @Test
    void everyCitedSectionExistsInTheProfile() throws Exception {
        Path profile = VectorGenerator.defaultDirectory().resolveSibling("agent-token-profile.md");
        Set<String> headings = Files.readAllLines(profile, StandardCharsets.UTF_8).stream()
                .filter(line -> line.startsWith("#"))
                .map(line -> line.replaceFirst("^#+\\s+", ""))
                .map(line -> line.split(" ", 2)[0])
                .collect(Collectors.toSet());
        for (Map<String, Object> v : generatedVectors()) {
            String section = (String) v.get("section");
            assertTrue(headings.contains(section) || headings.contains(section + "."),
                    "section " + section + " cited by \"" + v.get("title") + "\" is not a heading of " + profile);
        }
    }

    private static SortedMap<String, String> generated;

    private static synchronized SortedMap<String, String> generated() {
        if (generated == null) {
            generated = VectorGenerator.generate();
        }
        return generated;
    }

    private static List<Map<String, Object>> generatedVectors() throws Exception {
        List<Map<String, Object>> vectors = new ArrayList<>();
        for (Map.Entry<String, String> e : generated().entrySet()) {
            if (e.getKey().endsWith(".json")) {
                vectors.add(JSONObjectUtils.parse(e.getValue()));
            }
        }
        return vectors;
    }
}
