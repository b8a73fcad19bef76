package dev.agentid.issuer.http;

import dev.agentid.issuer.domain.OAuthException;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

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
 * The issuer reads its forms from the raw body: the OAuth endpoints through {@link FormBody}, which engages no form
 * decoder at all (their forms are decoded once, by {@link Forms}); the admin API through BodyHandler, whose form
 * decoder a form Content-Type still engages. That decoder's own limits are set so that only the body size and the
 * field count can trip it: a single field may be as long as the whole body, however the body arrives (the decoder's
 * default buffer of 1024 bytes refused a long token sent in small chunks).
 */
public final class BodyLimits {

    /** More form fields than any request of this issuer has (at most a dozen), and Vert.x's default. */
    public static final int MAX_FORM_FIELDS = 256;
    static final String TOO_MANY_FIELDS = "the request has more than " + MAX_FORM_FIELDS + " form parameters";
    static final String TOO_LARGE = "request body exceeds " + Routes.MAX_BODY_BYTES + " bytes";

    private BodyLimits() {
    }

    /**
     * The body handler for methods that may carry a body (POST, PUT, PATCH, DELETE); any other method goes on without
     * it. Vert.x's BodyHandler throws on a GET, HEAD or OPTIONS with a form Content-Type (it cannot decode a form for
     * them), which was a 500; the OAuth endpoints refuse such methods with T01 before they read a body, and the admin
     * API's GET routes read none.
     */
    static Handler<RoutingContext> forBodyMethods(Handler<RoutingContext> body) {
        return ctx -> {
            HttpMethod method = ctx.request().method();
            if (HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method) || HttpMethod.PATCH.equals(method)
                    || HttpMethod.DELETE.equals(method)) {
                body.handle(ctx);
            } else {
                ctx.next();
            }
        };
    }

    /**
     * A request whose path has a '%' not followed by two hexadecimal digits: the router cannot normalise it (Vert.x
     * throws and logs "Unhandled exception in router"), so it is answered 400 here, before routing. True if answered.
     */
    public static boolean refuseMalformedPath(HttpServerRequest request) {
        String path = request.path();
        if (path == null || path.indexOf('%') < 0 || wellEscaped(path)) {
            return false;
        }
        request.response().setStatusCode(400)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("error", "invalid_request")
                        .put("error_description", MALFORMED_PATH).toBuffer());
        return true;
    }

    /**
     * The server's handler for requests that the HTTP decoder could not read (Vert.x's default answers the same
     * statuses with an empty body): 414 for a request line, 431 for headers over the limits, else 400, as OAuth error
     * JSON with no-store; the connection is then closed.
     */
    public static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException ? 414
                : cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException ? 431 : 400;
        String description = status == 414 ? "the request line is too long"
                : status == 431 ? "the request headers are too large" : MALFORMED_REQUEST;
        request.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("error", "invalid_request").put("error_description", description)
                        .toBuffer())
                .onComplete(done -> request.connection().close());
    }

    static final String MALFORMED_REQUEST = "the HTTP request is malformed";
    static final String MALFORMED_PATH = "the request path has a malformed percent-encoding";

    private static boolean wellEscaped(String path) {
        for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
            if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
                    || Character.digit(path.charAt(i + 2), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The client went away while its body was being read: there is no one to answer and nothing went wrong. */
    static boolean clientGone(Throwable t) {
        for (Throwable cause = t; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof HttpClosedException) {
                return true;
            }
        }
        return false;
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
