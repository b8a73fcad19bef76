package dev.agentid.issuer.store;

/**
 * The state cannot be read or written right now and the answer cannot be trusted without it: this node is on the
 * minority side of a cluster partition (Infinispan's {@code AvailabilityException}), or the cluster did not acknowledge
 * a write in time. The HTTP layer answers 503 {@code temporarily_unavailable} with {@code Retry-After}. Retrying, on
 * this node later or on another node, is safe.
 */
public final class StoreUnavailableException extends RuntimeException {

    /** The public description for a node that cannot reach a majority of the cluster. */
    public static final String NO_MAJORITY = "this node cannot reach a majority of the cluster";
    /** The public description for a write the cluster did not acknowledge in time. */
    public static final String NOT_ACKNOWLEDGED = "the cluster did not acknowledge the write in time";

    /** The public description while a restarted cluster waits for members of its last topology to return. */
    public static final String RESTARTING = "the cluster is restarting and waits for its other members";

    /** The public description while the cluster reconciles its two sides after a partition healed. */
    public static final String MERGING = "the cluster is reconciling after a partition";

    private final String description;

    StoreUnavailableException(String description, Throwable cause) {
        super(description, cause, false, false);
        this.description = description;
    }

    /** Safe to show to a client. */
    public String description() {
        return description;
    }
}
