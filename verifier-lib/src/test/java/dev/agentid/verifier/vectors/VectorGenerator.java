package dev.agentid.verifier.vectors;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.PlainObject;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.Approval;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.DelegationChain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Generates the profile's test vectors (spec/vectors/*.json and spec/vectors/README.md).
 *
 * <p>Everything is fixed: keys come from seeds ({@link VectorKeys}), ECDSA is RFC 6979
 * ({@link Rfc6979EcdsaSigner}), times and jtis are constants. Regenerating therefore reproduces the
 * files byte for byte, which {@code VectorsAreUpToDateTest} checks. Run with
 * {@code mvn -B -pl verifier-lib test -Dtest=VectorsAreUpToDateTest -Dvectors.write=true} to rewrite
 * the checked-in files, or call {@link #main(String[])} with the output directory.
 */
public final class VectorGenerator {

    static final String ISSUER = "https://issuer.example";
    static final String PARTNER = "https://partner.example";
    static final String EVIL_ISSUER = "https://evil.example";
    static final String AUDIENCE = "https://api.example";
    static final String OTHER_AUDIENCE = "https://other-api.example";

    /** 2026-01-01T00:00:00Z: the verification time of every vector. */
    static final long T = 1767225600L;

    static final String PRINCIPAL = "user:alice";
    static final String PLANNER = "agent-planner";
    static final String RESEARCHER = "agent-researcher";
    static final String BROWSER = "agent-browser";
    static final String MAILER = "agent-mailer";

    static final String SCOPES = "tickets:read tickets:write calendar:read";

    static final String ATTESTER = "https://attester.example";
    static final String TEE = "https://tee.example";
    /** SHA-256 of "agent-planner image" and "agent-browser image": fixed example measurements. */
    static final String DIGEST_PLANNER = "sha256:" + sha256Hex("agent-planner image");
    static final String DIGEST_BROWSER = "sha256:" + sha256Hex("agent-browser image");

    static final int MAX_TOKEN_BYTES = 8192;

    private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

    // Derived once per JVM: the RSA primes take a moment to find. Generation itself stays deterministic.
    private static final VectorKeys.EcVectorKey key1 = VectorKeys.ec("agentid vector key 1");
    private static final VectorKeys.EcVectorKey key2 = VectorKeys.ec("agentid vector key 2");
    private static final VectorKeys.EcVectorKey attackerKey = VectorKeys.ec("agentid vector key 3");
    private static final VectorKeys.RsaVectorKey rsaKey = VectorKeys.rsa("agentid vector rsa key 1");

    private final List<Vector> vectors = new ArrayList<>();

    private VectorGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : defaultDirectory();
        write(dir, generate());
        System.out.println("wrote vectors to " + dir.toAbsolutePath().normalize());
    }

    /** spec/vectors, resolved from the verifier-lib module directory (surefire's working directory). */
    static Path defaultDirectory() {
        return Path.of(System.getProperty("user.dir")).resolveSibling("spec").resolve("vectors");
    }

    /** File name to file content, for every vector plus README.md. */
    static SortedMap<String, String> generate() {
        VectorGenerator generator = new VectorGenerator();
        generator.all();
        SortedMap<String, String> files = new TreeMap<>();
        for (int i = 0; i < generator.vectors.size(); i++) {
            Vector v = generator.vectors.get(i);
            files.put(fileName(i, v), JsonWriter.write(v.toJson()));
        }
        files.put("README.md", VectorReadme.render(generator.vectors, VectorGenerator::fileName));
        return files;
    }

    /** Writes the files and deletes vector files that the generator no longer produces. */
    static void write(Path dir, SortedMap<String, String> files) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> existing = Files.list(dir)) {
            for (Path p : existing.toList()) {
                if (p.getFileName().toString().endsWith(".json") && !files.containsKey(p.getFileName().toString())) {
                    Files.delete(p);
                }
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
    }

    static String fileName(int index, Vector v) {
        return String.format("%02d-%s.json", index + 1, v.name);
    }

    // ---------------------------------------------------------------------------------------------
    // The vectors, in section order.
    // ---------------------------------------------------------------------------------------------

    private void all() {
        examples();
        actClaim();
        size();
        parsing();
        algorithm();
        type();
        issuer();
        keySelection();
        signature();
        requiredClaims();
        time();
        audience();
        chain();
        clientId();
        derived();
        attestation();
        approval();
    }

    private void examples() {
        Map<String, Object> cc = claims("vec-client-credentials", chain(actor(PLANNER)));
        valid("client-credentials", "3.2",
                "A client_credentials token verifies",
                "A token obtained with client_credentials: sub is the agent's accountable owner, the agent is the "
                        + "only actor, client_id equals act.sub", cc);

        Map<String, Object> twoHop = claims("vec-two-hop", chain(actor(RESEARCHER), actor(PLANNER)));
        valid("two-hop-chain", "3.2",
                "A two-hop delegation chain verifies",
                "agent-planner exchanged its token for agent-researcher; the current actor is outermost", twoHop);

        Map<String, Object> threeHop = claims("vec-three-hop",
                chain(actor(BROWSER), actor(RESEARCHER), actor(PLANNER)));
        threeHop.put("scope", "tickets:read");
        valid("three-hop-chain", "3.2",
                "A three-hop delegation chain A -> B -> C verifies",
                "A -> B -> C: agent-browser acts for agent-researcher, which acts for agent-planner, on behalf of "
                        + "user:alice; the scope has narrowed to tickets:read", threeHop);
    }

    private void actClaim() {
        Map<String, Object> cross = claims("vec-cross-issuer",
                chain(actor(BROWSER), new Actor("agent-partner-crawler", PARTNER), actor(PLANNER)));
        insertAfter(cross, "iat", "nbf", T - 60);
        valid("cross-issuer-chain", "3.5",
                "A chain with an actor authenticated by another issuer verifies",
                "The middle actor was authenticated by another issuer (act level iss = https://partner.example); "
                        + "the token itself is issued and signed by https://issuer.example. Also carries nbf.", cross);

        Map<String, Object> twoIssuers = claims("vec-same-id-two-issuers",
                chain(actor(RESEARCHER), new Actor(RESEARCHER, PARTNER)));
        valid("same-agent-id-at-two-issuers", "3.5",
                "The same agent id at two different issuers is not a cycle",
                "The same agent id at two issuers names two different agents, so this is not a cycle", twoIssuers);

        Map<String, Object> inner = level(PLANNER, ISSUER, null);
        Map<String, Object> innerAtt = attClaim(ATTESTER, DIGEST_PLANNER, T - 300);
        innerAtt.put("model", "example-model-1");
        inner.put("att", innerAtt);
        Map<String, Object> outer = level(RESEARCHER, ISSUER, inner);
        outer.put("x_unknown_member", List.of(1, 2, 3));
        Map<String, Object> unknown = claims("vec-unknown-members", outer);
        unknown.put("x_trace_id", "4bf92f3577b34da6");
        valid("unknown-members-ignored", "3.5",
                "Unknown members of act levels and of att, and unknown claims, are ignored",
                "An act level carries an unknown member, an att summary carries an unknown member (model); the "
                        + "payload carries an unknown claim. Verifiers ignore all three; they are still part of the "
                        + "claims set.", unknown);
    }

    private void size() {
        String atLimit = tokenOfLength(MAX_TOKEN_BYTES, "vec-size-at-limit");
        vectors.add(validVector("size-at-limit", "5.2.1",
                "A token of exactly " + MAX_TOKEN_BYTES + " bytes is accepted",
                "The token is padded with an extra claim to exactly the size cap", atLimit,
                parsePayload(atLimit)));
        String overLimit = tokenOfLength(MAX_TOKEN_BYTES + 1, "vec-size-over-limit");
        invalid("size-over-limit", "5.2.1", "A token of " + (MAX_TOKEN_BYTES + 1) + " bytes is too large",
                "One byte over the cap; otherwise a valid token. Verifiers reject it before parsing.",
                overLimit, "TOKEN_TOO_LARGE");
    }

    private void parsing() {
        String good = sign(claims("vec-malformed", chain(actor(PLANNER))));
        String[] parts = good.split("\\.");

        invalid("two-parts", "5.2.2", "A token with two parts is malformed",
                "The signature part and its separating dot are missing", parts[0] + "." + parts[1], "MALFORMED");

        invalid("base64url-padding", "5.2.2", "Base64url padding is malformed",
                "The signature part carries '==' padding; the decoded bytes are unchanged, so a lenient decoder "
                        + "would accept this token",
                parts[0] + "." + parts[1] + "." + parts[2] + "==", "MALFORMED");

        String payload = parts[1];
        invalid("whitespace", "5.2.2", "Whitespace inside a part is malformed",
                "A line break is inserted in the payload part, as a MIME base64 encoder would do; lenient decoders "
                        + "skip it",
                parts[0] + "." + payload.substring(0, 64) + "\n" + payload.substring(64) + "." + parts[2],
                "MALFORMED");

        String sig = parts[2];
        char last = sig.charAt(sig.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int value = alphabet.indexOf(last);
        if ((value & 0x0F) != 0 || sig.length() % 4 != 2) {
            throw new IllegalStateException("expected a canonical 86-character signature part");
        }
        String nonCanonical = sig.substring(0, sig.length() - 1) + alphabet.charAt(value | 0x01);
        invalid("non-zero-trailing-bits", "5.2.2", "Non-zero trailing bits in base64url are malformed",
                "The last character of the signature part has non-zero unused low bits; it decodes to the same "
                        + "64 bytes, so only a strict decoder notices",
                parts[0] + "." + parts[1] + "." + nonCanonical, "MALFORMED");

        invalid("payload-not-json", "5.2.2", "A payload that is not JSON is malformed",
                "Correctly signed, but the payload is plain text",
                sign(header(key1), new Payload("this is not JSON"), key1.signer()), "MALFORMED");

        invalid("payload-json-array", "5.2.2", "A payload that is a JSON array is malformed",
                "Correctly signed, but the payload is a JSON array rather than an object",
                sign(header(key1), new Payload("[\"" + PRINCIPAL + "\"]"), key1.signer()), "MALFORMED");
    }

    private void algorithm() {
        Map<String, Object> payload = claims("vec-alg", chain(actor(PLANNER)));

        PlainObject none = new PlainObject(new PlainHeader.Builder().type(AT_JWT).build(), new Payload(payload));
        invalid("alg-none", "5.2.3", "alg none is refused",
                "An unsecured JWS (alg none, empty signature part) with otherwise valid claims",
                none.serialize(), "UNSUPPORTED_ALGORITHM");

        byte[] publicKeyBytes;
        try {
            publicKeyBytes = key1.publicJwk().toECPublicKey().getEncoded();
            invalid("alg-hs256-with-public-key", "5.2.3", "HS256 keyed with the issuer's public key is refused",
                    "Algorithm confusion: HMAC-SHA-256 keyed with the DER SubjectPublicKeyInfo of the issuer's "
                            + "published key, with that key's kid",
                    sign(new JWSHeader.Builder(JWSAlgorithm.HS256).type(AT_JWT).keyID(key1.kid()).build(),
                            new Payload(payload), new MACSigner(publicKeyBytes)),
                    "UNSUPPORTED_ALGORITHM");
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }

        Vector rs256 = invalidVector("alg-rs256", "5.2.3", "RS256 is refused even when the issuer publishes an RSA key",
                "The JWKS holds an RSA key with this kid and the signature is a valid RS256 signature; RS256 is "
                        + "not on the allowlist",
                sign(new JWSHeader.Builder(JWSAlgorithm.RS256).type(AT_JWT).keyID(rsaKey.publicJwk().getKeyID()).build(),
                        new Payload(payload), new RSASSASigner(rsaKey.privateKey())),
                "UNSUPPORTED_ALGORITHM");
        rs256.jwks = jwks(key1.publicJwk(), rsaKey.publicJwk());
        vectors.add(rs256);
    }

    private void type() {
        Map<String, Object> payload = claims("vec-typ", chain(actor(PLANNER)));
        invalid("typ-jwt", "5.2.4", "typ JWT is refused",
                "An ID-token-like typ; only at+jwt access tokens are accepted",
                sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(key1.kid()).build(),
                        new Payload(payload), key1.signer()),
                "WRONG_TYPE");
        invalid("typ-missing", "5.2.4", "A missing typ is refused",
                "The header has alg and kid but no typ",
                sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key1.kid()).build(),
                        new Payload(payload), key1.signer()),
                "WRONG_TYPE");
        Map<String, Object> full = claims("vec-typ-application", chain(actor(PLANNER)));
        vectors.add(validVector("typ-application-at-jwt", "5.2.4", "typ application/at+jwt is accepted",
                "RFC 9068 section 4: the full media type application/at+jwt is equivalent to at+jwt",
                sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("application/at+jwt"))
                        .keyID(key1.kid()).build(), new Payload(full), key1.signer()),
                full));
    }

    private void issuer() {
        Map<String, Object> evil = claims("vec-untrusted", chain(actor(PLANNER)));
        evil.put("iss", EVIL_ISSUER);
        invalid("untrusted-issuer", "5.2.5", "An untrusted issuer is refused",
                "iss names an issuer the verifier does not trust (even though a trusted key signed it)",
                sign(evil), "UNTRUSTED_ISSUER");

        Map<String, Object> issNumber = claims("vec-iss-number", chain(actor(PLANNER)));
        issNumber.put("iss", 42);
        invalid("iss-number", "5.2.5", "iss as a number is an invalid claim",
                "iss MUST be a string; the type is checked before the issuer is looked up", sign(issNumber),
                "INVALID_CLAIM");

        Map<String, Object> noIss = claims("vec-missing-iss", chain(actor(PLANNER)));
        noIss.remove("iss");
        invalid("missing-iss", "5.2.5", "A missing iss is a missing claim",
                "No iss claim: no issuer can be selected", sign(noIss), "MISSING_CLAIM");
    }

    private void keySelection() {
        Map<String, Object> rotated = claims("vec-second-key", chain(actor(PLANNER)));
        Vector second = validVector("kid-selects-among-keys", "5.2.6",
                "The key is selected by kid among several published keys",
                "The JWKS publishes two keys (as during a rotation); the token is signed by the second",
                sign(header(key2), new Payload(rotated), key2.signer()), rotated);
        second.jwks = jwks(key1.publicJwk(), key2.publicJwk());
        vectors.add(second);

        invalid("kid-unknown", "5.2.6", "A kid the issuer does not publish is an unknown key",
                "Signed by a key that is not in the issuer's JWKS, with that key's own kid",
                sign(header(attackerKey), new Payload(claims("vec-kid-unknown", chain(actor(PLANNER)))),
                        attackerKey.signer()),
                "UNKNOWN_KEY");

        invalid("kid-missing", "5.2.6", "A header without kid is an unknown key",
                "kid is REQUIRED; verifiers do not try every key of the issuer",
                sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(AT_JWT).build(),
                        new Payload(claims("vec-kid-missing", chain(actor(PLANNER)))), key1.signer()),
                "UNKNOWN_KEY");
    }

    private void signature() {
        String good = sign(claims("vec-signature", chain(actor(PLANNER))));
        String[] parts = good.split("\\.");
        byte[] sig = Base64URL.from(parts[2]).decode();
        sig[10] ^= 0x01;
        invalid("signature-flipped-bit", "5.2.7", "A signature with one flipped bit is bad",
                "One bit of r is flipped; the encoding stays canonical",
                parts[0] + "." + parts[1] + "." + Base64URL.encode(sig), "BAD_SIGNATURE");

        invalid("signature-empty", "5.2.7", "An empty signature part with ES256 is a bad signature",
                "The signature part is empty (syntactically allowed by step 5.2.2 so that alg none is reported "
                        + "as UNSUPPORTED_ALGORITHM); ES256 is allowed, so the signature check fails",
                parts[0] + "." + parts[1] + ".", "BAD_SIGNATURE");

        invalid("signature-other-key-same-kid", "5.2.7", "A signature by another key under the issuer's kid is bad",
                "Signed by an attacker's key, but the header names the issuer's kid",
                sign(header(key1), new Payload(claims("vec-other-key", chain(actor(PLANNER)))),
                        attackerKey.signer()),
                "BAD_SIGNATURE");

        Map<String, Object> widened = claims("vec-signature", chain(actor(PLANNER)));
        widened.put("scope", SCOPES + " admin");
        invalid("payload-altered", "5.2.7", "A payload altered after signing has a bad signature",
                "The payload of a valid token is replaced by one with a wider scope; header and signature are kept",
                parts[0] + "." + new Payload(widened).toBase64URL() + "." + parts[2], "BAD_SIGNATURE");

        Map<String, Object> expired = claims("vec-sig-before-claims", chain(actor(PLANNER)));
        expired.put("exp", T - 3600);
        expired.put("iat", T - 3900);
        invalid("signature-checked-before-claims", "5.2.7", "The signature is checked before the claims",
                "Both expired and signed by the wrong key: the reason is BAD_SIGNATURE, never EXPIRED, so an "
                        + "attacker learns nothing about claim checks from a forged token",
                sign(header(key1), new Payload(expired), attackerKey.signer()), "BAD_SIGNATURE");
    }

    private void requiredClaims() {
        for (String claim : List.of("sub", "aud", "exp", "iat", "jti", "client_id", "scope", "act")) {
            Map<String, Object> payload = claims("vec-missing-" + claim.replace('_', '-'), chain(actor(PLANNER)));
            payload.remove(claim);
            invalid("missing-" + claim.replace('_', '-'), "5.2.8", "A missing " + claim + " is a missing claim",
                    "Otherwise valid token without the required " + claim + " claim", sign(payload), "MISSING_CLAIM");
        }

        Map<String, Object> audNumber = claims("vec-aud-number", chain(actor(PLANNER)));
        audNumber.put("aud", 42);
        invalid("aud-number", "5.2.8", "aud as a number is an invalid claim",
                "aud MUST be a string or an array of strings", sign(audNumber), "INVALID_CLAIM");

        Map<String, Object> scopeArray = claims("vec-scope-array", chain(actor(PLANNER)));
        scopeArray.put("scope", List.of("tickets:read", "tickets:write"));
        invalid("scope-array", "5.2.8", "scope as an array is an invalid claim",
                "scope MUST be a space-delimited string (RFC 8693 section 4.2), not an array", sign(scopeArray),
                "INVALID_CLAIM");

        Map<String, Object> expString = claims("vec-exp-string", chain(actor(PLANNER)));
        expString.put("exp", Long.toString(T + 240));
        invalid("exp-string", "5.2.8", "exp as a string is an invalid claim",
                "exp MUST be a JSON number (NumericDate)", sign(expString), "INVALID_CLAIM");

        Map<String, Object> scopeEmpty = claims("vec-scope-empty", chain(actor(PLANNER)));
        scopeEmpty.put("scope", "");
        invalid("scope-empty", "5.2.8", "An empty scope is an invalid claim",
                "scope MUST hold at least one scope token", sign(scopeEmpty), "INVALID_CLAIM");
    }

    private void time() {
        Map<String, Object> expired = claims("vec-expired", chain(actor(PLANNER)));
        expired.put("iat", T - 361);
        expired.put("exp", T - 61);
        invalid("expired-beyond-skew", "5.2.9", "A token expired 61 s ago is expired with 60 s skew",
                "exp + clock skew is one second before the verification time", sign(expired), "EXPIRED");

        Map<String, Object> boundary = claims("vec-expired-boundary", chain(actor(PLANNER)));
        boundary.put("iat", T - 360);
        boundary.put("exp", T - 60);
        invalid("expired-at-skew-boundary", "5.2.9", "A token is expired when exp + skew equals the time",
                "exp + clock skew equals the verification time; a token is valid only while now < exp + skew",
                sign(boundary), "EXPIRED");

        Map<String, Object> withinSkew = claims("vec-within-skew", chain(actor(PLANNER)));
        withinSkew.put("iat", T - 359);
        withinSkew.put("exp", T - 59);
        valid("expired-within-skew", "5.2.9", "A token expired 59 s ago is still valid with 60 s skew",
                "exp + clock skew is one second after the verification time", withinSkew);

        Map<String, Object> future = claims("vec-iat-future", chain(actor(PLANNER)));
        future.put("iat", T + 61);
        future.put("exp", T + 361);
        invalid("iat-in-future", "5.2.9", "A token issued 61 s in the future is refused",
                "iat is beyond the verification time plus the clock skew", sign(future), "ISSUED_IN_FUTURE");

        Map<String, Object> nbf = claims("vec-nbf-future", chain(actor(PLANNER)));
        insertAfter(nbf, "iat", "nbf", T + 61);
        invalid("nbf-in-future", "5.2.9", "A token not valid before 61 s from now is refused",
                "nbf is beyond the verification time plus the clock skew", sign(nbf), "NOT_YET_VALID");
    }

    private void audience() {
        Map<String, Object> other = claims("vec-aud-mismatch", chain(actor(PLANNER)));
        other.put("aud", OTHER_AUDIENCE);
        invalid("audience-mismatch", "5.2.10", "A token for another audience is refused",
                "aud names another resource server (confused deputy)", sign(other), "AUDIENCE_MISMATCH");

        Map<String, Object> array = claims("vec-aud-array", chain(actor(PLANNER)));
        array.put("aud", List.of(OTHER_AUDIENCE, AUDIENCE));
        valid("audience-array", "5.2.10", "An aud array containing the verifier's audience is accepted",
                "Issuers of this profile emit one audience, but verifiers accept any JWT-conformant aud array "
                        + "that contains an accepted audience",
                array);
    }

    private void chain() {
        Map<String, Object> actString = claims("vec-act-string", "agent-planner");
        invalid("act-string", "5.2.11", "act as a string is a malformed chain",
                "act MUST be a JSON object", sign(actString), "CHAIN_MALFORMED");

        Map<String, Object> missingIss = level(RESEARCHER, ISSUER, new LinkedHashMap<>(Map.of("sub", PLANNER)));
        invalid("act-level-missing-iss", "5.2.11", "An act level without iss is a malformed chain",
                "The nested (first) actor has sub but no iss",
                sign(claims("vec-act-missing-iss", missingIss, RESEARCHER)), "CHAIN_MALFORMED");

        Map<String, Object> subNumber = new LinkedHashMap<>();
        subNumber.put("sub", 42);
        subNumber.put("iss", ISSUER);
        Map<String, Object> numberPayload = claims("vec-act-sub-number", subNumber);
        numberPayload.put("client_id", "42");
        invalid("act-sub-number", "5.2.11", "An act sub that is a number is a malformed chain",
                "act.sub MUST be a string; client_id is the string \"42\" so only the chain is at fault",
                sign(numberPayload), "CHAIN_MALFORMED");

        Map<String, Object> nullNested = level(RESEARCHER, ISSUER, null);
        nullNested.put("act", null);
        invalid("act-nested-null", "5.2.11", "A nested act of null is a malformed chain",
                "The member act of an act level MUST be an object when present; null is not absent",
                sign(claims("vec-act-null", nullNested, RESEARCHER)), "CHAIN_MALFORMED");

        Map<String, Object> arrayNested = level(RESEARCHER, ISSUER, null);
        arrayNested.put("act", List.of(level(PLANNER, ISSUER, null)));
        invalid("act-nested-array", "5.2.11", "A nested act that is an array is a malformed chain",
                "The member act of an act level MUST be an object",
                sign(claims("vec-act-array", arrayNested, RESEARCHER)), "CHAIN_MALFORMED");

        valid("depth-10", "5.2.11", "A chain of 10 actors is accepted with the default limit of 10",
                "The default max_chain_depth is 10 actors", claims("vec-depth-10", chain(actors(10))));

        invalid("depth-11", "5.2.11", "A chain of 11 actors is too deep with the default limit of 10",
                "One actor more than the default limit", sign(claims("vec-depth-11", chain(actors(11)))),
                "CHAIN_TOO_DEEP");

        Vector shallow = invalidVector("depth-3-limit-2", "5.2.11",
                "A chain of 3 actors is too deep for a verifier configured with a limit of 2",
                "The verifier lowers max_chain_depth to 2",
                sign(claims("vec-depth-3", chain(actor(BROWSER), actor(RESEARCHER), actor(PLANNER)))),
                "CHAIN_TOO_DEEP");
        shallow.verifier = verifierConfig(2);
        vectors.add(shallow);

        Map<String, Object> cycle = level(PLANNER, ISSUER, level(RESEARCHER, ISSUER, level(PLANNER, ISSUER, null)));
        invalid("cycle", "5.2.11", "An agent twice in the chain is a cycle",
                "agent-planner of https://issuer.example appears at depth 1 and depth 3",
                sign(claims("vec-cycle", cycle)), "CHAIN_CYCLE");
    }

    private void clientId() {
        Map<String, Object> mismatch = claims("vec-client-id", chain(actor(RESEARCHER), actor(PLANNER)));
        mismatch.put("client_id", PLANNER);
        invalid("client-id-mismatch", "5.2.12", "client_id other than the current actor is refused",
                "client_id names the first actor instead of the current actor (act.sub)", sign(mismatch),
                "CLIENT_ID_MISMATCH");
    }

    private void derived() {
        Map<String, Object> parentClaims = claims("vec-parent", chain(actor(RESEARCHER), actor(PLANNER)));
        parentClaims.put("iat", T - 120);
        parentClaims.put("exp", T + 480);
        String parent = sign(parentClaims);

        Map<String, Object> child = childClaims("vec-child");
        derived("derived-valid", "A token exchanged from its parent passes the derivation checks",
                "Same sub, narrower scope, earlier exp, the parent's chain extended by agent-browser",
                parent, child, null);

        Map<String, Object> otherSubject = childClaims("vec-child-subject");
        otherSubject.put("sub", "user:bob");
        derived("derived-subject-changed", "A derived token with another principal is refused",
                "The child names user:bob; the parent names user:alice", parent, otherSubject, "SUBJECT_CHANGED");

        Map<String, Object> wider = childClaims("vec-child-scope");
        wider.put("scope", "tickets:read admin");
        derived("derived-scope-widened", "A derived token with a scope its parent lacks is refused",
                "The child holds admin, which the parent does not", parent, wider, "SCOPE_WIDENED");

        Map<String, Object> longer = childClaims("vec-child-exp");
        longer.put("exp", T + 600);
        derived("derived-lifetime-extended", "A derived token that outlives its parent is refused",
                "The child expires 120 s after the parent", parent, longer, "LIFETIME_EXTENDED");

        Map<String, Object> otherTail = childClaims("vec-child-tail");
        otherTail.put("act", chain(actor(BROWSER), actor(MAILER), actor(PLANNER)));
        derived("derived-chain-other-tail", "A derived token whose chain does not continue its parent's is refused",
                "The parent's chain is researcher <- planner; the child's is browser <- mailer <- planner", parent,
                otherTail, "CHAIN_NOT_EXTENDED");

        Map<String, Object> same = childClaims("vec-child-same-chain");
        same.put("act", chain(actor(RESEARCHER), actor(PLANNER)));
        same.put("client_id", RESEARCHER);
        derived("derived-chain-same", "A derived token without a new actor is refused",
                "The child repeats the parent's chain; a derived token adds exactly one new current actor", parent,
                same, "CHAIN_NOT_EXTENDED");
    }

    /** Attestation summaries in act levels (section 3.5.1) and what a verifier refuses. */
    private void attestation() {
        Map<String, Object> attested = claims("vec-attested-chain", DelegationChain.ofCurrentFirst(List.of(
                Actor.attested(BROWSER, ISSUER, Attestation.of(TEE, DIGEST_BROWSER, Instant.ofEpochSecond(T - 90))),
                actor(RESEARCHER),
                Actor.attested(PLANNER, ISSUER, Attestation.of(ATTESTER, DIGEST_PLANNER,
                        Instant.ofEpochSecond(T - 300))))).toActClaim());
        attested.put("scope", "tickets:read");
        valid("attested-chain", "3.5.1",
                "Every attested actor's level carries its attestation summary",
                "A -> B -> C where agent-planner and agent-browser presented client attestations (two attesters) and "
                        + "agent-researcher did not: two act levels carry att {iss, dig, iat}, one has none", attested);

        Map<String, Object> notObject = level(PLANNER, ISSUER, null);
        notObject.put("att", DIGEST_PLANNER);
        invalid("att-not-object", "3.5.1", "An att that is not an object is a malformed chain",
                "att MUST be a JSON object when present", sign(claims("vec-att-string", notObject)),
                "CHAIN_MALFORMED");

        Map<String, Object> upper = level(PLANNER, ISSUER, null);
        upper.put("att", attClaim(ATTESTER, DIGEST_PLANNER.toUpperCase(java.util.Locale.ROOT).replace("SHA256",
                "sha256"), T - 300));
        invalid("att-digest-uppercase", "3.5.1", "An att digest in uppercase hex is a malformed chain",
                "dig MUST be sha256:, sha384: or sha512: followed by lowercase hex of the digest's length",
                sign(claims("vec-att-digest", upper)), "CHAIN_MALFORMED");

        Map<String, Object> noTime = level(PLANNER, ISSUER, null);
        Map<String, Object> timeless = attClaim(ATTESTER, DIGEST_PLANNER, T - 300);
        timeless.remove("iat");
        noTime.put("att", timeless);
        invalid("att-missing-iat", "3.5.1", "An att without iat is a malformed chain",
                "iat (the attestation time) is REQUIRED in att", sign(claims("vec-att-iat", noTime)),
                "CHAIN_MALFORMED");

        Map<String, Object> parentClaims = claims("vec-att-parent", DelegationChain.ofCurrentFirst(List.of(
                actor(RESEARCHER), Actor.attested(PLANNER, ISSUER, Attestation.of(ATTESTER, DIGEST_PLANNER,
                        Instant.ofEpochSecond(T - 300))))).toActClaim());
        parentClaims.put("iat", T - 120);
        parentClaims.put("exp", T + 480);
        Map<String, Object> rewritten = childClaims("vec-att-rewritten");
        rewritten.put("act", DelegationChain.ofCurrentFirst(List.of(actor(BROWSER), actor(RESEARCHER),
                Actor.attested(PLANNER, ISSUER, Attestation.of(ATTESTER, DIGEST_BROWSER,
                        Instant.ofEpochSecond(T - 300))))).toActClaim());
        Vector v = invalidVector("derived-att-rewritten", "3.5.1",
                "A derived token that rewrites an earlier actor's attestation does not extend its parent",
                "The parent's first actor was attested with one digest; the child names another digest for it",
                sign(rewritten), "CHAIN_NOT_EXTENDED");
        v.parent = new LinkedHashMap<>();
        v.parent.put("token", sign(parentClaims));
        v.parent.put("verification_time", T);
        vectors.add(v);
    }

    /** Human approvals in act levels (section 3.5.2, 6.13) and what a verifier refuses. */
    private void approval() {
        Approval apv = new Approval("auth-req-7Qx2", "https://idp.example#olivia", Instant.ofEpochSecond(T - 60));
        Map<String, Object> approved = claims("vec-approved-chain", DelegationChain.ofCurrentFirst(List.of(
                new Actor(BROWSER, ISSUER, null, apv), actor(RESEARCHER), actor(PLANNER))).toActClaim());
        approved.put("scope", "tickets:read");
        valid("approved-chain", "3.5.2", "An approved actor's level carries the approval",
                "A -> B -> C where a human approved agent-browser's request: its act level carries apv {id, approver,"
                        + " iat}; the others carry none", approved);

        Map<String, Object> notObject = level(PLANNER, ISSUER, null);
        notObject.put("apv", "approved");
        invalid("apv-not-object", "3.5.2", "An apv that is not an object is a malformed chain",
                "apv MUST be a JSON object when present", sign(claims("vec-apv-string", notObject)),
                "CHAIN_MALFORMED");

        Map<String, Object> noTime = level(PLANNER, ISSUER, null);
        Map<String, Object> timeless = new LinkedHashMap<>();
        timeless.put("id", "auth-req-7Qx2");
        timeless.put("approver", "https://idp.example#olivia");
        noTime.put("apv", timeless);
        invalid("apv-missing-iat", "3.5.2", "An apv without iat is a malformed chain",
                "id, approver and iat are REQUIRED in apv", sign(claims("vec-apv-iat", noTime)), "CHAIN_MALFORMED");

        Map<String, Object> parentClaims = claims("vec-apv-parent", DelegationChain.ofCurrentFirst(List.of(
                new Actor(RESEARCHER, ISSUER, null, apv), actor(PLANNER))).toActClaim());
        parentClaims.put("iat", T - 120);
        parentClaims.put("exp", T + 480);
        Map<String, Object> forged = childClaims("vec-apv-rewritten");
        forged.put("act", DelegationChain.ofCurrentFirst(List.of(actor(BROWSER),
                new Actor(RESEARCHER, ISSUER, null, new Approval("auth-req-other", "https://idp.example#mallory",
                        Instant.ofEpochSecond(T - 60))), actor(PLANNER))).toActClaim());
        Vector v = invalidVector("derived-apv-rewritten", "3.5.2",
                "A derived token that rewrites an earlier actor's approval does not extend its parent",
                "The parent's current actor was approved by one human; the child names another approval for it",
                sign(forged), "CHAIN_NOT_EXTENDED");
        v.parent = new LinkedHashMap<>();
        v.parent.put("token", sign(parentClaims));
        v.parent.put("verification_time", T);
        vectors.add(v);
    }

    private static Map<String, Object> attClaim(String attester, String digest, long iat) {
        Map<String, Object> att = new LinkedHashMap<>();
        att.put("iss", attester);
        att.put("dig", digest);
        att.put("iat", iat);
        return att;
    }

    private Map<String, Object> childClaims(String jti) {
        Map<String, Object> child = claims(jti, chain(actor(BROWSER), actor(RESEARCHER), actor(PLANNER)));
        child.put("scope", "tickets:read calendar:read");
        return child;
    }

    private void derived(String name, String title, String description, String parent,
                         Map<String, Object> child, String reason) {
        String token = sign(child);
        Vector v = reason == null
                ? validVector(name, "5.3", title, description, token, child)
                : invalidVector(name, "5.3", title, description, token, reason);
        v.parent = new LinkedHashMap<>();
        v.parent.put("token", parent);
        v.parent.put("verification_time", T);
        vectors.add(v);
    }

    // ---------------------------------------------------------------------------------------------
    // Building blocks.
    // ---------------------------------------------------------------------------------------------

    private static Actor actor(String agent) {
        return new Actor(agent, ISSUER);
    }

    private static Map<String, Object> chain(Actor... currentFirst) {
        return chain(Arrays.asList(currentFirst));
    }

    private static Map<String, Object> chain(List<Actor> currentFirst) {
        return DelegationChain.ofCurrentFirst(currentFirst).toActClaim();
    }

    private static List<Actor> actors(int depth) {
        List<Actor> list = new ArrayList<>();
        for (int i = depth; i >= 1; i--) {
            list.add(actor(String.format("agent-%02d", i)));
        }
        return list;
    }

    private static String sha256Hex(String text) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : hash) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> level(String sub, String iss, Map<String, Object> nested) {
        Map<String, Object> level = new LinkedHashMap<>();
        level.put("sub", sub);
        level.put("iss", iss);
        if (nested != null) {
            level.put("act", nested);
        }
        return level;
    }

    /** A valid payload with the given act; client_id is the current actor when act is a well-formed object. */
    private static Map<String, Object> claims(String jti, Object act) {
        Object clientId = act instanceof Map<?, ?> m && m.get("sub") instanceof String s ? s : PLANNER;
        return claims(jti, act, (String) clientId);
    }

    private static Map<String, Object> claims(String jti, Object act, String clientId) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("sub", PRINCIPAL);
        claims.put("aud", AUDIENCE);
        claims.put("exp", T + 240);
        claims.put("iat", T - 60);
        claims.put("jti", jti);
        claims.put("client_id", clientId);
        claims.put("scope", SCOPES);
        claims.put("act", act);
        return claims;
    }

    private static void insertAfter(Map<String, Object> map, String after, String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        map.clear();
        copy.forEach((k, v) -> {
            map.put(k, v);
            if (k.equals(after)) {
                map.put(key, value);
            }
        });
    }

    private JWSHeader header(VectorKeys.EcVectorKey key) {
        return new JWSHeader.Builder(JWSAlgorithm.ES256).type(AT_JWT).keyID(key.kid()).build();
    }

    private String sign(Map<String, Object> payload) {
        return sign(header(key1), new Payload(payload), key1.signer());
    }

    private static String sign(JWSHeader header, Payload payload, JWSSigner signer) {
        JWSObject jws = new JWSObject(header, payload);
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jws.serialize();
    }

    /** A valid token of exactly {@code length} bytes, padded with an extra claim. */
    private String tokenOfLength(int length, String jti) {
        // header and signature parts have a fixed length, so only the payload part needs measuring
        int fixedParts = sign(claims(jti, chain(actor(PLANNER)))).length()
                - new Payload(claims(jti, chain(actor(PLANNER)))).toBase64URL().toString().length();
        for (int nameExtra = 0; nameExtra < 4; nameExtra++) {
            for (int padding = 5000; padding < 7000; padding++) {
                Map<String, Object> payload = claims(jti, chain(actor(PLANNER)));
                payload.put("x_padding" + "x".repeat(nameExtra), "p".repeat(padding));
                int tokenLength = fixedParts + new Payload(payload).toBase64URL().toString().length();
                if (tokenLength == length) {
                    String token = sign(payload);
                    if (token.length() != length) {
                        throw new IllegalStateException("token length " + token.length() + " != " + length);
                    }
                    return token;
                }
                if (tokenLength > length) {
                    break;
                }
            }
        }
        throw new IllegalStateException("no padding gives a token of " + length + " bytes");
    }

    private static Map<String, Object> parsePayload(String token) {
        try {
            return new LinkedHashMap<>(JWSObject.parse(token).getPayload().toJSONObject());
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    private void valid(String name, String section, String title, String description, Map<String, Object> payload) {
        vectors.add(validVector(name, section, title, description, sign(payload), payload));
    }

    private void invalid(String name, String section, String title, String description, String token, String reason) {
        vectors.add(invalidVector(name, section, title, description, token, reason));
    }

    private Map<String, Object> jwks(JWK... keys) {
        List<Object> list = new ArrayList<>();
        for (JWK key : keys) {
            list.add(publicJwk(key));
        }
        Map<String, Object> jwks = new LinkedHashMap<>();
        jwks.put("keys", list);
        return jwks;
    }

    /** A public JWK with members in a fixed, readable order. Refuses private keys. */
    private static Map<String, Object> publicJwk(JWK key) {
        if (key.isPrivate()) {
            throw new IllegalArgumentException("private keys never go into vectors");
        }
        Map<String, Object> source = key.toJSONObject();
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String member : List.of("kty", "crv", "kid", "use", "alg", "x", "y", "n", "e")) {
            if (source.containsKey(member)) {
                ordered.put(member, source.get(member));
            }
        }
        if (!ordered.keySet().equals(source.keySet())) {
            throw new IllegalStateException("unexpected JWK members " + source.keySet());
        }
        return ordered;
    }

    private static Map<String, Object> verifierConfig(int maxChainDepth) {
        Map<String, Object> verifier = new LinkedHashMap<>();
        verifier.put("audience", AUDIENCE);
        verifier.put("max_chain_depth", maxChainDepth);
        verifier.put("clock_skew_seconds", 60);
        return verifier;
    }

    private Vector validVector(String name, String section, String title, String description, String token,
                               Map<String, Object> payload) {
        return new Vector(name, section, title, description, token, expectedValid(payload), jwks(key1.publicJwk()));
    }

    private Vector invalidVector(String name, String section, String title, String description, String token,
                                 String reason) {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("valid", false);
        expected.put("reason", reason);
        return new Vector(name, section, title, description, token, expected, jwks(key1.publicJwk()));
    }

    /** One vector; {@link #toJson()} fixes the member order of the file. */
    static final class Vector {
        final String name;
        final String section;
        final String title;
        final String description;
        final String token;
        final Map<String, Object> expected;
        Map<String, Object> jwks;
        Map<String, Object> verifier = verifierConfig(10);
        Map<String, Object> parent;

        private Vector(String name, String section, String title, String description, String token,
                       Map<String, Object> expected, Map<String, Object> jwks) {
            this.name = name;
            this.section = section;
            this.title = title + " (\u00a7" + section + ")";
            this.description = description;
            this.token = token;
            this.expected = expected;
            this.jwks = jwks;
        }

        boolean isValid() {
            return Boolean.TRUE.equals(expected.get("valid"));
        }

        String expectedOutcome() {
            return isValid() ? "valid" : (String) expected.get("reason");
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("title", title);
            json.put("section", section);
            json.put("description", description);
            json.put("token", token);
            json.put("issuer", ISSUER);
            json.put("jwks", jwks);
            json.put("verifier", verifier);
            json.put("verification_time", T);
            json.put("parent", parent);
            json.put("expected", expected);
            return json;
        }
    }

    private static Map<String, Object> expectedValid(Map<String, Object> payload) {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("valid", true);
        expected.put("principal", payload.get("sub"));
        expected.put("scopes", List.of(((String) payload.get("scope")).split(" ")));
        expected.put("client_id", payload.get("client_id"));
        List<Object> chain = new ArrayList<>();
        Object level = payload.get("act");
        while (level instanceof Map<?, ?> map) {
            Map<String, Object> actor = new LinkedHashMap<>();
            actor.put("sub", map.get("sub"));
            actor.put("iss", map.get("iss"));
            if (map.get("att") instanceof Map<?, ?> att) {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("iss", att.get("iss"));
                summary.put("dig", att.get("dig"));
                summary.put("iat", att.get("iat"));
                actor.put("att", summary);
            }
            if (map.get("apv") instanceof Map<?, ?> apv) {
                Map<String, Object> approval = new LinkedHashMap<>();
                approval.put("id", apv.get("id"));
                approval.put("approver", apv.get("approver"));
                approval.put("iat", apv.get("iat"));
                actor.put("apv", approval);
            }
            chain.add(actor);
            level = map.get("act");
        }
        expected.put("chain", chain);
        expected.put("claims", payload);
        return expected;
    }
}
