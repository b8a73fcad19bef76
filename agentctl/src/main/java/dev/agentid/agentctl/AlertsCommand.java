package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Behavioural monitoring's alerts on the node asked (docs/MONITORING.md). */
@Command(name = "alerts", description = "Monitoring alerts of this node, newest first (GET /admin/alerts).")
final class AlertsCommand extends IssuerCommand {

    @Option(names = "--agent", paramLabel = "ID", description = "Only this agent's alerts.")
    String agent;

    @Option(names = "--limit", paramLabel = "N", description = "At most N (1..1000, default 100).")
    Integer limit;

    @Override
    void run(IssuerClient issuer, Output output) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("agent", agent);
        query.put("limit", limit == null ? null : limit.toString());
        JsonObject answer = issuer.get("/admin/alerts", query);
        List<JsonObject> rows = new ArrayList<>();
        answer.getJsonArray("alerts", new JsonArray()).forEach(a -> rows.add((JsonObject) a));
        output.list(answer, rows, List.of(Output.Column.of("TIME", "time"), Output.Column.of("AGENT", "agent"),
                Output.Column.of("SEVERITY", "severity"), Output.Column.of("DETECTOR", "detector"),
                Output.Column.of("RESPONSE", "response"), Output.Column.of("EXPLANATION", "explanation")));
    }
}
