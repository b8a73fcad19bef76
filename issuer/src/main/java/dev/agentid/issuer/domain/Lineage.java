package dev.agentid.issuer.domain;

import com.nimbusds.jwt.JWTClaimsSet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A token's place in this issuer's lineage, signed into the token itself (spec/agent-token-profile.md section 7.2), so
 * that deciding whether it is alive needs no per-token record:
 * <ul>
 *   <li>{@code anc}: the {@code jti}s of its ancestors minted by this issuer, root first (absent for a root);</li>
 *   <li>{@code iat_ms}: when it was minted, in milliseconds (a kill compares against it; {@code iat} has whole
 *       seconds, too coarse to tell a token minted just before a kill from one minted just after a restore);</li>
 *   <li>{@code anc_status}: the status-list entries of its ancestors at partner organisations (identity chaining),
 *       each {@code {"iss", "uri", "idx"}}; absent when the whole lineage is this issuer's.</li>
 * </ul>
 *
 * @param jti the token's own {@code jti}
 * @param ancestors the ancestors' {@code jti}s, root first, excluding this token
 * @param mintedAt the mint time, millisecond precision
 * @param external partner status references in the {@code "<idx> <uri> <issuer>"} form
 */
public record Lineage(String jti, List<String> ancestors, Instant mintedAt, List<String> external) {

    public static final String ANC = "anc";
    public static final String IAT_MS = "iat_ms";
    public static final String ANC_STATUS = "anc_status";
    /** More ancestors than any depth limit allows: a token claiming more is malformed. */
    public static final int MAX_ANCESTORS = 64;
    /** Partner references a lineage may carry. */
    public static final int MAX_EXTERNAL = 16;
    private static final int MAX_JTI_LENGTH = 128;

    public Lineage {
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(mintedAt, "mintedAt");
        ancestors = List.copyOf(ancestors);
        external = List.copyOf(external);
    }

    /** The root of this token's lineage: its first ancestor, or itself. */
    public String root() {
        return ancestors.isEmpty() ? jti : ancestors.get(0);
    }

    /** Its ancestors and itself, root first: what a revocation of any of them kills, and a child's {@code anc}. */
    public List<String> selfAndAncestors() {
        List<String> all = new ArrayList<>(ancestors.size() + 1);
        all.addAll(ancestors);
        all.add(jti);
        return all;
    }

    /** The claims of a token minted at {@code mintedAt} as a child of {@code parent} (null: a root). */
    public static Map<String, Object> claimsFor(Lineage parent, Instant mintedAt, List<String> external) {
        Map<String, Object> claims = new LinkedHashMap<>();
        if (parent != null) {
            claims.put(ANC, parent.selfAndAncestors());
        }
        claims.put(IAT_MS, mintedAt.toEpochMilli());
        if (!external.isEmpty()) {
            List<Map<String, Object>> refs = new ArrayList<>(external.size());
            for (String encoded : external) {
                String[] parts = encoded.split(" ", 3);
                Map<String, Object> ref = new LinkedHashMap<>();
                ref.put("iss", parts[2]);
                ref.put("uri", parts[1]);
                ref.put("idx", Long.parseLong(parts[0]));
                refs.add(ref);
            }
            claims.put(ANC_STATUS, refs);
        }
        return claims;
    }

    /**
     * Reads the lineage of a token this issuer signed (its signature already verified).
     *
     * @throws IllegalArgumentException if {@code iat_ms} is missing or disagrees with {@code iat}, or {@code anc} or
     *     {@code anc_status} is not of the profile's shape
     */
    public static Lineage of(JWTClaimsSet claims) {
        String jti = claims.getJWTID();
        if (jti == null) {
            throw new IllegalArgumentException("no jti");
        }
        Object ms = claims.getClaim(IAT_MS);
        if (!(ms instanceof Long || ms instanceof Integer)) {
            throw new IllegalArgumentException("iat_ms is not an integer");
        }
        long mintedMs = ((Number) ms).longValue();
        if (claims.getIssueTime() == null || Math.floorDiv(mintedMs, 1000) != claims.getIssueTime().getTime() / 1000) {
            throw new IllegalArgumentException("iat_ms does not fall within iat");
        }
        return new Lineage(jti, ancestors(claims.getClaim(ANC), jti), Instant.ofEpochMilli(mintedMs),
                external(claims.getClaim(ANC_STATUS)));
    }

    private static List<String> ancestors(Object value, String jti) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List) || ((List<?>) value).isEmpty() || ((List<?>) value).size() > MAX_ANCESTORS) {
            throw new IllegalArgumentException("anc is not a non-empty array of at most " + MAX_ANCESTORS + " jtis");
        }
        List<String> ancestors = new ArrayList<>(((List<?>) value).size());
        Set<String> seen = new HashSet<>();
        for (Object item : (List<?>) value) {
            if (!(item instanceof String) || ((String) item).isEmpty() || ((String) item).length() > MAX_JTI_LENGTH
                    || item.equals(jti) || !seen.add((String) item)) {
                throw new IllegalArgumentException("anc holds a value that is not a distinct ancestor jti");
            }
            ancestors.add((String) item);
        }
        return ancestors;
    }

    private static List<String> external(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List) || ((List<?>) value).isEmpty() || ((List<?>) value).size() > MAX_EXTERNAL) {
            throw new IllegalArgumentException("anc_status is not a non-empty array of at most " + MAX_EXTERNAL);
        }
        List<String> refs = new ArrayList<>(((List<?>) value).size());
        for (Object item : (List<?>) value) {
            if (!(item instanceof Map)) {
                throw new IllegalArgumentException("anc_status holds a value that is not an object");
            }
            Map<?, ?> ref = (Map<?, ?>) item;
            Object iss = ref.get("iss");
            Object uri = ref.get("uri");
            Object idx = ref.get("idx");
            if (!(iss instanceof String) || !(uri instanceof String) || !(idx instanceof Long || idx instanceof Integer)
                    || ((Number) idx).longValue() < 0 || ((Number) idx).longValue() > Integer.MAX_VALUE
                    || ((String) iss).isEmpty() || ((String) iss).contains(" ") || ((String) uri).contains(" ")
                    || !((String) uri).startsWith((String) iss)) {
                throw new IllegalArgumentException("anc_status holds a malformed status reference");
            }
            refs.add(((Number) idx).longValue() + " " + uri + " " + iss);
        }
        return refs;
    }
}
