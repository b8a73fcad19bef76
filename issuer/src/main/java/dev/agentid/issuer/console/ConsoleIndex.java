package dev.agentid.issuer.console;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditQuery;
import dev.agentid.issuer.audit.AuditRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the console shows that only the audit trail knows, read incrementally from this node's audit log (the issuer
 * keeps no per-token state, issue 9): each agent's last token (last use), when each of its keys first appeared (key
 * age), and the live chains: the issuance records whose tokens have not expired yet. Each {@link #refresh} reads only
 * the bytes written after the last record seen ({@link AuditQuery#tail}), at most once per {@link #MIN_REFRESH}. Blocking (it reads files): call it on a
 * worker. Thread-safe.
 */
final class ConsoleIndex {

    static final Duration MIN_REFRESH = Duration.ofMillis(250);
    /** Live tokens kept at most (about 300 bytes each): the graph and the agent view show chains among these. */
    static final int MAX_LIVE = 100_000;
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ConsoleIndex.class.getName());

    /** One actor of a chain: agent id and issuer (null: this issuer). */
    record Actor(String agent, String issuer) {
    }

    /**
     * A token that has not expired: its chain (current actor first), its ancestors' jtis (root first), its principal.
     */
    record LiveToken(String jti, String agent, String principal, List<Actor> chain, List<String> ancestors,
                     Instant issuedAt, Instant expiresAt, String grant, String approval) {
    }

    private final AuditQuery query;
    private final Clock clock;
    private AuditQuery.Position position = AuditQuery.Position.START;
    private Instant refreshedAt = Instant.MIN;
    private final Map<String, Instant> lastUse = new HashMap<>();
    private final Map<String, Map<String, Instant>> keysSeen = new HashMap<>();
    private final Map<String, LiveToken> live = new LinkedHashMap<>();

    ConsoleIndex(Path auditDirectory, Clock clock) {
        this.query = new AuditQuery(auditDirectory);
        this.clock = clock;
    }

    /** Reads the records written since the last refresh and drops expired tokens. Blocking. */
    synchronized void refresh() throws IOException {
        Instant now = clock.instant();
        if (now.isBefore(refreshedAt.plus(MIN_REFRESH)) && !refreshedAt.equals(Instant.MIN)) {
            return;
        }
        boolean first = position.segment() == null;
        long started = System.nanoTime();
        position = query.tail(position, this::take);
        if (first) {
            LOG.info(() -> "console: read the audit log up to seq " + position.seq() + " in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms (" + live.size() + " live tokens)");
        }
        live.values().removeIf(t -> !t.expiresAt().isAfter(now));
        refreshedAt = now;
    }

    private void take(AuditRecord r) {
        if (AuditEvent.TOKEN_ISSUED.equals(r.type())) {
            String agent = r.field("agent");
            if (agent != null) {
                lastUse.merge(agent, r.time(), (a, b) -> a.isAfter(b) ? a : b);
            }
            Object exp = r.fields().get("exp");
            String jti = r.field("jti");
            if (jti != null && exp instanceof Number n) {
                live.put(jti, new LiveToken(jti, agent, r.field("principal"), chain(r), strings(r.fields().get("anc")),
                        r.time(), Instant.ofEpochSecond(n.longValue()), r.field("grant"), r.field("approval")));
                if (live.size() > MAX_LIVE) {   // a busy issuer: the newest ones only (insertion order is issuance)
                    var oldest = live.keySet().iterator();
                    oldest.next();
                    oldest.remove();
                }
            }
        } else if (AuditEvent.AGENT_REGISTERED.equals(r.type()) || AuditEvent.AGENT_UPDATED.equals(r.type())) {
            // the same reading as the governance report's key ages (GovernanceReports.keyFirstSeen)
            if (!(r.fields().get("changes") instanceof Map<?, ?> changes)) {
                return;
            }
            Object kids = changes.get("jwks_kids");
            if (kids instanceof Map<?, ?> change) {
                kids = change.get("to");
            }
            if (kids instanceof List<?> list) {
                Map<String, Instant> mine = keysSeen.computeIfAbsent(r.field("agent"), a -> new HashMap<>());
                list.forEach(k -> mine.putIfAbsent(String.valueOf(k), r.time()));
            }
        }
    }

    private static List<Actor> chain(AuditRecord r) {
        List<Actor> actors = new ArrayList<>();
        if (r.fields().get("chain") instanceof List<?> chain) {
            for (Object a : chain) {
                if (a instanceof Map<?, ?> m) {
                    actors.add(new Actor(String.valueOf(m.get("sub")), m.get("iss") == null ? null
                            : String.valueOf(m.get("iss"))));
                }
            }
        }
        return List.copyOf(actors);
    }

    private static List<String> strings(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof List<?> list) {
            list.forEach(v -> out.add(String.valueOf(v)));
        }
        return List.copyOf(out);
    }

    synchronized Instant lastUse(String agent) {
        return lastUse.get(agent);
    }

    /** When the oldest of these current keys first appeared, or null if none was seen. */
    synchronized Instant oldestKey(String agent, List<String> kids) {
        Map<String, Instant> mine = keysSeen.get(agent);
        if (mine == null) {
            return null;
        }
        Instant oldest = null;
        for (String kid : kids) {
            Instant seen = mine.get(kid);
            if (seen != null && (oldest == null || seen.isBefore(oldest))) {
                oldest = seen;
            }
        }
        return oldest;
    }

    /** The live tokens (not expired at the last refresh), oldest first. */
    synchronized List<LiveToken> live() {
        Instant now = clock.instant();
        return live.values().stream().filter(t -> t.expiresAt().isAfter(now)).toList();
    }
}
