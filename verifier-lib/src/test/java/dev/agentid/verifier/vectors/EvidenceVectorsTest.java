package dev.agentid.verifier.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
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
 * The chain-evidence vectors of spec/vectors/evidence (profile section 6.12): a chain A → B → C → A, signed
 * deterministically (RFC 6979) by three issuers with the fixed {@link VectorKeys}, and one vector per tampered hop.
 * A verifier configured with the three issuers' JWKS alone checks every hop and names the first that fails.
 * {@code -Dvectors.write=true} rewrites the files.
 */
class EvidenceVectorsTest {

    /** The reasons of section 6.12; the evidence vectors cover each of them. */
    static final Set<Reason> REASONS = EnumSet.of(Reason.CHAIN_EVIDENCE_MISSING, Reason.CHAIN_EVIDENCE_UNTRUSTED,
            Reason.CHAIN_EVIDENCE_BAD_SIGNATURE, Reason.CHAIN_EVIDENCE_MISMATCH);

    private static final String A = "https://issuer.org-a.example";
    private static final String B = "https://issuer.org-b.example";
    private static final String C = "https://issuer.org-c.example";
    private static final String AUDIENCE = "https://api.org-a.example";
    private static final String SUB = "user:alice";
    private static final long TIME = 1767225600L; // 2026-01-01T00:00:00Z

    private static final VectorKeys.EcVectorKey KEY_A = VectorKeys.ec("agentid evidence key A");
    private static final VectorKeys.EcVectorKey KEY_B = VectorKeys.ec("agentid evidence key B");
    private static final VectorKeys.EcVectorKey KEY_C = VectorKeys.ec("agentid evidence key C");

    /** A → B → C → A, current first: A's closer acts on work that A's planner started. */
    private static final List<Actor> ABCA = List.of(new Actor("a-closer", A), new Actor("c-worker", C),
            new Actor("b-worker", B), new Actor("a-planner", A));

    static Path directory() {
        return VectorGenerator.defaultDirectory().resolve("evidence");
    }

    // --- generation -------------------------------------------------------------------------------------

    static SortedMap<String, String> generate() {
        SortedMap<String, String> files = new TreeMap<>();
        List<String> genuine = receipts(SUB, ABCA);
        String valid = token(A, SUB, ABCA, genuine);
        files.put("01-abca-valid.json", vector("A chain A → B → C → A with a receipt per hop verifies (§6.12)",
                "three hops: A → B covers a-planner; B → C covers b-worker, a-planner; C → A covers c-worker, b-worker, "
                        + "a-planner. Each receipt is signed by the hop's older issuer; the token by A",
                valid, List.of(A, B, C), null, 0, hopDetails(SUB, ABCA)));

        List<String> badSignature = new ArrayList<>(genuine);
        badSignature.set(0, receipt(A, B, SUB, ABCA.subList(3, 4), null, KEY_B, KEY_A.kid(), "chain-receipt+jwt"));
        files.put("02-hop-1-bad-signature.json", vector("Hop 1's receipt is signed with another key under A's kid (§6.12)",
                "B made up A's receipt: the signature does not verify with A's key", token(A, SUB, ABCA,
                        chained(badSignature)), List.of(A, B, C), "CHAIN_EVIDENCE_BAD_SIGNATURE", 1, null));

        List<Actor> otherB = List.of(ABCA.get(0), ABCA.get(1), new Actor("b-admin", B), ABCA.get(3));
        files.put("03-hop-2-level-forged.json", vector("B's level is replaced after B signed its receipt (§6.12)",
                "the token names b-admin where B's receipt for hop 2 covers b-worker; hop 1 still verifies",
                token(A, SUB, otherB, genuine), List.of(A, B, C), "CHAIN_EVIDENCE_MISMATCH", 2, null));

        List<Actor> attC = List.of(ABCA.get(0), Actor.attested("c-worker", C, new Attestation("https://attester.example",
                "sha256:" + "ab".repeat(32), Instant.ofEpochSecond(TIME - 600))), ABCA.get(2), ABCA.get(3));
        files.put("04-hop-3-att-forged.json", vector("An att summary C never signed is added to C's level (§6.12)",
                "the receipt for hop 3 covers c-worker without att", token(A, SUB, attC, genuine), List.of(A, B, C),
                "CHAIN_EVIDENCE_MISMATCH", 3, null));

        files.put("05-hop-2-receipt-missing.json", vector("The receipt of hop 2 is missing (§6.12)",
                "act_ev holds only A's receipt for hop 1", token(A, SUB, ABCA, genuine.subList(0, 1)),
                List.of(A, B, C), "CHAIN_EVIDENCE_MISSING", 2, null));

        files.put("06-hop-3-untrusted.json", vector("The verifier does not trust C, which signed hop 3 (§6.12)",
                "only A's and B's keys are configured", valid, List.of(A, B), "CHAIN_EVIDENCE_UNTRUSTED", 3, null));

        List<String> unchained = new ArrayList<>(genuine);
        unchained.set(1, receipt(B, C, SUB, ABCA.subList(2, 4), null, KEY_B, KEY_B.kid(), "chain-receipt+jwt"));
        files.put("07-hop-2-prv-missing.json", vector("Hop 2's receipt does not name the previous receipt (§6.12)",
                "a genuine signature of B, but without prv: it is not bound to hop 1's receipt",
                token(A, SUB, ABCA, chainedFrom(unchained, 2)), List.of(A, B, C), "CHAIN_EVIDENCE_MISMATCH", 2, null));

        files.put("08-subject-forged.json", vector("The principal is changed after the chain started (§6.12)",
                "sub is user:mallory; every receipt hashes user:alice, the first one fails",
                token(A, "user:mallory", ABCA, genuine), List.of(A, B, C), "CHAIN_EVIDENCE_MISMATCH", 1, null));

        List<String> extra = new ArrayList<>(genuine);
        extra.add(genuine.get(2));
        files.put("09-extra-receipt.json", vector("More receipts than hops (§6.12)",
                "act_ev repeats the last receipt", token(A, SUB, ABCA, extra), List.of(A, B, C),
                "CHAIN_EVIDENCE_MISMATCH", 4, null));

        List<String> wrongAud = new ArrayList<>(genuine);
        wrongAud.set(1, receipt(B, A, SUB, ABCA.subList(2, 4), genuine.get(0), KEY_B, KEY_B.kid(),
                "chain-receipt+jwt"));
        files.put("10-hop-2-wrong-audience.json", vector("Hop 2's receipt was for another issuer (§6.12)",
                "B's genuine receipt for a grant to A is presented for the hop from B to C",
                token(A, SUB, ABCA, chainedFrom(wrongAud, 2)), List.of(A, B, C), "CHAIN_EVIDENCE_MISMATCH", 2, null));

        List<String> wrongType = new ArrayList<>(genuine);
        wrongType.set(0, receipt(A, B, SUB, ABCA.subList(3, 4), null, KEY_A, KEY_A.kid(), "at+jwt"));
        files.put("11-hop-1-wrong-type.json", vector("Hop 1's receipt is not typed chain-receipt+jwt (§6.12)",
                "typ at+jwt: an access token is never a receipt", token(A, SUB, ABCA, chained(wrongType)),
                List.of(A, B, C), "CHAIN_EVIDENCE_BAD_SIGNATURE", 1, null));

        List<Actor> depth5 = new ArrayList<>();
        depth5.add(new Actor("b-reviewer", B));
        depth5.add(ABCA.get(0));
        depth5.add(attC.get(1));
        depth5.add(ABCA.get(2));
        depth5.add(ABCA.get(3));
        String five = token(B, SUB, depth5, receipts(SUB, depth5));
        files.put("12-depth-5-abcab-valid.json", vector("A depth-5 chain A → B → C → A → B with four receipts verifies "
                        + "(§6.12)", "four hops, one attested level; the whole token is " + five.length()
                        + " bytes, within the 8 KiB cap of section 2.3", five, List.of(A, B, C), null, 0,
                hopDetails(SUB, depth5)));
        return files;
    }

    /** The genuine receipts of a chain, oldest hop first, each signed by its older issuer. */
    private static List<String> receipts(String sub, List<Actor> currentFirst) {
        List<String> receipts = new ArrayList<>();
        for (ChainEvidence.Hop hop : ChainEvidence.hops(DelegationChain.ofCurrentFirst(currentFirst), null)) {
            VectorKeys.EcVectorKey key = key(hop.from());
            receipts.add(receipt(hop.from(), hop.to(), sub, hop.covered().actors(),
                    receipts.isEmpty() ? null : receipts.get(receipts.size() - 1), key, key.kid(),
                    "chain-receipt+jwt"));
        }
        return receipts;
    }

    /** Re-signs every receipt after the first so that each names its (changed) predecessor. */
    private static List<String> chained(List<String> receipts) {
        return chainedFrom(receipts, 1);
    }

    /** Re-signs the receipts from index {@code from + 1} on so that prv is right again after a changed one. */
    private static List<String> chainedFrom(List<String> receipts, int from) {
        List<ChainEvidence.Hop> hops = ChainEvidence.hops(DelegationChain.ofCurrentFirst(ABCA), null);
        List<String> out = new ArrayList<>(receipts);
        for (int i = from; i < out.size(); i++) {
            ChainEvidence.Hop hop = hops.get(i);
            VectorKeys.EcVectorKey key = key(hop.from());
            out.set(i, receipt(hop.from(), hop.to(), SUB, hop.covered().actors(), out.get(i - 1), key, key.kid(),
                    "chain-receipt+jwt"));
        }
        return out;
    }

    private static VectorKeys.EcVectorKey key(String issuer) {
        return switch (issuer) {
            case A -> KEY_A;
            case B -> KEY_B;
            default -> KEY_C;
        };
    }

    private static String receipt(String from, String to, String sub, List<Actor> covered, String previous,
                                  VectorKeys.EcVectorKey key, String kid, String typ) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", typ);
        header.put("kid", kid);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("iss", from);
        payload.put("aud", to);
        payload.put("iat", TIME - 300);
        payload.put("jti", "vec-grant-" + from.substring(15, 20) + "-" + to.substring(15, 20));
        payload.put(ChainEvidence.CHAIN_HASH, ChainEvidence.chainHash(sub, DelegationChain.ofCurrentFirst(covered)));
        if (previous != null) {
            payload.put(ChainEvidence.PREVIOUS, ChainEvidence.receiptHash(previous));
        }
        return sign(header, payload, key);
    }

    private static String token(String issuer, String sub, List<Actor> currentFirst, List<String> evidence) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", "at+jwt");
        header.put("kid", key(issuer).kid());
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("iss", issuer);
        payload.put("sub", sub);
        payload.put("aud", AUDIENCE);
        payload.put("exp", TIME + 240);
        payload.put("iat", TIME - 60);
        payload.put("jti", "vec-evidence-" + currentFirst.size());
        payload.put("client_id", currentFirst.get(0).subject());
        payload.put("scope", "tickets:read");
        payload.put("act", DelegationChain.ofCurrentFirst(currentFirst).toActClaim());
        payload.put(ChainEvidence.CLAIM, evidence);
        return sign(header, payload, key(issuer));
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

    /** For valid vectors: what each hop's receipt hashes, so an implementer can compare step by step. */
    private static List<Object> hopDetails(String sub, List<Actor> currentFirst) {
        List<Object> hops = new ArrayList<>();
        for (ChainEvidence.Hop hop : ChainEvidence.hops(DelegationChain.ofCurrentFirst(currentFirst), null)) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("hop", hop.number());
            h.put("from", hop.from());
            h.put("to", hop.to());
            h.put("canonical_input", ChainEvidence.canonicalInput(sub, hop.covered()));
            h.put("chn", ChainEvidence.chainHash(sub, hop.covered()));
            hops.add(h);
        }
        return hops;
    }

    private static String vector(String title, String description, String token, List<String> trusted, String reason,
                                 int hop, List<Object> hops) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("title", title);
        v.put("section", "6.12");
        v.put("description", description);
        v.put("token", token);
        List<Object> issuers = new ArrayList<>();
        for (String issuer : trusted) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("issuer", issuer);
            entry.put("jwks", new JWKSet(key(issuer).publicJwk()).toJSONObject(true));
            issuers.add(entry);
        }
        v.put("issuers", issuers);
        Map<String, Object> verifier = new LinkedHashMap<>();
        verifier.put("audience", AUDIENCE);
        verifier.put("max_chain_depth", 10);
        verifier.put("clock_skew_seconds", 60);
        verifier.put("require_chain_evidence", true);
        v.put("verifier", verifier);
        v.put("verification_time", TIME);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("valid", reason == null);
        if (reason != null) {
            expected.put("reason", reason);
            expected.put("hop", hop);
        } else {
            expected.put("token_bytes", token.length());
            expected.put("hops", hops);
        }
        v.put("expected", expected);
        return JsonWriter.write(v);
    }

    // --- tests ------------------------------------------------------------------------------------------

    @Test
    void checkedInEvidenceVectorsAreWhatTheGeneratorProduces() throws IOException {
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

    /** Runs the checked-in files, as any other implementation would. */
    @Test
    void everyEvidenceVectorGivesItsExpectedResultAndHop() throws Exception {
        Set<Reason> covered = EnumSet.noneOf(Reason.class);
        int checked = 0;
        try (Stream<Path> files = Files.list(directory())) {
            for (Path file : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                Map<String, Object> v = JSONObjectUtils.parse(Files.readString(file, StandardCharsets.UTF_8));
                Map<String, Object> expected = JSONObjectUtils.getJSONObject(v, "expected");
                try (AgentTokenVerifier verifier = verifier(v)) {
                    VerifiedAgentToken token = verifier.verify((String) v.get("token"));
                    assertTrue((Boolean) expected.get("valid"), file + " verified but should fail");
                    assertEquals(SUB, token.principal());
                    assertTrue(((String) v.get("token")).length() < 8192, file + " is within the size cap");
                } catch (TokenVerificationException failure) {
                    assertEquals(expected.get("reason"), failure.reason().name(), file + ": " + failure.getMessage());
                    assertEquals(((Number) expected.get("hop")).intValue(), failure.hop(), file + ": "
                            + failure.getMessage());
                    covered.add(failure.reason());
                }
                checked++;
            }
        }
        assertEquals(12, checked);
        assertEquals(REASONS, covered);
    }

    @Test
    void theSameTamperedTokensPassAVerifierThatDoesNotRequireEvidence() throws Exception {
        Map<String, Object> v = JSONObjectUtils.parse(generate().get("03-hop-2-level-forged.json"));
        AgentTokenVerifier.Builder builder = AgentTokenVerifier.builder().audience(AUDIENCE)
                .clock(Clock.fixed(Instant.ofEpochSecond(TIME), ZoneOffset.UTC));
        builder.trustIssuer(A, new JWKSet(KEY_A.publicJwk()));
        try (AgentTokenVerifier lax = builder.build()) {
            assertEquals(4, lax.verify((String) v.get("token")).chain().depth());
        }
    }

    @Test
    void canonicalInputIsJcsOfSubAndTheCoveredLevels() {
        DelegationChain chain = DelegationChain.ofCurrentFirst(List.of(new Actor("b\"1", B),
                Actor.attested("a\n1", A, new Attestation("https://att.example", "sha256:" + "0".repeat(64),
                        Instant.ofEpochSecond(5)))));
        assertEquals("{\"act\":{\"act\":{\"att\":{\"dig\":\"sha256:" + "0".repeat(64) + "\",\"iat\":5,\"iss\":"
                + "\"https://att.example\"},\"iss\":\"" + A + "\",\"sub\":\"a\\n1\"},\"iss\":\"" + B + "\",\"sub\":"
                + "\"b\\\"1\"},\"sub\":\"user:\u00e9\"}", ChainEvidence.canonicalInput("user:\u00e9", chain));
        DelegationChain cba = DelegationChain.ofCurrentFirst(ABCA).parent();
        assertEquals(2, ChainEvidence.hops(cba, null).size());
        assertEquals(3, ChainEvidence.hops(cba, A).size(), "a grant for A adds the hop C -> A");
        assertEquals(2, ChainEvidence.hops(cba, C).size(), "a grant within C adds none");
    }

    private static AgentTokenVerifier verifier(Map<String, Object> v) throws Exception {
        Map<String, Object> config = JSONObjectUtils.getJSONObject(v, "verifier");
        AgentTokenVerifier.Builder builder = AgentTokenVerifier.builder()
                .audience(JSONObjectUtils.getString(config, "audience"))
                .maxChainDepth(((Number) config.get("max_chain_depth")).intValue())
                .clockSkew(java.time.Duration.ofSeconds(((Number) config.get("clock_skew_seconds")).longValue()))
                .clock(Clock.fixed(Instant.ofEpochSecond(JSONObjectUtils.getLong(v, "verification_time")),
                        ZoneOffset.UTC));
        for (Object o : (List<?>) v.get("issuers")) {
            Map<String, Object> entry = JSONObjectUtils.parse(JSONObjectUtils.toJSONString(castMap(o)));
            builder.trustIssuer((String) entry.get("issuer"), JWKSet.parse(JSONObjectUtils.getJSONObject(entry,
                    "jwks")));
        }
        if (Boolean.TRUE.equals(config.get("require_chain_evidence"))) {
            builder.requireChainEvidence();
        }
        return builder.build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
