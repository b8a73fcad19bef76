package dev.agentid.verifier;

import java.util.Objects;

/**
 * The one failure type of verifier-lib. {@link #reason()} is a stable code; the message is meant for
 * logs and may change. No stack trace is captured: failures are an expected outcome, not a bug.
 */
public final class TokenVerificationException extends Exception {

    private final Reason reason;

    public TokenVerificationException(Reason reason, String message) {
        this(reason, message, null);
    }

    public TokenVerificationException(Reason reason, String message, Throwable cause) {
        super(message, cause, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public String toString() {
        return "TokenVerificationException[" + reason + "]: " + getMessage();
    }
}
