package dev.agentid.issuer.console;

import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/** Polls the audit log (records are written off the request path) for the newest record matching a query. */
final class AuditRecords {

    private AuditRecords() {
    }

    static JsonObject await(TestIssuer issuer, String query) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            JsonArray events = issuer.admin("GET", "/admin/audit?" + query, null).json().getJsonArray("events");
            if (!events.isEmpty()) {
                return events.getJsonObject(events.size() - 1);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no audit record for " + query);
            }
            Thread.onSpinWait();
        }
    }
}
