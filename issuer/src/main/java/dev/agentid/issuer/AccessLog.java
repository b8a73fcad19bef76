package dev.agentid.issuer;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import java.util.logging.Logger;

/**
 * {@code ISSUER_ACCESS_LOG=true}: one line per request, written when the response ends: method, path (never the
 * query string or a body, which may carry tokens), status, duration and the peer address.
 */
final class AccessLog {

    private static final Logger LOG = Logger.getLogger("dev.agentid.issuer.access");

    private AccessLog() {
    }

    static Handler<HttpServerRequest> around(Handler<HttpServerRequest> next) {
        return request -> {
            long start = System.nanoTime();
            request.response().endHandler(done -> LOG.info(() -> request.method() + " " + request.path() + " "
                    + request.response().getStatusCode() + " " + (System.nanoTime() - start) / 1_000_000 + "ms "
                    + (request.remoteAddress() == null ? "-" : request.remoteAddress().hostAddress())));
            next.handle(request);
        };
    }
}
