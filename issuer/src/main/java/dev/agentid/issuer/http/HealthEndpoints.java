package dev.agentid.issuer.http;

import dev.agentid.issuer.metrics.Build;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreUnavailableException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What a load balancer, Kubernetes or an operator asks: is the process alive ({@code /health/live}), may it serve
 * ({@code /health/ready}: the store is available and, clustered, this node is on the majority side with its state
 * settled after a merge), and which build is it ({@code /version}). Readiness answers 503 with the reason otherwise.
 */
final class HealthEndpoints {

    static final String LIVE_PATH = "/health/live";
    static final String READY_PATH = "/health/ready";
    static final String VERSION_PATH = "/version";

    private final StateStore state;
    private final String version;

    HealthEndpoints(StateStore state) {
        this.state = state;
        Build build = Build.current();
        this.version = new JsonObject().put("version", build.version()).put("commit", build.commit()).encode();
    }

    void live(RoutingContext ctx) {
        Responses.json(ctx, 200, new JsonObject().put("status", "UP"));
    }

    void ready(RoutingContext ctx) {
        JsonObject body = new JsonObject().put("clustered", state.clustered())
                .put("members", new JsonArray(state.members()));
        try {
            state.requireAvailable();
            Responses.json(ctx, 200, body.put("status", "UP"));
        } catch (StoreUnavailableException e) {
            ctx.response().putHeader("Retry-After", Responses.RETRY_AFTER_SECONDS);
            Responses.json(ctx, 503, body.put("status", "DOWN").put("reason", e.description()));
        }
    }

    void version(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(version);
    }
}
