package dev.agentid.verifier;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Chain evidence (profile section 6.12): every level of {@code act} that names issuer X is backed by a signature of X.
 *
 * <p>A chain, current actor first, is cut into <i>segments</i> of consecutive levels with the same {@code iss}. Where
 * the issuer changes from X (older) to Y (newer) the chain crossed an organisation boundary, a <i>hop</i>: X signed a
 * chain grant for Y. For each hop X signed a <i>receipt</i>, a compact JWS with {@code typ} {@value #RECEIPT_TYPE}
 * whose payload is
 * <pre>{"iss": X, "aud": Y, "iat": ..., "jti": &lt;the grant's jti&gt;,
 *  "chn": BASE64URL(SHA-256(canonical JSON {"act": &lt;the levels up to X's newest&gt;, "sub": &lt;principal&gt;})),
 *  "prv": BASE64URL(SHA-256(&lt;the previous receipt, ASCII&gt;))   (absent for the first hop)}</pre>
 * Tokens and grants carry the receipts, oldest hop first, in the claim {@value #CLAIM}. The levels of the newest
 * segment are vouched for by the signature of the token (or grant) itself.
 *
 * <p>The canonical JSON is RFC 8785 (JCS) for the values at hand: members sorted by name, no whitespace, strings
 * with the JCS escapes, integers in decimal; each level holds only {@code sub}, {@code iss}, {@code att}
 * ({@code iss}, {@code dig}, {@code iat}) and the nested {@code act}, so unknown members are never hashed.
 *
 * <p>Stateless and thread-safe.
 */
public final class ChainEvidence {

    /** The claim holding the receipts, oldest hop first. */
    public static final String CLAIM = "act_ev";
    public static final String RECEIPT_TYPE = "chain-receipt+jwt";
    public static final JOSEObjectType RECEIPT_JOSE_TYPE = new JOSEObjectType(RECEIPT_TYPE);
    /** Receipt member: the hash of the principal and the levels the receipt covers. */
    public static final String CHAIN_HASH = "chn";
    /** Receipt member: the hash of the previous receipt. */
    public static final String PREVIOUS = "prv";
    /** The most receipts a claim may hold (a chain of 10 levels has at most 9 hops, a grant one more). */
    public static final int MAX_RECEIPTS = 10;
    /** The longest receipt accepted, in characters. */
    public static final int MAX_RECEIPT_LENGTH = 2048;

    /**
     * One organisation boundary of a chain.
     *
     * @param number 1 for the oldest hop
     * @param from the issuer that signed the grant (and the receipt)
     * @param to the issuer that redeemed it
     * @param covered the levels up to {@code from}'s newest one, current first
     */
    public record Hop(int number, String from, String to, DelegationChain covered) {
    }

    /** Checks a receipt's signature with the keys of {@code issuer}; fails with the verifier's own reasons. */
    @FunctionalInterface
    public interface SignatureCheck {
        void verify(String issuer, JWSObject receipt) throws TokenVerificationException;
    }

    private ChainEvidence() {
    }

    /**
     * The hops of a chain, oldest first; with {@code nextIssuer} not null and not the current actor's issuer, one more
     * hop from the current actor's issuer to {@code nextIssuer} covering the whole chain (a grant about to be
     * redeemed there).
     */
    public static List<Hop> hops(DelegationChain chain, String nextIssuer) {
        List<Actor> actors = chain.actors();
        List<Hop> hops = new ArrayList<>();
        for (int i = actors.size() - 2; i >= 0; i--) {
            String older = actors.get(i + 1).issuer();
            if (!older.equals(actors.get(i).issuer())) {
                hops.add(new Hop(hops.size() + 1, older, actors.get(i).issuer(),
                        DelegationChain.ofCurrentFirst(actors.subList(i + 1, actors.size()))));
            }
        }
        if (nextIssuer != null && !nextIssuer.equals(chain.current().issuer())) {
            hops.add(new Hop(hops.size() + 1, chain.current().issuer(), nextIssuer, chain));
        }
        return hops;
    }

    /** {@code chn}: BASE64URL(SHA-256(JCS({"act": covered, "sub": subject}))). */
    public static String chainHash(String subject, DelegationChain covered) {
        return sha256(canonicalInput(subject, covered).getBytes(StandardCharsets.UTF_8));
    }

    /** The canonical JSON that {@link #chainHash} hashes; for vectors and debugging. */
    public static String canonicalInput(String subject, DelegationChain covered) {
        Map<String, Object> root = new TreeMap<>();
        root.put(DelegationChain.ACT, covered.toActClaim());
        root.put(DelegationChain.SUB, subject);
        StringBuilder json = new StringBuilder(256);
        canonical(root, json);
        return json.toString();
    }

    /** {@code prv}: BASE64URL(SHA-256(the receipt's compact serialization)). */
    public static String receiptHash(String receipt) {
        return sha256(receipt.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The payload of the receipt that {@code from} signs when it grants {@code covered} to {@code to}.
     *
     * @param previous the newest receipt already in the chain's evidence, or null
     */
    public static JWTClaimsSet receiptClaims(String from, String to, String jti, Instant issuedAt, String subject,
                                             DelegationChain covered, String previous) {
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .issuer(from)
                .audience(to)
                .issueTime(Date.from(issuedAt))
                .jwtID(jti)
                .claim(CHAIN_HASH, chainHash(subject, covered));
        if (previous != null) {
            builder.claim(PREVIOUS, receiptHash(previous));
        }
        return builder.build();
    }

    /**
     * The receipts of an {@value #CLAIM} claim value as a JSON parser produced it: absent is none.
     *
     * @throws TokenVerificationException CHAIN_EVIDENCE_MISSING unless an array of at most {@link #MAX_RECEIPTS}
     *     non-empty strings
     */
    public static List<String> fromClaim(Object value) throws TokenVerificationException {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list) || list.size() > MAX_RECEIPTS) {
            throw new TokenVerificationException(Reason.CHAIN_EVIDENCE_MISSING,
                    "the " + CLAIM + " claim is not an array of at most " + MAX_RECEIPTS + " receipts");
        }
        List<String> receipts = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s) || s.isEmpty() || s.length() > MAX_RECEIPT_LENGTH) {
                throw new TokenVerificationException(Reason.CHAIN_EVIDENCE_MISSING,
                        "the " + CLAIM + " claim holds an entry that is not a receipt");
            }
            receipts.add(s);
        }
        return List.copyOf(receipts);
    }

    /**
     * Checks the evidence of a chain hop by hop, oldest first, and fails at the first hop that does not verify.
     *
     * @param subject the principal ({@code sub}) of the token or grant
     * @param chain its chain
     * @param nextIssuer for a grant, the issuer redeeming it (one more hop); null for a token
     * @param evidence the receipts, oldest hop first
     * @param signatures checks a receipt's signature with the keys of the hop's older issuer
     * @throws TokenVerificationException a {@code CHAIN_EVIDENCE_*} reason (or KEY_SOURCE_UNAVAILABLE) with
     *     {@link TokenVerificationException#hop()} the failing hop
     */
    public static void verify(String subject, DelegationChain chain, String nextIssuer, List<String> evidence,
                              SignatureCheck signatures) throws TokenVerificationException {
        List<Hop> hops = hops(chain, nextIssuer);
        for (Hop hop : hops) {
            int k = hop.number() - 1;
            if (k >= evidence.size()) {
                throw failure(Reason.CHAIN_EVIDENCE_MISSING, hop, "no receipt", null);
            }
            String receipt = evidence.get(k);
            Map<String, Object> claims = verifiedPayload(receipt, hop, signatures);
            if (!hop.from().equals(claims.get("iss")) || !hop.to().equals(claims.get("aud"))) {
                throw failure(Reason.CHAIN_EVIDENCE_MISMATCH, hop, "the receipt is not from " + hop.from() + " to "
                        + hop.to(), null);
            }
            if (!chainHash(subject, hop.covered()).equals(claims.get(CHAIN_HASH))) {
                throw failure(Reason.CHAIN_EVIDENCE_MISMATCH, hop, "the subject or the levels up to "
                        + hop.from() + " are not those its issuer signed", null);
            }
            Object previous = claims.get(PREVIOUS);
            if (k == 0 ? previous != null : !receiptHash(evidence.get(k - 1)).equals(previous)) {
                throw failure(Reason.CHAIN_EVIDENCE_MISMATCH, hop, "prv is not the hash of the previous receipt",
                        null);
            }
        }
        if (evidence.size() > hops.size()) {
            throw new TokenVerificationException(Reason.CHAIN_EVIDENCE_MISMATCH, "hop " + (hops.size() + 1)
                    + ": there are more receipts than organisation boundaries", null, hops.size() + 1);
        }
    }

    private static Map<String, Object> verifiedPayload(String receipt, Hop hop, SignatureCheck signatures)
            throws TokenVerificationException {
        Base64URL[] parts = CompactJws.split(receipt, false);
        if (parts == null) {
            throw failure(Reason.CHAIN_EVIDENCE_BAD_SIGNATURE, hop, "the receipt is not a compact JWS", null);
        }
        JWSObject jws;
        try {
            jws = new JWSObject(parts[0], new Payload(parts[1]), parts[2]);
        } catch (ParseException e) {
            throw failure(Reason.CHAIN_EVIDENCE_BAD_SIGNATURE, hop, "the receipt is not a JWS", e);
        }
        JOSEObjectType typ = jws.getHeader().getType();
        if (typ == null || !RECEIPT_TYPE.equals(typ.getType())) {
            throw failure(Reason.CHAIN_EVIDENCE_BAD_SIGNATURE, hop, "the receipt's typ is not " + RECEIPT_TYPE, null);
        }
        try {
            signatures.verify(hop.from(), jws);
        } catch (TokenVerificationException e) {
            Reason reason = switch (e.reason()) {
                case UNTRUSTED_ISSUER -> Reason.CHAIN_EVIDENCE_UNTRUSTED;
                case KEY_SOURCE_UNAVAILABLE -> Reason.KEY_SOURCE_UNAVAILABLE;
                default -> Reason.CHAIN_EVIDENCE_BAD_SIGNATURE;
            };
            throw failure(reason, hop, e.getMessage(), e);
        }
        try {
            return JSONObjectUtils.parse(jws.getPayload().toString());
        } catch (ParseException e) {
            throw failure(Reason.CHAIN_EVIDENCE_MISMATCH, hop, "the receipt's payload is not a JSON object", e);
        }
    }

    private static TokenVerificationException failure(Reason reason, Hop hop, String what, Throwable cause) {
        return new TokenVerificationException(reason, "hop " + hop.number() + " (" + hop.from() + " -> " + hop.to()
                + "): " + what, cause, hop.number());
    }

    private static String sha256(byte[] bytes) {
        try {
            return Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(bytes)).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 8785 for maps, strings and integers (the only values of an act claim). */
    private static void canonical(Object value, StringBuilder out) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put((String) k, v));
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                string(e.getKey(), out);
                out.append(':');
                canonical(e.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof String s) {
            string(s, out);
        } else if (value instanceof Long || value instanceof Integer) {
            out.append(((Number) value).longValue());
        } else {
            throw new IllegalArgumentException("not a value of an act claim: " + value);
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
