package dev.agentid.issuer.http;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.monitor.Alert;
import dev.agentid.issuer.monitor.Monitor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /admin/alerts}: behavioural monitoring's alerts on this node, newest first (docs/MONITORING.md), with
 * the monitor's own counts. Query: {@code agent} (one agent's), {@code limit} (1..1000, default 100).
 */
final class MonitoringApi {

    static final String ALERTS_PATH = "/admin/alerts";

    private final Monitor monitor;

    MonitoringApi(Monitor monitor) {
        this.monitor = monitor;
    }

    void alerts(RoutingContext ctx) {
        try {
            String agent = ctx.queryParams().get("agent");
            if (agent != null && !AdminApi.AGENT_ID.matcher(agent).matches()) {
                throw OAuthException.invalidRequest("agent must be an agent id");
            }
            int limit = 100;
            String raw = ctx.queryParams().get("limit");
            if (raw != null) {
                try {
                    limit = Integer.parseInt(raw);
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 1000) {
                    throw OAuthException.invalidRequest("limit must be an integer between 1 and 1000");
                }
            }
            JsonArray alerts = new JsonArray();
            if (monitor != null) {
                for (Alert alert : monitor.alerts(agent, limit)) {
                    alerts.add(alert.toJson());
                }
            }
            JsonObject body = new JsonObject().put("alerts", alerts);
            if (monitor != null) {
                body.put("monitor", new JsonObject()
                        .put("enabled", monitor.settings().enabled())
                        .put("observations", monitor.processed())
                        .put("dropped", monitor.dropped())
                        .put("cpu_seconds", monitor.cpuNanos() / 1e9)
                        .put("throttles", monitor.containment().throttles())
                        .put("suspensions", monitor.containment().suspensions()));
            }
            Responses.json(ctx, 200, body);
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }
}
