package dev.agentid.verifier;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The attestation summary of one actor (the {@code att} member of its {@code act} level): which trusted
 * attester vouched for the workload that acted, the measurement digest it attested, and when.
 *
 * <pre>
 * "att": {"iss": "https://attester.example", "dig": "sha256:9f86d0...", "iat": 1767225500}
 * </pre>
 *
 * <p>It records what the issuer verified when the actor authenticated (an OAuth client attestation,
 * draft-ietf-oauth-attestation-based-client-auth); it is not part of the actor's identity.
 *
 * @param attester the attester's identifier (the client attestation's {@code iss})
 * @param digest the attested measurement, {@code <algorithm>:<lowercase hex>} with algorithm
 *     {@code sha256}, {@code sha384} or {@code sha512} and the matching number of hex digits
 * @param attestedAt the attestation time (the client attestation's {@code iat}), whole seconds
 */
public record Attestation(String attester, String digest, Instant attestedAt) {

    /** {@code sha256:} + 64, {@code sha384:} + 96 or {@code sha512:} + 128 lowercase hex digits. */
    public static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128}");

    /** Largest attestation time: 9999-12-31T23:59:59Z. */
    static final long MAX_EPOCH_SECOND = 253402300799L;

    /**
     * @throws IllegalArgumentException if the attester is empty, the digest is not of the {@link #DIGEST}
     *     form, or the time is negative, beyond year 9999 or not a whole second
     */
    public Attestation {
        Objects.requireNonNull(attester, "attester");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(attestedAt, "attestedAt");
        if (attester.isEmpty()) {
            throw new IllegalArgumentException("attester must not be empty");
        }
        if (!DIGEST.matcher(digest).matches()) {
            throw new IllegalArgumentException("digest must be sha256:, sha384: or sha512: and lowercase hex");
        }
        if (attestedAt.getNano() != 0 || attestedAt.getEpochSecond() < 0
                || attestedAt.getEpochSecond() > MAX_EPOCH_SECOND) {
            throw new IllegalArgumentException("attestedAt must be a whole second between 1970 and 9999");
        }
    }

    public static Attestation of(String attester, String digest, Instant attestedAt) {
        return new Attestation(attester, digest, attestedAt);
    }
}
