package dev.agentid.issuer.domain;

import java.util.Objects;

/**
 * The one error family of the issuer: an OAuth error code, its HTTP status, a public
 * {@code error_description}, and a private detail that is only logged. Mapped to the RFC 6749 §5.2
 * JSON body in exactly one place ({@link dev.agentid.issuer.http.Responses}). No stack trace is
 * captured: a refusal is an outcome, not a bug.
 */
public final class OAuthException extends RuntimeException {

    private final String error;
    private final int status;
    private final String description;
    private final String detail;
    private final String field;
    private final String row;
    private final String client;

    public OAuthException(String error, int status, String description, String detail) {
        this(error, status, description, detail, null, null, null);
    }

    private OAuthException(String error, int status, String description, String detail, String field, String row,
                           String client) {
        super(error + ": " + description, null, false, false);
        this.field = field;
        this.row = row;
        this.client = client;
        this.error = Objects.requireNonNull(error);
        this.status = status;
        this.description = Objects.requireNonNull(description);
        this.detail = detail;
    }

    public static OAuthException invalidRequest(String description) {
        return new OAuthException("invalid_request", 400, description, null);
    }

    /** A 400 invalid_request that names the offending field of a JSON body (admin API). */
    public static OAuthException badField(String field, String description) {
        return new OAuthException("invalid_request", 400, description, null, field, null, null);
    }

    /**
     * A client-authentication refusal: {@code invalid_client}, 401, its refusal-table row and the client it names
     * (the {@code client_id}, as presented: not proof that such an agent exists), both for the log line only.
     */
    public static OAuthException invalidClient(String row, String client, String description, String detail) {
        return new OAuthException("invalid_client", 401, description, detail, null, row, client);
    }

    public static OAuthException invalidClient(String description) {
        return new OAuthException("invalid_client", 401, description, null);
    }

    public static OAuthException invalidClient(String description, String detail) {
        return new OAuthException("invalid_client", 401, description, detail);
    }

    public static OAuthException invalidScope(String description) {
        return new OAuthException("invalid_scope", 400, description, null);
    }

    public static OAuthException invalidTarget(String description) {
        return new OAuthException("invalid_target", 400, description, null);
    }

    public static OAuthException unsupportedGrantType(String description) {
        return new OAuthException("unsupported_grant_type", 400, description, null);
    }

    public static OAuthException unauthorizedClient(String description) {
        return new OAuthException("unauthorized_client", 400, description, null);
    }

    public static OAuthException notFound(String description) {
        return new OAuthException("not_found", 404, description, null);
    }

    public String error() {
        return error;
    }

    public int status() {
        return status;
    }

    public String description() {
        return description;
    }

    /** The JSON field at fault, for admin API errors; null otherwise. */
    public String field() {
        return field;
    }

    /** The refusal-table row (T09, T15, ...), for the log; null when not recorded. */
    public String row() {
        return row;
    }

    /** The client id the refused request named, for the log; null when not recorded. */
    public String client() {
        return client;
    }

    /** Private detail for the log; never sent to the client. May be null. */
    public String detail() {
        return detail;
    }
}
