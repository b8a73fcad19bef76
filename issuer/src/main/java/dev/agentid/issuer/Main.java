package dev.agentid.issuer;

import dev.agentid.issuer.audit.AuditVerifyCommand;
import dev.agentid.issuer.metrics.Build;
import dev.agentid.issuer.store.DataDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * {@code java -jar issuer.jar [--config FILE]}: starts the issuer on embedded defaults.
 * {@code java -jar issuer.jar audit-verify [--data-dir DIR] [--jwks FILE]...}: verifies a node's audit log
 * ({@link AuditVerifyCommand}).
 * A startup failure is one or two lines that say what is wrong and what to do, and the process exits: 2 for a
 * configuration error, 1 for a runtime one (a port in use, an unwritable data directory, a damaged file). Stack traces
 * only with {@code ISSUER_DEBUG=true}.
 */
public final class Main {

    static final int EXIT_RUNTIME = 1;
    static final int EXIT_CONFIG = 2;

    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && AuditVerifyCommand.NAME.equals(args[0])) {
            System.exit(AuditVerifyCommand.run(List.of(args).subList(1, args.length), System.getenv(), System.out,
                    System.err));
            return;
        }
        configureLogging();
        RxErrors.install();   // Ctrl-C during a start: one FINE line, not RxJava's UndeliverableException
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            if ("--config".equals(args[i]) && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            } else if ("--help".equals(args[i]) || "-h".equals(args[i])) {
                System.out.print(Settings.help());
                return;
            } else if ("--version".equals(args[i])) {
                System.out.println("agentid issuer " + Build.current().version() + " (" + Build.current().commit()
                        + ")");
                return;
            } else {
                System.err.println("unknown argument: " + args[i] + " (try --help)");
                System.exit(EXIT_CONFIG);
            }
        }
        IssuerConfig config;
        try {
            config = IssuerConfig.load(System.getenv(), configFile);
        } catch (IllegalArgumentException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(EXIT_CONFIG);
            return;
        }
        boolean debug = config.observability().debug();
        applyLogFormat(config);
        // registered before the start, so that Ctrl-C during a slow cluster join stops what has started, quietly
        AtomicReference<IssuerServer> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            IssuerServer server = running.get();
            if (server != null) {
                LOG.info("stopping issuer " + server.issuer());
                server.close();
                LOG.info("issuer stopped");
            }
        }, "issuer-shutdown"));
        IssuerServer server;
        try {
            requirePortFree(config);
            server = IssuerServer.start(config, Clock.systemUTC());
        } catch (Throwable t) {
            Failure failure = explain(t, config);
            System.err.println("cannot start the issuer: " + failure.message());
            if (debug) {
                t.printStackTrace();
            } else {
                System.err.println("(set ISSUER_DEBUG=true for the stack trace)");
            }
            // halt: a half-started store or event loop must not keep the process alive for a supervisor to see
            System.err.flush();
            Runtime.getRuntime().halt(failure.exitCode());
            return;
        }
        running.set(server);
        banner(config, server);
        System.out.println("issuer ready at " + server.issuer());
        System.out.flush();
    }

    /**
     * Fails at once, before the store starts, when the HTTP port is taken: a supervisor sees the exit within a second
     * instead of after a cluster join. The real bind later reports the same way if the port is taken in between.
     */
    private static void requirePortFree(IssuerConfig config) throws IOException {
        if (config.port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(config.host(), config.port()));
        }
    }

    /** What went wrong, in the operator's terms, and the exit code. */
    record Failure(String message, int exitCode) {
    }

    static Failure explain(Throwable t, IssuerConfig config) {
        for (Throwable cause = t; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof DataDirectory.NotPrivateException) {
                return new Failure("refusing to start: " + cause.getMessage(), EXIT_RUNTIME);
            }
            if (cause instanceof BindException) {
                return new Failure("cannot listen on " + config.host() + ":" + config.port() + ": "
                        + cause.getMessage() + " (another process uses it? set ISSUER_PORT or ISSUER_HOST)",
                        EXIT_RUNTIME);
            }
            if (cause instanceof AccessDeniedException e) {
                return new Failure("permission denied on " + e.getFile() + " (check ISSUER_DATA_DIR="
                        + config.dataDir() + " and its owner)", EXIT_RUNTIME);
            }
            if (cause instanceof FileSystemException e) {
                return new Failure(e.getFile() + ": " + (e.getReason() == null ? e.getMessage() : e.getReason()),
                        EXIT_RUNTIME);
            }
            if (cause instanceof IllegalArgumentException) {
                return new Failure(cause.getMessage(), EXIT_CONFIG);
            }
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return new Failure(message, EXIT_RUNTIME);
    }

    /** Version, URL, data directory and the effective configuration, secrets redacted. */
    private static void banner(IssuerConfig config, IssuerServer server) {
        Build build = Build.current();
        LOG.info("agentid issuer " + build.version() + " (" + build.commit() + ") at " + server.issuer()
                + ", data directory " + config.dataDir() + (config.cluster() == null ? ", single node"
                : ", cluster " + config.cluster().clusterName() + " as " + config.cluster().bind()));
        LOG.info("configuration: " + config);
    }

    private static void applyLogFormat(IssuerConfig config) {
        if (!config.observability().jsonLogs()) {
            return;
        }
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            handler.setFormatter(new JsonLogFormatter(config.observability().debug()));
        }
    }

    private static void configureLogging() throws Exception {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        try (InputStream in = Main.class.getResourceAsStream("/issuer-logging.properties")) {
            if (in != null) {
                LogManager.getLogManager().readConfiguration(in);
            }
        }
    }
}
