package dev.agentid.agentctl;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code agentctl}: the issuer's admin API for scripts. Each subcommand is one call (or a few) of the HTTP API that
 * the README ("Admin CLI", "Lifecycle governance"), docs/APPROVALS.md and docs/AUDIT.md describe; the exit codes below
 * are the contract scripts rely on.
 */
@Command(name = "agentctl", mixinStandardHelpOptions = true, versionProvider = Agentctl.Version.class,
        description = "The agentid issuer's admin CLI: agents, approvals, audit, access reviews, keys.",
        subcommands = {
                AgentCommands.Register.class, AgentCommands.ListAgents.class, AgentCommands.Show.class,
                AgentCommands.Patch.class, AgentCommands.Kill.class, AgentCommands.Restore.class,
                AgentCommands.Deregister.class, ApprovalsCommand.class, AuditCommand.class, ReviewCommand.class,
                KeysCommand.class, AlertsCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nConnection (every command that calls the issuer):%n",
        footer = {"  --issuer URL, else $AGENTID_ISSUER, else http://127.0.0.1:8080",
                "  --token-file FILE, else $AGENTID_ADMIN_TOKEN (the token itself),",
                "    else ./data/admin-token (the issuer writes it on first start)",
                "  -o table (default) or -o json (the issuer's JSON, for jq)",
                "  The token is never printed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:done",
                "1:the issuer refused the request (a 4xx but 404; its OAuth error and description on stderr),"
                        + " or an unexpected failure",
                "2:usage error: bad option, unreadable or invalid -f file, no admin token",
                "3:not found (404): no such agent or approval request",
                "4:cannot reach the issuer, or it failed (5xx)",
                "5:audit verify: the audit log is broken"})
public final class Agentctl {

    public static final int OK = 0;
    public static final int REFUSED = 1;
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    public static final int UNREACHABLE = 4;
    public static final int AUDIT_BROKEN = 5;

    private final Map<String, String> env;
    private final InputStream stdin;

    Agentctl(Map<String, String> env, InputStream stdin) {
        this.env = Map.copyOf(env);
        this.stdin = stdin;
    }

    Map<String, String> env() {
        return env;
    }

    /** What {@code -f -} reads. */
    InputStream stdin() {
        return stdin;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(args, System.getenv(), System.in, out, err));
    }

    /** Runs one command line; returns its exit code. */
    public static int run(String[] args, Map<String, String> env, InputStream stdin, PrintWriter out,
                          PrintWriter err) {
        CommandLine cli = commandLine(env, stdin);
        cli.setOut(out).setErr(err);
        return cli.execute(args);
    }

    static CommandLine commandLine(Map<String, String> env, InputStream stdin) {
        CommandLine cli = new CommandLine(new Agentctl(env, stdin));
        helpEverywhere(cli);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof CliException failure) {
                commandLine.getErr().println("agentctl: " + failure.getMessage());
                commandLine.getErr().flush();
                return failure.exitCode();
            }
            commandLine.getErr().println("agentctl: unexpected failure: " + e);
            commandLine.getErr().flush();
            return REFUSED;
        });
        return cli;
    }

    /** -h/--help on every subcommand too ({@code agentctl kill --help}). */
    private static void helpEverywhere(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions() && !sub.getCommandSpec().helpCommand()) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
            }
            helpEverywhere(sub);
        }
    }

    /** The build's version, from the jar's manifest when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Agentctl.class.getPackage().getImplementationVersion();
            return new String[] {"agentctl " + (version != null ? version : "(development build)")};
        }
    }
}
