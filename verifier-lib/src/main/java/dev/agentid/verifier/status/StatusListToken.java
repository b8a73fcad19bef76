package dev.agentid.verifier.status;

import com.nimbusds.jose.JWSObject;
import dev.agentid.verifier.Jose;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A validated status list token (draft-ietf-oauth-status-list, "Validation Rules"): {@code typ statuslist+jwt}, a
 * signature by the list's issuer, {@code sub} the referenced uri, {@code iss} (if present) the issuer, an {@code iat}
 * not in the future, an unexpired {@code exp} (if present), a positive {@code ttl} (if present), and a
 * {@code status_list} of 1, 2, 4 or 8 bits decompressed within a size bound. The one validation of such a token, for
 * verifiers ({@link StatusListCheck}) and for issuers reading their partners' lists. Every failure is
 * {@link Reason#KEY_SOURCE_UNAVAILABLE}: the list cannot be used, which says nothing about the token it serves.
 *
 * @param list      the decoded statuses
 * @param issuedAt  the list token's {@code iat}
 * @param expiresAt its {@code exp}, or null if it has none
 * @param ttl       its {@code ttl}, or null if it has none
 */
public record StatusListToken(StatusList list, Instant issuedAt, Instant expiresAt, Duration ttl) {

    public static final String MEDIA_TYPE = "application/statuslist+jwt";
    public static final String TYP = "statuslist+jwt";

    /**
     * Validates the compact list token {@code body} fetched from {@code uri} for {@code issuer}.
     *
     * @param signatures   verifies the signature with the keys of {@code issuer}
     * @param now          the current time
     * @param clockSkew    tolerance for {@code iat} and {@code exp}
     * @param maxListBytes the bound on the decompressed list
     */
    public static StatusListToken validate(String body, String uri, String issuer,
                                           StatusListCheck.SignatureVerifier signatures, Instant now,
                                           Duration clockSkew, int maxListBytes) throws TokenVerificationException {
        JWSObject jws;
        try {
            jws = JWSObject.parse(body);
        } catch (ParseException e) {
            throw unusable(uri, "is not a compact JWS");
        }
        if (jws.getHeader().getType() == null || !TYP.equals(jws.getHeader().getType().getType())) {
            throw unusable(uri, "has typ " + jws.getHeader().getType() + ", not " + TYP);
        }
        try {
            signatures.verify(issuer, jws);
        } catch (TokenVerificationException e) {
            throw unusable(uri, "does not verify with the issuer's keys (" + e.reason() + ")");
        }
        Map<String, Object> claims = jws.getPayload().toJSONObject();
        if (claims == null) {
            throw unusable(uri, "has no JSON claims");
        }
        if (!uri.equals(claims.get("sub"))) {
            throw unusable(uri, "has sub " + claims.get("sub") + ", not the referenced uri");
        }
        if (claims.containsKey("iss") && !issuer.equals(claims.get("iss"))) {
            throw unusable(uri, "was issued by " + claims.get("iss"));
        }
        Instant iat = seconds(claims.get("iat"));
        if (iat == null || Jose.inFuture(iat, now, clockSkew)) {
            throw unusable(uri, "has no iat or an iat in the future");
        }
        Instant exp = claims.containsKey("exp") ? seconds(claims.get("exp")) : null;
        if (claims.containsKey("exp") && (exp == null || Jose.expired(exp, now, clockSkew))) {
            throw unusable(uri, "has expired");
        }
        Duration ttl = null;
        if (claims.containsKey("ttl")) {
            Object value = claims.get("ttl");
            if (!(value instanceof Number) || ((Number) value).doubleValue() <= 0) {
                throw unusable(uri, "has a ttl that is not a positive number");
            }
            ttl = Duration.ofMillis((long) Math.min(((Number) value).doubleValue() * 1000, Long.MAX_VALUE / 2));
        }
        return new StatusListToken(statuses(claims.get("status_list"), uri, maxListBytes), iat, exp, ttl);
    }

    /** How long the list may be cached: its ttl (or {@code otherwise}), at most {@code max}, never past its exp. */
    public Instant cacheUntil(Instant now, Duration otherwise, Duration max) {
        Duration cacheFor = ttl != null ? ttl : otherwise;
        Instant until = now.plus(cacheFor.compareTo(max) > 0 ? max : cacheFor);
        return expiresAt != null && expiresAt.isBefore(until) ? expiresAt : until;
    }

    private static StatusList statuses(Object statusList, String uri, int maxListBytes)
            throws TokenVerificationException {
        if (!(statusList instanceof Map)) {
            throw unusable(uri, "has no status_list object");
        }
        Object bits = ((Map<?, ?>) statusList).get("bits");
        Object lst = ((Map<?, ?>) statusList).get("lst");
        if (!(bits instanceof Number) || !(lst instanceof String)) {
            throw unusable(uri, "has no integer bits and string lst");
        }
        int b = ((Number) bits).intValue();
        if (b != ((Number) bits).doubleValue() || (b != 1 && b != 2 && b != 4 && b != 8)) {
            throw unusable(uri, "has bits " + bits + ", not 1, 2, 4 or 8");
        }
        try {
            return StatusList.decode((String) lst, b, maxListBytes);
        } catch (IllegalArgumentException e) {
            throw unusable(uri, "has an unusable lst: " + e.getMessage());
        }
    }

    private static Instant seconds(Object value) {
        if (!(value instanceof Number)) {
            return null;
        }
        double s = ((Number) value).doubleValue();
        return s < 0 || s > 253402300799d ? null : Instant.ofEpochMilli((long) (s * 1000));
    }

    private static TokenVerificationException unusable(String uri, String why) {
        return new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE, "the status list " + uri + " " + why);
    }
}
