package dev.agentid.issuer;

import dev.agentid.issuer.audit.AuditSettings;
import dev.agentid.issuer.http.RateLimiter;
import dev.agentid.issuer.store.ClusterSecret;
import dev.agentid.issuer.store.ClusterSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Issuer configuration from environment variables; the same names may appear as keys in an optional
 * properties file given with {@code --config FILE}. The environment wins over the file.
 */
public record IssuerConfig(
        String host,
        int port,
        String issuerUrl,           // null: derived from the bound port
        Path dataDir,
        String adminToken,          // null: generated into DATA_DIR/admin-token
        Duration maxTokenLifetime,
        int maxDelegationDepth,
        Duration clockSkew,
        Duration maxAssertionLifetime,              // client assertions: exp at most this far ahead (plus skew)
        Duration keysReloadInterval,
        dev.agentid.issuer.binding.TlsSettings tls,   // null: plain HTTP
        Path attestersFile,                           // null: no trusted attesters
        ClusterSettings cluster,                      // null: a single node on its embedded store
        Path trustFile,                               // null: no partner organisations, no identity providers
        Duration partnerStatusRefresh,                // how often partners' status lists are fetched
        Outbound outbound,                            // fetches from partners and IdPs: deadline, loopback http
        int eventLoops,                               // HTTP servers (event loops) on the port
        RateLimiter.Settings rateLimits,                // token endpoint; 0: off
        AuditSettings audit,                          // checkpoints, segments, retention of the audit log
        Observability observability,                  // log format, access log, debug
        java.net.URI approvalWebhook,               // null: no webhook for pending approvals
        dev.agentid.issuer.monitor.MonitorSettings monitor,     // behavioural monitoring (docs/MONITORING.md)
        dev.agentid.issuer.lifecycle.LifecycleSettings lifecycle) {   // access reviews, key age

    /**
     * How the issuer reports: {@code ISSUER_LOG_FORMAT} (text or json), {@code ISSUER_ACCESS_LOG} (one line per
     * request) and {@code ISSUER_DEBUG} (stack traces in startup errors).
     */
    public record Observability(boolean jsonLogs, boolean accessLog, boolean debug) {
        public static final Observability DEFAULT = new Observability(false, false, false);
    }

    /**
     * Requests to partners and IdPs: {@code ISSUER_FEDERATION_FETCH_TIMEOUT_MILLIS} (overall deadline, body
     * included) and {@code ISSUER_FEDERATION_LOOPBACK_HTTP} (development only: allow http to loopback addresses).
     */
    public record Outbound(Duration fetchTimeout, boolean loopbackHttp) {
        public static final Outbound DEFAULT = new Outbound(Duration.ofMillis(5000), false);
    }

    public static final int DEFAULT_PORT = 8080;

    public static IssuerConfig load(Map<String, String> env, Path configFile) {
        Map<String, String> values = new HashMap<>();
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile)) {
                file.load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + configFile + ": " + e.getMessage());
            }
            Settings.requireKnown(file.stringPropertyNames(), "key", configFile.toString());
            file.stringPropertyNames().forEach(k -> values.put(k, file.getProperty(k).trim()));
        }
        Map<String, String> fromEnv = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("ISSUER_")) {
                fromEnv.put(k, v);
            }
        });
        Settings.requireKnown(new TreeSet<>(fromEnv.keySet()), "environment variable", null);
        values.putAll(fromEnv);
        return fromValues(values);
    }

    static IssuerConfig fromValues(Map<String, String> v) {
        Settings.requireKnown(v.keySet(), "setting", null);
        String host = v.getOrDefault("ISSUER_HOST", "127.0.0.1");
        int port = intValue(v, "ISSUER_PORT", DEFAULT_PORT, 0, 65535);
        String url = blankToNull(v.get("ISSUER_URL"));
        if (url != null && url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        Path dataDir = Path.of(v.getOrDefault("ISSUER_DATA_DIR", "./data")).toAbsolutePath().normalize();
        String admin = blankToNull(v.get("ISSUER_ADMIN_TOKEN"));
        if (admin != null && admin.length() < 16) {
            throw new IllegalArgumentException("ISSUER_ADMIN_TOKEN must be at least 16 characters");
        }
        Duration maxLifetime = Duration.ofSeconds(intValue(v, "ISSUER_MAX_TOKEN_TTL_SECONDS", 3600, 1, 86_400));
        int maxDepth = intValue(v, "ISSUER_MAX_DELEGATION_DEPTH", 5, 1, 10);
        Duration skew = Duration.ofSeconds(intValue(v, "ISSUER_CLOCK_SKEW_SECONDS", 60, 0, 300));
        Duration maxAssertion = Duration.ofSeconds(intValue(v, "ISSUER_MAX_ASSERTION_LIFETIME_SECONDS", 300, 1,
                3600));
        Duration reload = Duration.ofMillis(intValue(v, "ISSUER_KEYS_RELOAD_MILLIS", 1000, 100, 600_000));
        dev.agentid.issuer.binding.TlsSettings tls = dev.agentid.issuer.binding.TlsSettings.fromValues(v);
        String attesters = blankToNull(v.get("ISSUER_ATTESTERS_FILE"));
        Path attestersFile = attesters == null ? null : Path.of(attesters).toAbsolutePath().normalize();
        ClusterSettings cluster = cluster(v);
        if (cluster != null && url == null) {
            throw new IllegalArgumentException("ISSUER_URL is required with ISSUER_CLUSTER_*: every node must mint and"
                    + " accept tokens of the same issuer");
        }
        String trust = blankToNull(v.get("ISSUER_TRUST_FILE"));
        Path trustFile = trust == null ? null : Path.of(trust).toAbsolutePath().normalize();
        Duration partnerRefresh = Duration.ofMillis(intValue(v, "ISSUER_PARTNER_STATUS_REFRESH_MILLIS", 5000, 100,
                600_000));
        Outbound outbound = new Outbound(Duration.ofMillis(intValue(v, "ISSUER_FEDERATION_FETCH_TIMEOUT_MILLIS", 5000,
                100, 60_000)), booleanValue(v, "ISSUER_FEDERATION_LOOPBACK_HTTP"));
        int eventLoops = intValue(v, "ISSUER_EVENT_LOOPS", Runtime.getRuntime().availableProcessors(), 1, 64);
        String logFormat = v.getOrDefault("ISSUER_LOG_FORMAT", "text").trim();
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new IllegalArgumentException("ISSUER_LOG_FORMAT must be text or json");
        }
        Observability observability = new Observability(logFormat.equals("json"),
                booleanValue(v, "ISSUER_ACCESS_LOG"), booleanValue(v, "ISSUER_DEBUG"));
        return new IssuerConfig(host, port, url, dataDir, admin, maxLifetime, maxDepth, skew, maxAssertion, reload, tls,
                attestersFile, cluster, trustFile, partnerRefresh, outbound, eventLoops, RateLimiter.Settings.fromValues(v),
                audit(v), observability, approvalWebhook(v), dev.agentid.issuer.monitor.MonitorSettings.fromValues(v),
                dev.agentid.issuer.lifecycle.LifecycleSettings.fromValues(v));
    }

    /** {@code ISSUER_APPROVAL_WEBHOOK}: an http(s) URL told of each new pending approval (docs/APPROVALS.md). */
    private static java.net.URI approvalWebhook(Map<String, String> v) {
        String raw = blankToNull(v.get("ISSUER_APPROVAL_WEBHOOK"));
        if (raw == null) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(raw);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || uri.getUserInfo() != null) {
                throw new IllegalArgumentException("ISSUER_APPROVAL_WEBHOOK must be an http(s) URL without user info");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("ISSUER_APPROVAL_WEBHOOK is not a URL");
        }
    }

    private static AuditSettings audit(Map<String, String> v) {
        return new AuditSettings(intValue(v, "ISSUER_AUDIT_CHECKPOINT_RECORDS", 1000, 1, 1_000_000),
                Duration.ofSeconds(intValue(v, "ISSUER_AUDIT_CHECKPOINT_SECONDS", 60, 1, 86_400)),
                Duration.ofSeconds(intValue(v, "ISSUER_AUDIT_SEGMENT_SECONDS", 86_400, 0, 365 * 86_400)),
                AuditSettings.DEFAULT.segmentBytes(),
                Duration.ofDays(intValue(v, "ISSUER_AUDIT_RETENTION_DAYS", 0, 0, 36_500)),
                AuditSettings.parsePeers(v.get("ISSUER_AUDIT_PEERS")));
    }

    /**
     * ISSUER_CLUSTER_BIND (host:port this node listens on), ISSUER_CLUSTER_MEMBERS (comma-separated host:port list,
     * this node included) and ISSUER_CLUSTER_NAME: all three or none (none: a single node); with them,
     * ISSUER_CLUSTER_SECRET_FILE (the cluster's shared secret) is required. See docs/CLUSTER.md.
     */
    private static ClusterSettings cluster(Map<String, String> v) {
        String bind = blankToNull(v.get("ISSUER_CLUSTER_BIND"));
        String members = blankToNull(v.get("ISSUER_CLUSTER_MEMBERS"));
        String name = blankToNull(v.get("ISSUER_CLUSTER_NAME"));
        String secretFile = blankToNull(v.get("ISSUER_CLUSTER_SECRET_FILE"));
        if (bind == null && members == null && name == null) {
            if (secretFile != null) {
                throw new IllegalArgumentException("ISSUER_CLUSTER_SECRET_FILE is set but ISSUER_CLUSTER_BIND,"
                        + " ISSUER_CLUSTER_MEMBERS and ISSUER_CLUSTER_NAME are not");
            }
            return null;
        }
        if (bind == null || members == null || name == null) {
            throw new IllegalArgumentException("set all of ISSUER_CLUSTER_BIND, ISSUER_CLUSTER_MEMBERS and"
                    + " ISSUER_CLUSTER_NAME, or none of them");
        }
        try {
            ClusterSecret secret = secretFile == null ? null
                    : ClusterSecret.load(Path.of(secretFile).toAbsolutePath().normalize());
            return ClusterSettings.parse(bind, members, name, secret);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw new IllegalArgumentException(message.startsWith("ISSUER_CLUSTER_") ? message
                    : "ISSUER_CLUSTER_MEMBERS/ISSUER_CLUSTER_BIND: " + message);
        }
    }

    private static int intValue(Map<String, String> v, String name, int def, int min, int max) {
        String raw = blankToNull(v.get(name));
        if (raw == null) {
            return def;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
    }

    private static boolean booleanValue(Map<String, String> v, String name) {
        String raw = blankToNull(v.get(name));
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return false;
        }
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        throw new IllegalArgumentException(name + " must be true or false");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** The issuer identifier once the port is known. */
    public String issuerUrlFor(int boundPort) {
        String scheme = tls != null ? "https://" : "http://";   // TLS on ISSUER_PORT when ISSUER_TLS_* are set
        return issuerUrl != null ? issuerUrl : scheme + hostForUrl() + ":" + boundPort;
    }

    private String hostForUrl() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {   // never prints the admin token
        return "IssuerConfig[host=" + host + ", port=" + port + ", issuerUrl=" + issuerUrl + ", dataDir=" + dataDir
                + ", adminToken=" + (adminToken == null ? "<generated>" : "<set>") + ", maxTokenLifetime="
                + maxTokenLifetime + ", maxDelegationDepth=" + maxDelegationDepth + ", clockSkew=" + clockSkew
                + ", maxAssertionLifetime=" + maxAssertionLifetime
                + ", tls=" + tls + ", attestersFile=" + attestersFile + ", cluster=" + cluster + ", trustFile=" + trustFile
                + ", partnerStatusRefresh=" + partnerStatusRefresh + ", outbound=" + outbound + ", eventLoops=" + eventLoops + ", rateLimits="
                + rateLimits + ", audit=" + audit + ", " + observability + ", monitor=" + (monitor.enabled() ? "on" : "off") + "]";
    }
}
