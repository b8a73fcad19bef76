package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** The audit trail (docs/AUDIT.md): {@code audit query} (GET /admin/audit) and {@code audit verify}. */
@Command(name = "audit", description = "The audit trail: query it, verify a node's log.",
        subcommands = {AuditCommand.Query.class, AuditCommand.Verify.class})
final class AuditCommand {

    static final String PATH = "/admin/audit";

    static final List<Output.Column> COLUMNS = List.of(
            Output.Column.of("TIME", "time"), Output.Column.of("NODE", "node"), Output.Column.of("SEQ", "seq"),
            Output.Column.of("TYPE", "type"), field("AGENT", "agent"), field("PRINCIPAL", "principal"),
            field("BY", "by"), field("REASON", "reason"));

    private static Output.Column field(String heading, String name) {
        return new Output.Column(heading, e -> e.getJsonObject("fields", new JsonObject()).getValue(name));
    }

    @Command(name = "query", sortOptions = false, description = {
            "Audit records, oldest first (GET /admin/audit); every filter is optional and they combine.",
            "Table: one line per record (-o json: the API's answer with each record whole). When more records",
            "match than --limit, the next cursor goes to stderr; --all follows the cursors to the end."})
    static final class Query extends IssuerCommand {
        @Option(names = "--agent", paramLabel = "ID",
                description = "The record's agent, or an actor of a token's chain.")
        String agent;
        @Option(names = "--owner", paramLabel = "OWNER", description = "The record's owner.")
        String owner;
        @Option(names = "--principal", paramLabel = "SUB", description = "The principal (a token's sub).")
        String principal;
        @Option(names = "--jti", paramLabel = "JTI", description = "One token.")
        String jti;
        @Option(names = "--lineage", paramLabel = "JTI", description = "A token and every token derived from it.")
        String lineage;
        @Option(names = "--type", paramLabel = "TYPE",
                description = "An event type, or its prefix (token, agent.killed).")
        String type;
        @Option(names = "--since", paramLabel = "INSTANT", description = "From (ISO-8601, 2026-12-01T00:00:00Z).")
        String since;
        @Option(names = "--until", paramLabel = "INSTANT", description = "Until (ISO-8601).")
        String until;
        @Option(names = "--limit", paramLabel = "N", description = "At most N records per page (1..1000, default 100).")
        Integer limit;
        @Option(names = "--cursor", paramLabel = "CURSOR",
                description = "Start after a previous page (its next_cursor).")
        String cursor;
        @Option(names = "--scope", paramLabel = "SCOPE", description = "node or cluster (default: cluster when the"
                + " issuer has audit peers).")
        String scope;
        @Option(names = "--all", description = "Follow next_cursor until the last page.")
        boolean all;

        @Override
        void run(IssuerClient issuer, Output output) {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("agent", agent);
            query.put("owner", owner);
            query.put("principal", principal);
            query.put("jti", jti);
            query.put("lineage", lineage);
            query.put("type", type);
            query.put("since", since);
            query.put("until", until);
            query.put("limit", limit == null ? null : limit.toString());
            query.put("scope", scope);
            query.put("format", "json");
            query.put("cursor", cursor);
            JsonObject answer = issuer.get(PATH, query);
            JsonArray events = answer.getJsonArray("events", new JsonArray()).copy();
            while (all && answer.getString("next_cursor") != null) {
                query.put("cursor", answer.getString("next_cursor"));
                answer = issuer.get(PATH, query);
                events.addAll(answer.getJsonArray("events", new JsonArray()));
            }
            JsonObject whole = answer.copy().put("events", events);
            if (all) {
                whole.remove("next_cursor");
            }
            List<JsonObject> rows = new ArrayList<>();
            events.forEach(e -> rows.add((JsonObject) e));
            output.list(whole, rows, COLUMNS);
            if (!output.json() && whole.getString("next_cursor") != null) {
                err().println("more records: --cursor " + whole.getString("next_cursor"));
                err().flush();
            }
            if (whole.getJsonArray("unavailable") != null) {
                err().println("partial: audit peers did not answer: " + whole.getJsonArray("unavailable").encode());
                err().flush();
            }
        }
    }

    /**
     * Runs the issuer's own verifier ({@code java -jar issuer.jar audit-verify}, docs/AUDIT.md) on a node's data
     * directory: the same checks, and no second implementation of them here. Exit 0 intact, 5 broken, 2 usage.
     */
    @Command(name = "verify", sortOptions = false, description = {
            "Verify a node's audit log on disk: hash chain, sequence, signed checkpoints, truncation.",
            "Runs the issuer's own verifier (java -jar issuer.jar audit-verify) on the data directory.",
            "Exit 0 intact, 5 broken (the first broken record is named), 2 usage or unreadable input."})
    static final class Verify implements Callable<Integer> {
        static final String ISSUER_JAR_ENV = "AGENTID_ISSUER_JAR";

        @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data",
                description = "The node's data directory (default ./data); its audit/ is verified.")
        Path dataDir;
        @Option(names = "--jwks", paramLabel = "FILE", description = "A JWK set of older signing keys (repeatable).")
        List<Path> jwks = new ArrayList<>();
        @Option(names = "--checkpoint", paramLabel = "FILE",
                description = "A checkpoint record kept off the node, which the log must still hold (repeatable).")
        List<Path> checkpoints = new ArrayList<>();
        @Option(names = "--issuer-jar", paramLabel = "JAR", description = "The issuer.jar (default: $"
                + ISSUER_JAR_ENV + ", else issuer.jar beside agentctl.jar, else issuer/target/issuer.jar).")
        Path issuerJar;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, String> env = ((Agentctl) spec.root().userObject()).env();
            Path jar = issuerJar(env);
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-jar", jar.toString(), "audit-verify", "--data-dir", dataDir.toString()));
            jwks.forEach(f -> command.addAll(List.of("--jwks", f.toString())));
            checkpoints.forEach(f -> command.addAll(List.of("--checkpoint", f.toString())));
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int code;
            try {
                ProcessBuilder builder = new ProcessBuilder(command);
                builder.environment().remove("ISSUER_DATA_DIR");   // --data-dir says which
                Process process = builder.redirectInput(ProcessBuilder.Redirect.PIPE).start();
                process.getOutputStream().close();
                CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
                String stdout = read(process.getInputStream());
                code = process.waitFor();
                out.print(stdout);
                err.print(stderr.join());
            } catch (IOException e) {
                throw new CliException(Agentctl.USAGE, "cannot run " + jar + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(Agentctl.USAGE, "interrupted");
            } finally {
                out.flush();
                err.flush();
            }
            return switch (code) {
                case 0 -> Agentctl.OK;
                case 1 -> Agentctl.AUDIT_BROKEN;
                default -> Agentctl.USAGE;
            };
        }

        private Path issuerJar(Map<String, String> env) {
            List<Path> candidates = new ArrayList<>();
            if (issuerJar != null) {
                candidates.add(issuerJar);
            } else if (env.get(ISSUER_JAR_ENV) != null) {
                candidates.add(Path.of(env.get(ISSUER_JAR_ENV)));
            } else {
                Path self = selfJar();
                if (self != null && self.getParent() != null) {
                    candidates.add(self.resolveSibling("issuer.jar"));
                    // the repository's layout: agentctl/target/agentctl.jar and issuer/target/issuer.jar
                    candidates.add(self.getParent().resolve("../../issuer/target/issuer.jar").normalize());
                }
                candidates.add(Path.of("issuer", "target", "issuer.jar"));
            }
            for (Path candidate : candidates) {
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
            throw new CliException(Agentctl.USAGE, "no issuer.jar at " + candidates
                    + ": give --issuer-jar or $" + ISSUER_JAR_ENV);
        }

        private static Path selfJar() {
            try {
                Path self = Path.of(Agentctl.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return Files.isRegularFile(self) ? self : null;
            } catch (URISyntaxException | RuntimeException e) {
                return null;
            }
        }

        private static String read(InputStream in) {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
