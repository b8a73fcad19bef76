package dev.agentid.issuer.http;

import dev.agentid.issuer.OAuthException;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.http.HttpServerOptions;

/**
 * The limits on a request body, and the refusals when Vert.x's body handling (BodyHandler and the Netty form decoder
 * behind it) rejects one. Every such rejection is the client's fault and is answered as such, never as a server
 * error and never with a stack trace in the log:
 *
 * <ul>
 *   <li>T03: more than {@link Routes#MAX_BODY_BYTES} bytes, with a Content-Length or chunked: 413;</li>
 *   <li>T14: more than {@link #MAX_FORM_FIELDS} form fields: 400;</li>
 *   <li>T13: anything else the form decoder cannot read: 400.</li>
 * </ul>
 *
 * The issuer reads its forms from the raw body (the Nimbus SDK parses them); the decoder's own limits are set so that
 * only the body size and the field count can trip it: a single field may be as long as the whole body, however the
 * body arrives (the decoder's default buffer of 1024 bytes refused a long token sent in small chunks).
 */
public final class BodyLimits {

    /** More form fields than any request of this issuer has (at most a dozen), and Vert.x's default. */
    public static final int MAX_FORM_FIELDS = 256;
    static final String TOO_MANY_FIELDS = "the request has more than " + MAX_FORM_FIELDS + " form parameters";
    static final String TOO_LARGE = "request body exceeds " + Routes.MAX_BODY_BYTES + " bytes";

    private BodyLimits() {
    }

    /**
     * T14, counted on the raw body: the form decoder's own count is a backstop whose exact threshold is its
     * business, this one is the table's.
     */
    static void requireFieldCount(String body) {
        int fields = 1;
        for (int i = body.indexOf('&'); i >= 0; i = body.indexOf('&', i + 1)) {
            if (++fields > MAX_FORM_FIELDS) {
                throw OAuthException.invalidRequest(TOO_MANY_FIELDS);
            }
        }
    }

    /** The form decoder's limits on the HTTP server. */
    public static HttpServerOptions apply(HttpServerOptions options) {
        return options.setMaxFormAttributeSize(Routes.MAX_BODY_BYTES)
                .setMaxFormBufferedBytes(Routes.MAX_BODY_BYTES)
                .setMaxFormFields(MAX_FORM_FIELDS);
    }

    /**
     * The refusal for a route that failed with a client-error {@code status} (as the body handler sets it), or null
     * when the status is not a client error.
     */
    static OAuthException refusal(int status, Throwable cause) {
        if (status == 413) {
            return new OAuthException("invalid_request", 413, TOO_LARGE, null);
        }
        if (status < 400 || status > 499) {
            return null;
        }
        if (cause instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
            return OAuthException.invalidRequest(TOO_MANY_FIELDS);
        }
        if (cause instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
            return new OAuthException("invalid_request", 413, TOO_LARGE, null);
        }
        if (status == 400 && cause != null) {
            return new OAuthException("invalid_request", 400, FormEncoding.MALFORMED, cause.toString());
        }
        return null;
    }
}
