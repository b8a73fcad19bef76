package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Access reviews (README "Lifecycle governance"): who is due, and recording a recertification. */
@Command(name = "review", description = "Access reviews: list who is due, recertify an agent.",
        subcommands = {ReviewCommand.ListReviews.class, ReviewCommand.Recertify.class})
final class ReviewCommand {

    static final List<Output.Column> COLUMNS = List.of(
            Output.Column.of("AGENT_ID", "agent_id"), Output.Column.of("OWNER", "owner"),
            Output.Column.of("STATUS", "status"), Output.Column.of("REVIEW_DUE", "review_due"),
            Output.Column.of("OVERDUE", "overdue"), Output.Column.of("CERTIFIED_BY", "certified_by"),
            Output.Column.of("CERTIFIED_AT", "certified_at"));

    @Command(name = "list", description = "Every agent's review, overdue first (GET /admin/reviews).")
    static final class ListReviews extends IssuerCommand {
        @Option(names = "--due", description = "Only the overdue ones (filtered here; -o json too).")
        boolean due;

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject answer = issuer.get("/admin/reviews", Map.of());
            List<JsonObject> rows = new ArrayList<>();
            JsonArray kept = new JsonArray();
            for (Object item : answer.getJsonArray("reviews", new JsonArray())) {
                JsonObject review = (JsonObject) item;
                if (!due || review.getBoolean("overdue", false)) {
                    rows.add(review);
                    kept.add(review);
                }
            }
            output.list(due ? answer.copy().put("reviews", kept) : answer, rows, COLUMNS);
        }
    }

    @Command(name = "recertify", sortOptions = false, description = {
            "Record who certified the agent's access (POST /admin/agents/{id}/recertify).",
            "Sets the agent's next review date."})
    static final class Recertify extends IssuerCommand {
        @Parameters(paramLabel = "AGENT_ID")
        String id;

        @Option(names = "--by", required = true, paramLabel = "WHO", description = "Who certifies (recorded).")
        String by;

        @Option(names = "--next-review-days", paramLabel = "DAYS",
                description = "Days until the next review (1..3650; the issuer's default 90).")
        Integer days;

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject body = new JsonObject().put("certified_by", by);
            if (days != null) {
                body.put("next_review_days", days);
            }
            output.object(issuer.post(AgentCommands.agentPath(id) + "/recertify", body));
        }
    }
}
