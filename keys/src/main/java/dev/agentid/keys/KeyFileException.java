package dev.agentid.keys;

/**
 * The key file is missing, unreadable, too widely readable or corrupt. The message is meant for an
 * operator and never contains key material.
 */
public final class KeyFileException extends RuntimeException {

    public KeyFileException(String message) {
        super(message);
    }

    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
