package dev.agentid.issuer.http;

import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.TokenBuckets;
import dev.agentid.issuer.metrics.Metrics;
import dev.agentid.issuer.store.StoreUnavailableException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.logging.Level;
import java.util.logging.Logger;

/** The single place where errors become RFC 6749 §5.2 JSON, and where every response gets no-store. */
public final class Responses {

    private static final Logger LOG = Logger.getLogger(Responses.class.getName());
    /** Refusal log lines per second: a refusal storm must not turn into console writes on the event loops. */
    static final int REFUSAL_LINES_PER_SECOND = 20;
    private static final LogBudget REFUSAL_LOG = new LogBudget(REFUSAL_LINES_PER_SECOND);

    private Responses() {
    }

    /** First step of every API route: nothing we answer may be cached. */
    public static void noStore(RoutingContext ctx) {
        ctx.response().putHeader("Cache-Control", "no-store").putHeader("Pragma", "no-cache");
        ctx.next();
    }

    public static void json(RoutingContext ctx, int status, JsonObject body) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        if (status >= 400) {
            ctx.put(Metrics.REFUSAL, body.getString("error", "error"));
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .putHeader("Pragma", "no-cache")
                .end(body.toBuffer());
    }

    public static void error(RoutingContext ctx, OAuthException e) {
        // the public description only: a private detail may quote the request, so it stays at FINE
        long suppressed = REFUSAL_LOG.admit();
        if (suppressed >= 0 && LOG.isLoggable(Level.INFO)) {
            LOG.info("refused " + ctx.request().method() + " " + printable(ctx.request().path()) + " " + e.status()
                    + " " + e.error() + (e.row() == null ? "" : " [" + e.row() + (e.client() == null ? ""
                            : " client_id '" + printable(e.client()) + "'") + "]") + ": " + printable(e.description())
                    + (suppressed > 0 ? " (" + suppressed + " more refusals not logged)" : ""));
        }
        if (e.detail() != null) {
            LOG.fine(() -> "refused " + ctx.request().method() + " " + ctx.request().path() + ": " + e.error()
                    + " (" + e.detail() + ")");
        }
        if (e.status() == 401 && ctx.request().headers().contains("Authorization")) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"" + e.error() + "\"");
        }
        JsonObject body = new JsonObject().put("error", e.error()).put("error_description", e.description());
        if (e.field() != null) {
            body.put("field", e.field());
        }
        json(ctx, e.status(), body);
    }

    /** A request-derived value as one log line: control characters (a decoded %0A, say) become '?'. */
    static String printable(String value) {
        return value == null ? "" : value.replaceAll("\\p{Cntrl}", "?");
    }

    /** Maps any failure to the error JSON: refusals as they are, everything else as a generic 500. */
    public static void failure(RoutingContext ctx, Throwable t) {
        if (t instanceof RateLimiter.Throttled throttled) {   // R02
            ctx.response().putHeader("Retry-After", TokenBuckets.retryAfterSeconds(throttled.waitMillis));
            error(ctx, throttled.refusal);
            return;
        }
        if (t instanceof AdminToken.LockedOut locked) {   // R03
            ctx.response().putHeader("Retry-After", locked.retryAfterSeconds());
            error(ctx, locked.refusal());
            return;
        }
        if (t instanceof OAuthException) {
            error(ctx, (OAuthException) t);
            return;
        }
        StoreUnavailableException unavailable = unavailable(t);
        if (unavailable != null) {
            // A clustered node that cannot prove its answer (minority side of a partition, a merge in progress, a
            // write not acknowledged in time) refuses rather than guess: never active:true, never a lost revocation.
            LOG.fine(() -> "unavailable on " + ctx.request().method() + " " + ctx.request().path() + ": "
                    + unavailable.description());
            ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
            json(ctx, 503, new JsonObject().put("error", "temporarily_unavailable")
                    .put("error_description", unavailable.description()));
            return;
        }
        LOG.log(Level.SEVERE, "internal error on " + ctx.request().method() + " " + ctx.request().path(), t);
        json(ctx, 500, new JsonObject().put("error", "server_error")
                .put("error_description", "the server could not complete the request"));
    }

    /** Seconds a client should wait before retrying a 503 (failure detection takes about 10 s). */
    static final String RETRY_AFTER_SECONDS = "5";

    private static StoreUnavailableException unavailable(Throwable t) {
        for (Throwable cause = t; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof StoreUnavailableException e) {
                return e;
            }
        }
        return null;
    }

    /** Router-level failure handler: body too large, unmatched methods and unexpected throws. */
    public static void routeFailure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (BodyLimits.clientGone(t)) {
            LOG.fine(() -> "client closed the connection on " + ctx.request().method() + " " + ctx.request().path());
            return;
        }
        // T03, T13, T14: the body handler's own refusals carry their 4xx status with the decoder's exception
        OAuthException bodyRefusal = t instanceof OAuthException ? null : BodyLimits.refusal(ctx.statusCode(), t);
        if (bodyRefusal != null) {
            error(ctx, bodyRefusal);
            return;
        }
        if (t != null && !(t instanceof OAuthException) && !ctx.request().isEnded()) {
            // the request stream itself broke while its body was read (a malformed chunk, say): the client's fault;
            // every handler of ours runs after the body has ended
            error(ctx, new OAuthException("invalid_request", 400, BodyLimits.MALFORMED_REQUEST, t.toString()));
            return;
        }
        if (t != null) {
            failure(ctx, t);
            return;
        }
        int status = ctx.statusCode();
        if (status == 405) {
            error(ctx, new OAuthException("invalid_request", 405, "method not allowed", null));
        } else if (status == 404) {
            error(ctx, OAuthException.notFound("no such endpoint"));
        } else if (status >= 400 && status < 500) {
            error(ctx, new OAuthException("invalid_request", status, "the request is not acceptable", null));
        } else {
            failure(ctx, new IllegalStateException("route failed with status " + status));
        }
    }
}
