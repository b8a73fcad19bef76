package dev.agentid.agentctl;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The options every command that talks to the issuer shares: where the issuer is, where the admin token is, and how
 * to print the answer. The token is read from a file or the environment, never from the command line (where {@code ps}
 * and shell history would show it).
 */
final class Connection {

    static final String DEFAULT_ISSUER = "http://127.0.0.1:8080";
    static final String ISSUER_ENV = "AGENTID_ISSUER";
    static final String TOKEN_ENV = "AGENTID_ADMIN_TOKEN";
    static final Path DEFAULT_TOKEN_FILE = Path.of("data", "admin-token");

    enum Format { table, json }

    @Option(names = "--issuer", paramLabel = "URL",
            description = "The issuer's base URL (default: $" + ISSUER_ENV + ", else " + DEFAULT_ISSUER + ").")
    String issuer;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The file holding the admin token (default: $" + TOKEN_ENV + " holds the token itself, "
                    + "else ./data/admin-token, which the issuer writes on first start).")
    Path tokenFile;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "table (default: aligned columns) or json (the issuer's JSON, for jq).")
    Format output = Format.table;

    URI issuerUri(Map<String, String> env) {
        String url = issuer != null ? issuer : env.getOrDefault(ISSUER_ENV, DEFAULT_ISSUER);
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new CliException(Agentctl.USAGE, "--issuer: not a URL: " + url);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new CliException(Agentctl.USAGE, "--issuer must be an http or https URL, not '" + url + "'");
        }
        return uri;
    }

    /** The admin token: --token-file, else $AGENTID_ADMIN_TOKEN, else ./data/admin-token. */
    String adminToken(Map<String, String> env) {
        if (tokenFile == null) {
            String fromEnv = env.get(TOKEN_ENV);
            if (fromEnv != null && !fromEnv.isBlank()) {
                return fromEnv.trim();
            }
        }
        Path file = tokenFile != null ? tokenFile : DEFAULT_TOKEN_FILE;
        return readToken(file, tokenFile != null ? "--token-file " + file
                : "no --token-file and no $" + TOKEN_ENV + ", and " + file);
    }

    static String readToken(Path file, String what) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new CliException(Agentctl.USAGE, what + ": cannot read the token file ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7E)) {
            throw new CliException(Agentctl.USAGE, what + ": the file does not hold a token (one line, printable)");
        }
        return token;
    }
}
