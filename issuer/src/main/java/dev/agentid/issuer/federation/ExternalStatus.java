package dev.agentid.issuer.federation;

import java.util.Map;
import java.util.Objects;

/**
 * A partner-issued ancestor's place in its issuer's status lists, as this issuer records it in the lineage of the
 * tokens that descend from it (the {@code anc_status} claim; in memory as {@code "<idx> <uri> <issuer>"}).
 *
 * @param issuer the partner that issued the ancestor (the grant)
 * @param uri the status list's URI, under the partner's issuer identifier
 * @param idx the ancestor's index in that list
 */
public record ExternalStatus(String issuer, String uri, int idx) {

    public ExternalStatus {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(uri, "uri");
        if (idx < 0) {
            throw new IllegalArgumentException("idx must not be negative");
        }
        if (issuer.contains(" ") || uri.contains(" ")) {
            throw new IllegalArgumentException("issuer and uri must not contain spaces");
        }
    }

    /** The stored form. */
    public String encode() {
        return idx + " " + uri + " " + issuer;
    }

    /** @throws IllegalArgumentException if {@code value} is not the stored form */
    public static ExternalStatus decode(String value) {
        String[] parts = value.split(" ", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not an external status reference");
        }
        return new ExternalStatus(parts[2], parts[1], Integer.parseInt(parts[0]));
    }

    /**
     * The {@code status} claim of a grant from {@code issuer}: {@code {"status_list": {"idx": n, "uri": "..."}}}
     * with the uri under the partner's {@code status_list_prefix} (no query) and idx below 2^31.
     *
     * @throws IllegalArgumentException if the claim is absent or malformed
     */
    public static ExternalStatus fromClaim(Partner partner, Object status) {
        String issuer = partner.issuer();
        if (!(status instanceof Map) || !(((Map<?, ?>) status).get("status_list") instanceof Map)) {
            throw new IllegalArgumentException("no status.status_list");
        }
        Map<?, ?> ref = (Map<?, ?>) ((Map<?, ?>) status).get("status_list");
        Object idx = ref.get("idx");
        Object uri = ref.get("uri");
        if (!(idx instanceof Number) || !(uri instanceof String)) {
            throw new IllegalArgumentException("status_list needs an integer idx and a string uri");
        }
        double n = ((Number) idx).doubleValue();
        if (n < 0 || n != Math.rint(n) || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("status_list.idx is not a non-negative integer");
        }
        String u = (String) uri;
        if (!partner.statusListAllowed(u)) {
            throw new IllegalArgumentException("status_list.uri is not under the partner's status_list_prefix");
        }
        return new ExternalStatus(issuer, u, (int) n);
    }
}
