package dev.agentid.keys;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.keys.ca.AgentCa;
import dev.agentid.keys.ca.AgentCsr;
import dev.agentid.keys.ca.CertificateRequestException;
import dev.agentid.keys.ca.Pem;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code java -jar keys.jar <command> [options]}: generate, rotate, list, prune and publish the issuer's
 * signing keys ({@code --data-dir DIR}); make an agent key pair and sign client assertions with it; run the
 * agent CA ({@code ca init}, {@code ca issue}) and make an agent's certificate signing request ({@code agent-csr}).
 * Exit codes: 0 success, 1 failure, 2 usage error. Never prints private key material.
 */
public final class KeysCli {

    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;

    static final Duration DEFAULT_ACTIVATE_IN = Duration.ofSeconds(120);
    static final Duration DEFAULT_MAX_TOKEN_LIFETIME = Duration.ofSeconds(3600);
    static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
    /** The Cache-Control max-age the issuer serves its JWKS with. */
    static final Duration JWKS_MAX_AGE = Duration.ofSeconds(60);

    private static final String DATA_DIR = "--data-dir";
    private static final String ACTIVATE_IN = "--activate-in";
    private static final String MAX_TOKEN_LIFETIME = "--max-token-lifetime";
    private static final String CLOCK_SKEW = "--clock-skew";
    private static final String OUT = "--out";
    private static final String KID = "--kid";
    private static final String KEY = "--key";
    private static final String AGENT = "--agent";
    private static final String AUDIENCE = "--audience";
    private static final String LIFETIME = "--lifetime";
    private static final String CSR = "--csr";

    private static final Map<String, Set<String>> COMMANDS = Map.ofEntries(
            Map.entry("generate", Set.of(DATA_DIR)),
            Map.entry("rotate", Set.of(DATA_DIR, ACTIVATE_IN, MAX_TOKEN_LIFETIME, CLOCK_SKEW)),
            Map.entry("prune", Set.of(DATA_DIR, MAX_TOKEN_LIFETIME, CLOCK_SKEW)),
            Map.entry("list", Set.of(DATA_DIR, MAX_TOKEN_LIFETIME, CLOCK_SKEW)),
            Map.entry("jwks", Set.of(DATA_DIR, MAX_TOKEN_LIFETIME, CLOCK_SKEW)),
            Map.entry("agent-key", Set.of(OUT, KID)),
            Map.entry("cluster-secret", Set.of(OUT)),
            Map.entry("client-assertion", Set.of(KEY, AGENT, AUDIENCE, LIFETIME)),
            Map.entry("agent-csr", Set.of(KEY, AGENT)),
            Map.entry("ca init", Set.of(DATA_DIR)),
            Map.entry("ca issue", Set.of(DATA_DIR, CSR, AGENT, LIFETIME)));

    /** Options each command cannot do without. */
    private static final Map<String, List<String>> REQUIRED = Map.of(
            "agent-key", List.of(OUT),
            "cluster-secret", List.of(OUT),
            "client-assertion", List.of(KEY, AGENT, AUDIENCE),
            "agent-csr", List.of(KEY, AGENT),
            "ca init", List.of(DATA_DIR),
            "ca issue", List.of(DATA_DIR, CSR, AGENT));

    static final String USAGE_TEXT = """
            Usage: java -jar keys.jar <command> --data-dir DIR [options]
                   java -jar keys.jar agent-key --out FILE [--kid KID]
                   java -jar keys.jar cluster-secret --out FILE
                   java -jar keys.jar client-assertion --key FILE --agent AGENT_ID --audience ISSUER_URL
                                                       [--lifetime SECONDS]
                   java -jar keys.jar agent-csr --key FILE --agent AGENT_ID
                   java -jar keys.jar ca init --data-dir DIR
                   java -jar keys.jar ca issue --data-dir DIR --csr FILE --agent AGENT_ID [--lifetime SECONDS]

            Manages the issuer's ES256 signing keys in DIR/keys/signing-keys.json (0600, directory 0700).
            A running issuer picks up changes within a second; no restart is needed.

            Issuer signing-key commands (--data-dir DIR):
              generate  Create the first signing key if there is none (does nothing if keys exist).
              rotate    Add a new key. It is published in the JWKS at once and starts signing after
                        --activate-in seconds; the old key stays published until every token it signed
                        has expired. Also prunes (see below).
              prune     Drop retired keys whose tokens have all expired.
              list      Show each key's kid, creation and activation time and state
                        (pending, active, retired-until TIME, expired). Never shows key material.
              jwks      Print the public JWK set the issuer publishes now, as JSON.

            Agent key commands (for trying the issuer without writing code):
              agent-key         Generate an agent's ES256 (P-256) key pair. Writes the PRIVATE JWK to FILE,
                                created 0600 (an existing FILE is never overwritten), and prints the
                                PUBLIC JWK set {"keys":[...]} to stdout: register it as the agent's "jwks".
              client-assertion  Print a fresh RFC 7523 private_key_jwt client assertion signed with the
                                key in FILE (refused if group or others can access FILE): ES256, iss = sub
                                = AGENT_ID, aud = ISSUER_URL, a random jti. Each one is single-use; send
                                it as client_assertion with client_assertion_type
                                urn:ietf:params:oauth:client-assertion-type:jwt-bearer.
              agent-csr         Print a PKCS#10 certificate signing request (PEM) for the key in FILE,
                                subject CN=AGENT_ID, signed with that key (proof of possession).

            Cluster command:
              cluster-secret    Write a new cluster secret for ISSUER_CLUSTER_SECRET_FILE to FILE: 32 random
                                bytes as base64url text, created 0600 (an existing FILE is never overwritten).
                                Copy the same file to every member over a secure channel; never print it.

            Agent CA commands (--data-dir DIR; certificates for mTLS client authentication, RFC 8705):
              ca init   Create the agent CA in DIR/ca: an EC P-256 key (ca-key.pem, PKCS#8, 0600) and a
                        self-signed CA certificate valid for 365 days (ca-cert.pem). Does nothing if a CA
                        exists. Prints the CA certificate (PEM): relying parties trust it.
              ca issue  Verify the CSR in FILE (its signature, an EC P-256 or RSA >= 2048 key, no CN other
                        than AGENT_ID) and print a certificate (PEM) for AGENT_ID: CN=AGENT_ID, SAN URI
                        urn:agentid:agent:AGENT_ID, extendedKeyUsage clientAuth. Its RFC 8705 thumbprint
                        (cnf.x5t#S256) goes to stderr.

            Options:
              --data-dir DIR                the issuer's data directory (required)
              --activate-in SECONDS         rotate: how long the new key is published before it signs
                                            (default 120). Keep it >= the JWKS Cache-Control max-age the
                                            issuer serves (60 s), so every relying party has fetched the
                                            new key before the first token signed with it arrives.
                                            0 activates immediately (tests, emergencies): relying parties
                                            with a cached JWKS may reject new tokens until they refetch.
              --max-token-lifetime SECONDS  the longest token lifetime the issuer grants (default 3600).
                                            A retired key stays published this long plus the clock skew.
                                            Must not be shorter than the issuer's setting.
              --clock-skew SECONDS          clock skew verifiers tolerate past exp (default 60)
              --out FILE                    agent-key: the new private key file (must not exist);
                                            cluster-secret: the new secret file (must not exist)
              --kid KID                     agent-key: key id (default: the RFC 7638 thumbprint)
              --key FILE                    client-assertion: the private key file from agent-key
              --agent AGENT_ID              client-assertion: the registered agent id (iss and sub)
              --audience ISSUER_URL         client-assertion: the issuer's URL (aud)
              --lifetime SECONDS            client-assertion: seconds until exp (default 60, max 300);
                                            ca issue: certificate lifetime (default 86400, max 604800)
              --csr FILE                    ca issue: the PEM certificate signing request (agent-csr)
              -h, --help                    show this help

            Exit codes: 0 success, 1 failure, 2 usage error.
            """;

    private KeysCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Clock.systemUTC()));
    }

    /** {@link #main} without {@code System.exit}: returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, Clock clock) {
        if (args.length == 0) {
            return usage(err, "no command given");
        }
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help"))) {
            out.print(USAGE_TEXT);
            return OK;
        }
        String command = args[0];
        int first = 1;
        if (command.equals("ca")) {
            if (args.length < 2 || args[1].startsWith("-")) {
                return usage(err, "'ca' needs a subcommand: init or issue");
            }
            command = "ca " + args[1];
            first = 2;
        }
        Set<String> allowed = COMMANDS.get(command);
        if (allowed == null) {
            return usage(err, "unknown command '" + command + "'");
        }
        Map<String, String> options = new HashMap<>();
        for (int i = first; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) {
                out.print(USAGE_TEXT);
                return OK;
            }
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                value = null;
            }
            if (!allowed.contains(name)) {
                return usage(err, "'" + command + "' does not take '" + name + "'");
            }
            if (value == null) {
                return usage(err, "'" + name + "' needs a value");
            }
            if (options.put(name, value) != null) {
                return usage(err, "'" + name + "' given twice");
            }
        }
        if (REQUIRED.containsKey(command)) {
            for (String required : REQUIRED.get(command)) {
                String value = options.get(required);
                if (value == null || value.isBlank()) {
                    return usage(err, "'" + required + "' is required");
                }
            }
            try {
                return switch (command) {
                    case "agent-key" -> agentKey(options, clock, out, err);
                    case "cluster-secret" -> clusterSecret(options, err);
                    case "client-assertion" -> clientAssertion(options, clock, out, err);
                    case "agent-csr" -> agentCsr(options, out, err);
                    case "ca init" -> caInit(options, clock, out, err);
                    case "ca issue" -> caIssue(options, clock, out, err);
                    default -> throw new IllegalStateException(command);
                };
            } catch (KeyFileException | IllegalStateException | CertificateRequestException e) {
                err.println("error: " + e.getMessage());
                return FAILURE;
            }
        }
        String dataDir = options.get(DATA_DIR);
        if (dataDir == null || dataDir.isBlank()) {
            return usage(err, "'" + DATA_DIR + "' is required");
        }
        Duration activateIn;
        Duration maxTokenLifetime;
        Duration clockSkew;
        try {
            activateIn = seconds(options, ACTIVATE_IN, DEFAULT_ACTIVATE_IN, false);
            maxTokenLifetime = seconds(options, MAX_TOKEN_LIFETIME, DEFAULT_MAX_TOKEN_LIFETIME, true);
            clockSkew = seconds(options, CLOCK_SKEW, DEFAULT_CLOCK_SKEW, false);
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }

        KeyStoreFile store = KeyStoreFile.in(Path.of(dataDir));
        try {
            return switch (command) {
                case "generate" -> generate(store, clock, out);
                case "rotate" -> rotate(store, clock, activateIn, maxTokenLifetime, clockSkew, out, err);
                case "prune" -> prune(store, clock, maxTokenLifetime, clockSkew, out);
                case "list" -> list(store, clock, maxTokenLifetime, clockSkew, out);
                case "jwks" -> jwks(store, clock, maxTokenLifetime, clockSkew, out);
                default -> throw new IllegalStateException(command);
            };
        } catch (KeyFileException | IllegalStateException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return FAILURE;
        }
    }

    private static int generate(KeyStoreFile store, Clock clock, PrintStream out) {
        if (store.exists()) {
            KeyRing ring = store.load();
            out.println("signing keys already exist in " + store.path() + " (" + ring.keys().size()
                    + " keys); nothing to do. Use 'rotate' to add a key.");
            return OK;
        }
        KeyRing ring = store.loadOrCreate(clock);
        out.println("generated signing key " + ring.signingKeyId(clock.instant()) + " in " + store.path());
        return OK;
    }

    private static int rotate(KeyStoreFile store, Clock clock, Duration activateIn, Duration maxTokenLifetime,
            Duration clockSkew, PrintStream out, PrintStream err) {
        if (activateIn.isZero()) {
            err.println("warning: --activate-in 0 activates the new key immediately. Relying parties with a"
                    + " cached JWKS may reject tokens signed with it until they refetch the JWKS.");
        } else if (activateIn.compareTo(JWKS_MAX_AGE) < 0) {
            err.println("warning: --activate-in " + activateIn.toSeconds() + " is shorter than the JWKS cache"
                    + " max-age (" + JWKS_MAX_AGE.toSeconds() + " s); relying parties with a cached JWKS may"
                    + " reject new tokens until they refetch it.");
        }
        Set<String> before = store.exists()
                ? store.load().keys().stream().map(ManagedKey::kid).collect(Collectors.toSet())
                : Set.of();
        KeyRing ring = store.rotate(clock, activateIn, maxTokenLifetime, clockSkew);
        for (ManagedKey key : ring.keys()) {
            if (!before.contains(key.kid())) {
                out.println("added signing key " + key.kid() + ": published now, signing from "
                        + key.activatesAt());
            }
        }
        long pruned = before.stream().filter(kid -> ring.find(kid).isEmpty()).count();
        if (pruned > 0) {
            out.println("pruned " + pruned + " expired key(s)");
        }
        return OK;
    }

    private static int prune(KeyStoreFile store, Clock clock, Duration maxTokenLifetime, Duration clockSkew,
            PrintStream out) {
        int before = store.load().keys().size();
        KeyRing ring = store.prune(clock, maxTokenLifetime, clockSkew);
        out.println("pruned " + (before - ring.keys().size()) + " expired key(s); " + ring.keys().size()
                + " remain");
        return OK;
    }

    private static int list(KeyStoreFile store, Clock clock, Duration maxTokenLifetime, Duration clockSkew,
            PrintStream out) {
        KeyRing ring = store.load();
        List<KeyStatus> status = ring.status(clock.instant(), maxTokenLifetime, clockSkew);
        String format = "%-43s  %-20s  %-20s  %s%n";
        out.printf(format, "KID", "CREATED", "ACTIVATES", "STATE");
        for (KeyStatus s : status) {
            out.printf(format, s.key().kid(), s.key().createdAt(), s.key().activatesAt(), describe(s));
        }
        return OK;
    }

    static String describe(KeyStatus status) {
        return switch (status.state()) {
            case PENDING -> "pending";
            case ACTIVE -> "active";
            case RETIRED -> "retired-until " + status.publishedUntil().orElseThrow();
            case EXPIRED -> "expired";
        };
    }

    private static int jwks(KeyStoreFile store, Clock clock, Duration maxTokenLifetime, Duration clockSkew,
            PrintStream out) {
        JWKSet jwks = store.load().publicJwks(clock.instant(), maxTokenLifetime, clockSkew);
        out.println(JSONObjectUtils.toJSONString(jwks.toJSONObject(true)));
        return OK;
    }

    private static int agentKey(Map<String, String> options, Clock clock, PrintStream out, PrintStream err) {
        String kid = options.get(KID);
        if (kid != null) {
            try {
                AgentKeyFile.checkKid(kid);
            } catch (IllegalArgumentException e) {
                return usage(err, "'" + KID + "': " + e.getMessage());
            }
        }
        Path file = Path.of(options.get(OUT));
        ECKey key = AgentKeyFile.generate(clock, kid);
        AgentKeyFile.create(file, key);
        out.println(JSONObjectUtils.toJSONString(new JWKSet(key.toPublicJWK()).toJSONObject(true)));
        err.println("wrote the private agent key " + key.getKeyID() + " to " + file
                + " (0600); register the public JWK set above as the agent's \"jwks\"");
        return OK;
    }

    private static int clusterSecret(Map<String, String> options, PrintStream err) {
        Path file = Path.of(options.get(OUT));
        ClusterSecretFile.create(file);
        err.println("wrote a new cluster secret to " + file + " (0600); give every cluster member the same file"
                + " as ISSUER_CLUSTER_SECRET_FILE");
        return OK;
    }

    private static int clientAssertion(Map<String, String> options, Clock clock, PrintStream out,
            PrintStream err) {
        String agentId = options.get(AGENT);
        String audience = options.get(AUDIENCE);
        Duration lifetime;
        try {
            ClientAssertion.checkAgentId(agentId);
            ClientAssertion.checkAudience(audience);
            lifetime = seconds(options, LIFETIME, ClientAssertion.DEFAULT_LIFETIME, true);
            if (lifetime.compareTo(ClientAssertion.MAX_LIFETIME) > 0) {
                throw new IllegalArgumentException("'" + LIFETIME + "' must be at most "
                        + ClientAssertion.MAX_LIFETIME.toSeconds() + " (the longest assertion the issuer accepts)");
            }
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        ECKey key = AgentKeyFile.load(Path.of(options.get(KEY)));
        out.println(ClientAssertion.sign(key, agentId, audience, lifetime, clock).serialize());
        return OK;
    }

    private static int agentCsr(Map<String, String> options, PrintStream out, PrintStream err) {
        String agentId = options.get(AGENT);
        try {
            AgentCa.checkAgentId(agentId);
        } catch (IllegalArgumentException e) {
            return usage(err, "'" + AGENT + "': " + e.getMessage());
        }
        ECKey key = AgentKeyFile.load(Path.of(options.get(KEY)));
        out.print(Pem.encode(AgentCsr.create(key, agentId)));
        return OK;
    }

    private static int caInit(Map<String, String> options, Clock clock, PrintStream out, PrintStream err) {
        Path dataDir = Path.of(options.get(DATA_DIR));
        if (AgentCa.exists(dataDir)) {
            AgentCa ca = AgentCa.load(dataDir, clock);
            err.println("an agent CA already exists in " + dataDir.resolve("ca") + " (valid until "
                    + ca.certificate().getNotAfter().toInstant() + "); nothing to do");
            out.print(Pem.encode(ca.certificate()));
            return OK;
        }
        AgentCa ca = AgentCa.create(dataDir, clock);
        err.println("created the agent CA in " + dataDir.resolve("ca") + " (key 0600), valid until "
                + ca.certificate().getNotAfter().toInstant() + "; relying parties trust the certificate below");
        out.print(Pem.encode(ca.certificate()));
        return OK;
    }

    private static int caIssue(Map<String, String> options, Clock clock, PrintStream out, PrintStream err) {
        String agentId = options.get(AGENT);
        Duration lifetime;
        try {
            AgentCa.checkAgentId(agentId);
            lifetime = seconds(options, LIFETIME, AgentCa.DEFAULT_LIFETIME, true);
            if (lifetime.compareTo(AgentCa.MAX_LIFETIME) > 0) {
                throw new IllegalArgumentException("'" + LIFETIME + "' must be at most "
                        + AgentCa.MAX_LIFETIME.toSeconds() + " (7 days) for a certificate");
            }
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        Path csrFile = Path.of(options.get(CSR));
        String pem;
        try {
            if (Files.size(csrFile) > 64 * 1024) {
                err.println("error: " + csrFile + " is too large for a certificate signing request");
                return FAILURE;
            }
            pem = Files.readString(csrFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            err.println("error: cannot read " + csrFile + ": " + e.getMessage());
            return FAILURE;
        }
        AgentCa ca = AgentCa.load(Path.of(options.get(DATA_DIR)), clock);
        X509Certificate certificate = ca.issue(Pem.decodeCsr(pem), agentId, lifetime);
        out.print(Pem.encode(certificate));
        err.println("issued a certificate for agent " + agentId + " until " + certificate.getNotAfter().toInstant()
                + "; x5t#S256 " + AgentCa.thumbprintS256(certificate));
        return OK;
    }

    private static Duration seconds(Map<String, String> options, String name, Duration defaultValue,
            boolean positive) {
        String value = options.get(name);
        if (value == null) {
            return defaultValue;
        }
        long seconds;
        try {
            seconds = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' must be a whole number of seconds, not '" + value + "'");
        }
        if (seconds < 0 || (positive && seconds == 0)) {
            throw new IllegalArgumentException("'" + name + "' must be " + (positive ? "positive" : "0 or more"));
        }
        return Duration.ofSeconds(seconds);
    }

    private static int usage(PrintStream err, String problem) {
        err.println("error: " + problem);
        err.println();
        err.print(USAGE_TEXT);
        return USAGE;
    }
}
