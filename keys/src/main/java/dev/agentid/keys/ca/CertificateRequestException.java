package dev.agentid.keys.ca;

/**
 * The agent CA refuses a certificate signing request: its signature does not verify (no proof of
 * possession), its key is too weak or of an unsupported type, or it names another agent. The message
 * is meant for the operator or the agent and never contains key material.
 */
public final class CertificateRequestException extends RuntimeException {

    public CertificateRequestException(String message) {
        super(message);
    }

    public CertificateRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
