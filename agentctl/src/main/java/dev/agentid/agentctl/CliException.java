package dev.agentid.agentctl;

/**
 * A failure that ends the command with one of the documented exit codes ({@link Agentctl#REFUSED}, ...) and a message
 * for stderr. No stack trace: the message says what happened, and never holds the admin token.
 */
final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
