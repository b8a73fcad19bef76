package dev.agentid.agentctl;

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
 * Human approval (docs/APPROVALS.md): the pending requests and the decisions. As an approver, give your id_token of
 * the trusted OpenID Provider with {@code --approver-token-file}; with the admin token alone the decision is
 * break-glass, and the audit record says so.
 */
@Command(name = "approvals", description = "Requests held for a human's approval: list, show, approve, deny.",
        subcommands = {ApprovalsCommand.ListPending.class, ApprovalsCommand.Show.class, ApprovalsCommand.Approve.class,
                ApprovalsCommand.Deny.class})
final class ApprovalsCommand {

    static final String PATH = "/admin/approvals";

    static final List<Output.Column> COLUMNS = List.of(
            Output.Column.of("ID", "id"), Output.Column.of("STATE", "state"), Output.Column.of("AGENT", "agent"),
            Output.Column.of("PRINCIPAL", "principal"), Output.Column.of("SCOPES", "scopes"),
            Output.Column.of("AUDIENCE", "audience"), Output.Column.of("REASONS", "reasons"),
            Output.Column.of("EXPIRES_AT", "expires_at"));

    /** The approver's id_token instead of the admin token. */
    abstract static class ApproverCommand extends IssuerCommand {
        @Option(names = "--approver-token-file", paramLabel = "FILE",
                description = "Act as the approver whose id_token (of the trusted OpenID Provider) is in FILE, "
                        + "instead of break-glass with the admin token.")
        Path approverTokenFile;

        @Override
        IssuerClient client() {
            if (approverTokenFile == null) {
                return super.client();
            }
            String idToken = Connection.readToken(approverTokenFile, "--approver-token-file " + approverTokenFile);
            return new IssuerClient(connection.issuerUri(env()), idToken);
        }

        static String path(String id) {
            return PATH + "/" + IssuerClient.segment(id);
        }
    }

    @Command(name = "list", description = "The pending requests you may decide, oldest first (GET /admin/approvals).")
    static final class ListPending extends ApproverCommand {
        @Override
        void run(IssuerClient issuer, Output output) {
            JsonObject answer = issuer.get(PATH, Map.of());
            List<JsonObject> rows = new ArrayList<>();
            answer.getJsonArray("approvals", new JsonArray()).forEach(a -> rows.add((JsonObject) a));
            output.list(answer, rows, COLUMNS);
        }
    }

    @Command(name = "show", description = "One request: its chain, principal, scopes, details, reasons.")
    static final class Show extends ApproverCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        void run(IssuerClient issuer, Output output) {
            output.object(issuer.get(path(id), Map.of()));
        }
    }

    /** Approve or deny: the request's id and the approver's reason, which the audit record keeps (decision_reason). */
    abstract static class Decision extends ApproverCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--reason", paramLabel = "TEXT",
                description = "Why (at most 512 printable characters): the audit record's decision_reason.")
        String reason;

        abstract String verb();

        @Override
        void run(IssuerClient issuer, Output output) {
            output.object(issuer.post(path(id) + "/" + verb(),
                    reason == null ? new JsonObject() : new JsonObject().put("reason", reason)));
        }
    }

    @Command(name = "approve", description = "Approve a pending request (POST /admin/approvals/{id}/approve).")
    static final class Approve extends Decision {
        @Override
        String verb() {
            return "approve";
        }
    }

    @Command(name = "deny", description = {"Deny a pending request (POST /admin/approvals/{id}/deny).",
            "The audit record names who denied, and why with --reason."})
    static final class Deny extends Decision {
        @Override
        String verb() {
            return "deny";
        }
    }
}
