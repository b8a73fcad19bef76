package dev.agentid.agentctl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent inventory: {@code POST /admin/agents}, {@code GET /admin/agents[/{id}]}, {@code PATCH} (RFC 7396 merge
 * patch), {@code POST .../kill|restore}, {@code DELETE}. Each prints the agent as the issuer answers it.
 */
final class AgentCommands {

    static final String AGENTS = "/admin/agents";

    private AgentCommands() {
    }

    static String agentPath(String id) {
        return AGENTS + "/" + IssuerClient.segment(id);
    }

    static final List<Output.Column> LIST_COLUMNS = List.of(
            Output.Column.of("AGENT_ID", "agent_id"), Output.Column.of("OWNER", "owner"),
            Output.Column.of("STATUS", "status"), Output.Column.of("LIVE_TOKENS", "live_tokens"),
            Output.Column.of("SCOPES", "scopes"), Output.Column.of("AUDIENCES", "audiences"),
            Output.Column.of("DELEGATES", "delegates"));

    @Command(name = "register", description = "Register an agent from a JSON or YAML file (POST /admin/agents).",
            sortOptions = false)
    static final class Register extends IssuerCommand {
        @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
                description = "The registration: agent.json, or agent.yaml/.yml with the same fields; - reads "
                        + "stdin (JSON or YAML).")
        Path file;

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject registration = Documents.read(file, stdin());
            output.object(issuer.post(AGENTS, registration));
        }
    }

    @Command(name = "list", description = {"List the registered agents (GET /admin/agents).",
            "The API lists every agent; --status and --owner filter its answer here (-o json too)."},
            sortOptions = false)
    static final class ListAgents extends IssuerCommand {
        enum Status { active, killed, deregistered }

        @Option(names = "--status", paramLabel = "STATUS",
                description = "Only agents in this status: ${COMPLETION-CANDIDATES}.")
        Status status;

        @Option(names = "--owner", paramLabel = "OWNER", description = "Only agents of this owner.")
        String owner;

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject answer = issuer.get(AGENTS, Map.of());
            List<JsonObject> rows = new ArrayList<>();
            JsonArray kept = new JsonArray();
            for (Object item : answer.getJsonArray("agents", new JsonArray())) {
                JsonObject agent = (JsonObject) item;
                if ((status == null || status.name().equals(agent.getString("status")))
                        && (owner == null || owner.equals(agent.getString("owner")))) {
                    rows.add(agent);
                    kept.add(agent);
                }
            }
            rows.sort(java.util.Comparator.comparing(a -> a.getString("agent_id", "")));
            JsonObject whole = status == null && owner == null ? answer : answer.copy().put("agents", kept);
            output.list(whole, rows, LIST_COLUMNS);
        }
    }

    @Command(name = "show", description = "Show one agent, with its live token count (GET /admin/agents/{id}).")
    static final class Show extends IssuerCommand {
        @Parameters(paramLabel = "AGENT_ID")
        String id;

        @Override
        void run(IssuerClient issuer, Output output) {
            output.object(issuer.get(agentPath(id), Map.of()));
        }
    }

    @Command(name = "patch", sortOptions = false, description = {
            "Change an agent's registration with a JSON merge patch (PATCH /admin/agents/{id}, RFC 7396).",
            "-f gives the patch as a file; each --set then adds one member. null removes a field.",
            "Tokens already issued keep their claims until they expire (kill to end them)."})
    static final class Patch extends IssuerCommand {
        @Parameters(paramLabel = "AGENT_ID")
        String id;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The merge patch, JSON or YAML; - reads "
                + "stdin.")
        Path file;

        @Option(names = "--set", paramLabel = "FIELD=VALUE", description = {
                "One member of the patch; FIELD may be dotted (attestation.required=true). VALUE is JSON when it "
                        + "parses as JSON (120, true, null, [\"a\",\"b\"], {...}), else a string "
                        + "(owner=user:bob; force a string with quotes: owner='\"123\"')."})
        List<String> sets = new ArrayList<>();

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject patch = file != null ? Documents.read(file, stdin()) : new JsonObject();
            if (file == null && sets.isEmpty()) {
                throw new CliException(Agentctl.USAGE, "patch: give -f FILE or at least one --set FIELD=VALUE");
            }
            for (String set : sets) {
                apply(patch, set);
            }
            output.object(issuer.patch(agentPath(id), patch));
        }

        /** {@code a.b=value}: {"a": {"b": value}} merged into the patch. */
        static void apply(JsonObject patch, String set) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new CliException(Agentctl.USAGE, "--set " + set + ": expected FIELD=VALUE");
            }
            String[] path = set.substring(0, eq).split("\\.", -1);
            String raw = set.substring(eq + 1);
            Object value;
            try {
                value = Json.decodeValue(raw);
            } catch (DecodeException e) {
                value = raw;
            }
            JsonObject target = patch;
            for (int i = 0; i < path.length - 1; i++) {
                if (path[i].isEmpty()) {
                    throw new CliException(Agentctl.USAGE, "--set " + set + ": empty field name");
                }
                Object next = target.getValue(path[i]);
                if (!(next instanceof JsonObject)) {
                    next = new JsonObject();
                    target.put(path[i], next);
                }
                target = (JsonObject) next;
            }
            String last = path[path.length - 1];
            if (last.isEmpty()) {
                throw new CliException(Agentctl.USAGE, "--set " + set + ": empty field name");
            }
            target.put(last, value);
        }
    }

    /** kill, restore, deregister: a status change with a reason for the audit trail. */
    abstract static class StatusChange extends IssuerCommand {
        @Parameters(paramLabel = "AGENT_ID")
        String id;

        abstract String reason();

        abstract String method();

        abstract String path();

        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject body = new JsonObject();
            if (reason() != null) {
                body.put("reason", reason());
            }
            output.object("DELETE".equals(method()) ? issuer.delete(path(), body) : issuer.post(path(), body));
        }
    }

    @Command(name = "kill", description = {"The kill switch (POST /admin/agents/{id}/kill).",
            "No new tokens for the agent, and every live token whose chain holds it is dead, on every node.",
            "The reason goes to the audit trail."})
    static final class Kill extends StatusChange {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
        String reason;

        String reason() {
            return reason;
        }

        String method() {
            return "POST";
        }

        String path() {
            return agentPath(id) + "/kill";
        }
    }

    @Command(name = "restore", description = "Undo a kill (POST /admin/agents/{id}/restore); tokens killed stay dead.")
    static final class Restore extends StatusChange {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (recorded).")
        String reason;

        String reason() {
            return reason;
        }

        String method() {
            return "POST";
        }

        String path() {
            return agentPath(id) + "/restore";
        }
    }

    @Command(name = "deregister", description = {"Deregister an agent (DELETE /admin/agents/{id}).",
            "It stays in the inventory as deregistered, every token of it is dead, and it gets no new ones.",
            "Idempotent."})
    static final class Deregister extends StatusChange {
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded).")
        String reason;

        String reason() {
            return reason;
        }

        String method() {
            return "DELETE";
        }

        String path() {
            return agentPath(id);
        }
    }
}
