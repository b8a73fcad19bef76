package dev.agentid.issuer.audit;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the audit log checkpoints, rolls and forgets.
 *
 * @param checkpointEvery a signed checkpoint after at most this many records ({@code ISSUER_AUDIT_CHECKPOINT_RECORDS})
 * @param checkpointInterval and at most this long after the first record it does not cover yet
 *     ({@code ISSUER_AUDIT_CHECKPOINT_SECONDS})
 * @param segmentAge a segment is sealed at the first checkpoint after it is this old
 * @param segmentBytes or this large
 * @param retention sealed segments whose last write is older than this are deleted ({@code
 *     ISSUER_AUDIT_RETENTION_DAYS}); zero keeps everything
 * @param peers the other nodes' HTTP base URLs ({@code ISSUER_AUDIT_PEERS}), asked by {@code GET /admin/audit} for
 *     the whole cluster; empty: this node only
 */
public record AuditSettings(int checkpointEvery, Duration checkpointInterval, Duration segmentAge, long segmentBytes,
                            Duration retention, List<String> peers) {

    public static final AuditSettings DEFAULT = new AuditSettings(1000, Duration.ofSeconds(60), Duration.ofDays(1),
            64L << 20, Duration.ZERO);

    public AuditSettings {
        peers = List.copyOf(peers);
    }

    /** Without peers. */
    public AuditSettings(int checkpointEvery, Duration checkpointInterval, Duration segmentAge, long segmentBytes,
                         Duration retention) {
        this(checkpointEvery, checkpointInterval, segmentAge, segmentBytes, retention, List.of());
    }

    /**
     * Parses {@code ISSUER_AUDIT_PEERS}: comma-separated {@code http(s)://host:port} base URLs, no path.
     *
     * @throws IllegalArgumentException naming the first malformed entry
     */
    public static List<String> parsePeers(String value) {
        List<String> peers = new ArrayList<>();
        if (value == null || value.isBlank()) {
            return peers;
        }
        for (String raw : value.split(",")) {
            String peer = raw.trim();
            while (peer.endsWith("/")) {
                peer = peer.substring(0, peer.length() - 1);
            }
            URI uri;
            try {
                uri = new URI(peer);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("ISSUER_AUDIT_PEERS: '" + raw.trim() + "' is not a URL");
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getPath() != null && !uri.getPath().isEmpty()) || uri.getQuery() != null
                    || uri.getUserInfo() != null) {
                throw new IllegalArgumentException("ISSUER_AUDIT_PEERS: '" + raw.trim()
                        + "' must be an http(s)://host:port base URL of another node");
            }
            peers.add(peer);
        }
        return peers;
    }
}
