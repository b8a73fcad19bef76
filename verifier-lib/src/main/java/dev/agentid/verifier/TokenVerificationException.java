package dev.agentid.verifier;

import java.util.Objects;

/**
 * The one failure type of verifier-lib. {@link #reason()} is a stable code; the message is meant for
 * logs and may change. No stack trace is captured: failures are an expected outcome, not a bug.
 */
public final class TokenVerificationException extends Exception {

    private final Reason reason;
    private final int hop;

    public TokenVerificationException(Reason reason, String message) {
        this(reason, message, null);
    }

    public TokenVerificationException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, 0);
    }

    /**
     * A failure of the chain evidence at one hop.
     *
     * @param hop the organisation boundary that failed, 1 for the oldest (see {@link ChainEvidence})
     */
    public TokenVerificationException(Reason reason, String message, Throwable cause, int hop) {
        super(message, cause, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.hop = hop;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * For a {@code CHAIN_EVIDENCE_*} reason, the first hop whose evidence failed: 1 for the oldest organisation
     * boundary of the chain; 0 otherwise.
     */
    public int hop() {
        return hop;
    }

    @Override
    public String toString() {
        return "TokenVerificationException[" + reason + "]: " + getMessage();
    }
}
