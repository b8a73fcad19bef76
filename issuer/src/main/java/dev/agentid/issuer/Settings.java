package dev.agentid.issuer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every configuration variable the issuer reads, once: its name, default and meaning. {@code --help} prints this
 * table, and a name that is not in it refuses to
 * start with the nearest valid name as a suggestion, so that a typo such as {@code ISSUER_PROT} is never silently
 * ignored.
 */
public final class Settings {

    /** One variable. */
    public record Setting(String name, String defaultValue, String meaning) {
    }

    private static final Map<String, Setting> ALL = new LinkedHashMap<>();

    static {
        add("ISSUER_HOST", "127.0.0.1", "address the HTTP listener binds to");
        add("ISSUER_PORT", "8080", "HTTP port (0: any free port, written to DATA_DIR/port)");
        add("ISSUER_URL", "http://HOST:PORT", "issuer identifier (iss); required when clustered");
        add("ISSUER_DATA_DIR", "./data", "state, keys and admin token; created owner-only");
        add("ISSUER_ADMIN_TOKEN", "generated into DATA_DIR/admin-token", "bearer token of the admin API (>= 16 chars)");
        add("ISSUER_MAX_TOKEN_TTL_SECONDS", "3600", "longest lifetime of any token (1..86400)");
        add("ISSUER_MAX_DELEGATION_DEPTH", "5", "deepest act chain for any agent (1..10)");
        add("ISSUER_CLOCK_SKEW_SECONDS", "60", "tolerated clock difference for iat/nbf/exp (0..300)");
        add("ISSUER_MAX_ASSERTION_LIFETIME_SECONDS", "300",
                "longest a client assertion may live: exp at most this after arrival, plus the skew (1..3600)");
        add("ISSUER_KEYS_RELOAD_MILLIS", "1000", "how often key, trust and attester files are re-read");
        add("ISSUER_EVENT_LOOPS", "number of cores", "HTTP servers (event loops) sharing the port (1..64)");
        add("ISSUER_ATTESTERS_FILE", "none", "trusted workload attesters (JSON)");
        add("ISSUER_TRUST_FILE", "none", "partner organisations and OpenID Providers (JSON)");
        add("ISSUER_PARTNER_STATUS_REFRESH_MILLIS", "5000", "how often partners' status lists are fetched");
        add("ISSUER_FEDERATION_FETCH_TIMEOUT_MILLIS", "5000",
                "deadline of any fetch from a partner or IdP, body included (100..60000)");
        add("ISSUER_FEDERATION_LOOPBACK_HTTP", "false",
                "development only: true allows http (not https) to loopback partners and IdPs");
        add("ISSUER_CLUSTER_BIND", "none (single node)", "host:port this node's cluster transport binds to");
        add("ISSUER_CLUSTER_MEMBERS", "none", "every member's host:port, comma-separated, this node included");
        add("ISSUER_CLUSTER_NAME", "none", "cluster name; nodes with another name never join");
        add("ISSUER_CLUSTER_SECRET_FILE", "none (required when clustered)",
                "0600 file with the cluster's shared secret (keys.jar cluster-secret --out FILE)");
        add("ISSUER_TLS_CERT", "none (plain HTTP)", "PEM certificate chain of the HTTPS listener");
        add("ISSUER_TLS_KEY", "none", "PEM private key of the HTTPS listener");
        add("ISSUER_TLS_CLIENT_CA", "none", "PEM CA of agent client certificates (tls_client_auth)");
        add("ISSUER_RATE_LIMIT_CLIENT_PER_SECOND", "0 (off)", "token requests per second per authenticated agent");
        add("ISSUER_RATE_LIMIT_CLIENT_BURST", "2 x the rate", "bucket size per agent");
        add("ISSUER_RATE_LIMIT_ADDRESS_PER_SECOND", "0 (off)", "token requests per second per remote address");
        add("ISSUER_RATE_LIMIT_ADDRESS_BURST", "2 x the rate", "bucket size per address");
        add("ISSUER_RATE_LIMIT_MAX_KEYS", "100000", "rate-limit buckets kept per kind (idle ones are evicted)");
        add("ISSUER_AUDIT_RETENTION_DAYS", "0 (keep everything)",
                "audit log segments older than this are deleted, whole, at a checkpoint (0..36500)");
        add("ISSUER_AUDIT_CHECKPOINT_RECORDS", "1000", "a signed audit checkpoint after at most this many records");
        add("ISSUER_AUDIT_CHECKPOINT_SECONDS", "60", "and at most this long after the first record not yet covered");
        add("ISSUER_AUDIT_SEGMENT_SECONDS", "86400", "an audit segment is sealed at the first checkpoint after this long");
        add("ISSUER_AUDIT_PEERS", "none (this node only)",
                "the other nodes' http(s)://host:port, comma-separated: GET /admin/audit answers for all of them");
        add("ISSUER_APPROVAL_WEBHOOK", "none",
                "http(s) URL POSTed (fire and forget, no token) for each request that awaits a human's approval");
        add("ISSUER_MONITOR", "on", "on or off: behavioural monitoring of the agents (docs/MONITORING.md)");
        add("ISSUER_MONITOR_FILE", "none (the defaults)",
                "JSON: detectors' thresholds and severities, globally and per agent; responses; webhook");
        add("ISSUER_REVIEW_DAYS", "90", "access review period of a registration (until recertified), days");
        add("ISSUER_REVIEW_POLICY", "alert", "alert or suspend: what an overdue access review does");
        add("ISSUER_KEY_MAX_AGE_DAYS", "365", "an agent key older than this is reported overdue for rotation, and alerted");
        add("ISSUER_KEY_REFUSE_AFTER_DAYS", "off",
                "an agent key older than this no longer authenticates (invalid_client, T26): rotate before");
        add("ISSUER_SSF_MAX_EVENT_AGE_SECONDS", "3600",
                "a Security Event Token an identity provider pushes to /ssf/events is refused when older (iat)");
        add("ISSUER_LOG_FORMAT", "text", "text, or json: one JSON object per log line");
        add("ISSUER_ACCESS_LOG", "false", "true: one log line per HTTP request");
        add("ISSUER_DEBUG", "false", "true: stack traces in startup errors");
    }

    private Settings() {
    }

    private static void add(String name, String def, String meaning) {
        ALL.put(name, new Setting(name, def, meaning));
    }

    /** Every setting, in the order {@code --help} lists them. */
    public static List<Setting> all() {
        return List.copyOf(ALL.values());
    }

    public static boolean known(String name) {
        return ALL.containsKey(name);
    }

    /**
     * Refuses names that are not settings.
     *
     * @param names the names given
     * @param where where the names come from, for the message: "environment variable", "key", ...
     * @param source the file they come from, or null
     * @throws IllegalArgumentException naming the first unknown name and the nearest valid one
     */
    public static void requireKnown(Iterable<String> names, String where, String source) {
        for (String name : names) {
            if (!known(name)) {
                String nearest = nearest(name);
                throw new IllegalArgumentException("unknown " + where + " '" + name + "'"
                        + (source == null ? "" : " in " + source)
                        + (nearest == null ? "" : ": did you mean " + nearest + "?")
                        + " (java -jar issuer.jar --help lists every setting)");
            }
        }
    }

    /**
     * The valid name closest to {@code name}: case and a missing {@code ISSUER_} prefix are forgiven, then the
     * smallest edit distance wins, then the setting that shares the most words; null if nothing is close.
     */
    static String nearest(String name) {
        String wanted = name.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
        if (!wanted.startsWith("ISSUER_")) {
            wanted = "ISSUER_" + wanted;
        }
        if (known(wanted)) {
            return wanted;
        }
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String candidate : ALL.keySet()) {
            int distance = distance(wanted, candidate);
            // words shared with the candidate (ISSUER_MAX_TTL ~ ISSUER_MAX_TOKEN_TTL_SECONDS) make it closer
            int shared = 0;
            List<String> words = List.of(candidate.split("_"));
            for (String word : wanted.split("_")) {
                if (!word.equals("ISSUER") && words.contains(word)) {
                    shared++;
                }
            }
            int score = distance - 6 * shared;
            if (score < bestScore) {
                bestScore = score;
                best = candidate;
            }
        }
        // a name that is neither a near spelling nor shares a word is not "meant" as any setting
        return bestScore <= Math.max(3, wanted.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The {@code --help} text: usage and every setting with its default and meaning. */
    public static String help() {
        StringBuilder text = new StringBuilder("usage: java -jar issuer.jar [--config FILE] [--help] [--version]\n"
                + "       java -jar issuer.jar audit-verify [--data-dir DIR] [--jwks FILE]... [--checkpoint FILE]...\n\n"
                + "Settings come from environment variables, or from KEY=value lines in the --config file (the\n"
                + "environment wins). An unknown ISSUER_* name refuses to start.\n\n");
        int width = ALL.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Setting s : ALL.values()) {
            text.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n  %" + width + "s  default: %s%n",
                    s.name(), s.meaning(), "", s.defaultValue()));
        }
        return text.toString();
    }
}
