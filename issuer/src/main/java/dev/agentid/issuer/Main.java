package dev.agentid.issuer;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** {@code java -jar issuer.jar [--config FILE]}: starts the issuer on embedded defaults. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        configureLogging();
        Path configFile = null;
        for (int i = 0; i < args.length; i++) {
            if ("--config".equals(args[i]) && i + 1 < args.length) {
                configFile = Path.of(args[++i]);
            } else if ("--help".equals(args[i]) || "-h".equals(args[i])) {
                System.out.println("usage: java -jar issuer.jar [--config FILE]\n"
                        + "Configuration: ISSUER_HOST, ISSUER_PORT, ISSUER_URL, ISSUER_DATA_DIR, ISSUER_ADMIN_TOKEN,\n"
                        + "ISSUER_MAX_TOKEN_TTL_SECONDS, ISSUER_MAX_DELEGATION_DEPTH, ISSUER_CLOCK_SKEW_SECONDS,\n"
                        + "ISSUER_RATE_LIMIT_ADDRESS_PER_SECOND, ISSUER_RATE_LIMIT_ADDRESS_BURST,\n"
                        + "ISSUER_RATE_LIMIT_CLIENT_PER_SECOND, ISSUER_RATE_LIMIT_CLIENT_BURST, ISSUER_RATE_LIMIT_MAX_KEYS\n"
                        + "(0: off; see README, Configuration)\n"
                        + "as environment variables or as KEY=value lines in the --config file.");
                return;
            } else {
                System.err.println("unknown argument: " + args[i] + " (try --help)");
                System.exit(2);
            }
        }
        IssuerConfig config;
        try {
            config = IssuerConfig.load(System.getenv(), configFile);
        } catch (IllegalArgumentException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        IssuerServer server = IssuerServer.start(config, Clock.systemUTC());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "issuer-shutdown"));
        Logger.getLogger(Main.class.getName()).info("data directory " + config.dataDir());
        System.out.println("issuer ready at " + server.issuer());
        System.out.flush();
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
