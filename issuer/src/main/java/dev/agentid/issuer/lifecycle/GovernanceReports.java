package dev.agentid.issuer.lifecycle;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditQuery;
import dev.agentid.issuer.audit.AuditRecord;
import dev.agentid.issuer.domain.AgentRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Lifecycle reports read from this node's audit trail (docs/AUDIT.md), which keeps every issuance with its scopes,
 * audiences and chain, and every registration change with its key ids: unused privilege (what an agent is registered
 * for and did not use in N days, with the merge patch that narrows it), stale agents (no token in N days) and key age
 * (when each registered key first appeared). Blocking (they read the log files): run them on a worker. A cluster has
 * one log per node; a report answers for the node that runs it (ask each node, or send an agent's traffic to one).
 */
public final class GovernanceReports {

    private static final int PAGE = 1000;

    private final AuditQuery query;

    public GovernanceReports(Path auditDir) {
        this.query = new AuditQuery(auditDir);
    }

    private void scan(String agent, String type, Instant since, Consumer<AuditRecord> each) throws IOException {
        long after = 0;
        while (true) {
            AuditQuery.Page page = query.run(new AuditQuery.Filter(agent, null, null, null, null, type, since, null,
                    after, PAGE));
            page.records().forEach(each);
            if (page.nextCursor() == null) {
                return;
            }
            after = page.nextCursor();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(AuditRecord r, String field) {
        Object v = r.fields().get(field);
        return v instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** The chain's actor ids, current first. */
    @SuppressWarnings("unchecked")
    private static List<String> chain(AuditRecord r) {
        return list(r, "chain").stream().map(a -> a instanceof Map<?, ?> m ? String.valueOf(m.get("sub")) : "")
                .toList();
    }

    /**
     * Unused privilege of one agent over {@code days}: registered scopes, audiences and delegates that no token of the
     * agent used since {@code now - days}, and the merge patch ({@code PATCH /admin/agents/{id}}) that keeps only what
     * was used. No patch when nothing was used at all (the agent is stale: suspend or deregister it instead).
     */
    public JsonObject unusedPrivileges(AgentRecord agent, int days, Instant now) throws IOException {
        Instant since = now.minus(Duration.ofDays(days));
        Set<String> scopes = new LinkedHashSet<>();
        Set<String> audiences = new LinkedHashSet<>();
        Set<String> delegates = new LinkedHashSet<>();
        long[] tokens = {0};
        scan(agent.agentId(), AuditEvent.TOKEN_ISSUED, since, r -> {
            List<String> chain = chain(r);
            if (agent.agentId().equals(r.field("agent"))) {
                tokens[0]++;
                list(r, "scopes").forEach(s -> scopes.add(s.toString()));
                list(r, "audiences").forEach(a -> audiences.add(a.toString()));
            }
            if (chain.size() > 1 && agent.agentId().equals(chain.get(1))) {
                delegates.add(chain.get(0));
            }
        });
        JsonObject unused = new JsonObject()
                .put("scopes", minus(agent.scopes(), scopes))
                .put("audiences", minus(agent.audiences(), audiences))
                .put("delegates", minus(agent.delegates(), delegates));
        JsonObject report = new JsonObject().put("agent_id", agent.agentId()).put("days", days)
                .put("since", since.toString()).put("tokens", tokens[0]).put("unused", unused);
        if (tokens[0] == 0) {
            return report.put("narrowing", null).put("note", "no token in " + days + " days: a stale agent");
        }
        JsonObject patch = new JsonObject();
        if (!unused.getJsonArray("scopes").isEmpty()) {
            patch.put("scopes", keep(agent.scopes(), scopes));
        }
        if (!unused.getJsonArray("audiences").isEmpty()) {
            patch.put("audiences", keep(agent.audiences(), audiences));
        }
        if (!unused.getJsonArray("delegates").isEmpty()) {
            patch.put("delegates", keep(agent.delegates(), delegates));
        }
        return report.put("narrowing", patch.isEmpty() ? null : patch);
    }

    private static JsonArray minus(List<String> registered, Set<String> used) {
        return new JsonArray(registered.stream().filter(s -> !used.contains(s)).toList());
    }

    private static JsonArray keep(List<String> registered, Set<String> used) {
        return new JsonArray(registered.stream().filter(used::contains).toList());
    }

    /** Each agent's last token on this node since {@code since} (absent: none). */
    public Map<String, Instant> lastTokens(Instant since) throws IOException {
        Map<String, Instant> last = new HashMap<>();
        scan(null, AuditEvent.TOKEN_ISSUED, since, r -> {
            String agent = r.field("agent");
            if (agent != null) {
                last.merge(agent, r.time(), (a, b) -> a.isAfter(b) ? a : b);
            }
        });
        return last;
    }

    /**
     * When each of the agents' current keys first appeared in a registration or an update (its key ids in
     * {@code jwks_kids}); a key whose record retention dropped counts from the agent's creation.
     */
    public Map<String, Map<String, Instant>> keyFirstSeen(Collection<AgentRecord> agents) throws IOException {
        Map<String, Map<String, Instant>> seen = new HashMap<>();
        scan(null, "agent", null, r -> {
            if (!AuditEvent.AGENT_REGISTERED.equals(r.type()) && !AuditEvent.AGENT_UPDATED.equals(r.type())) {
                return;
            }
            Object changes = r.fields().get("changes");
            if (!(changes instanceof Map<?, ?> c)) {
                return;
            }
            Object kids = c.get("jwks_kids");
            if (kids instanceof Map<?, ?> change) {
                kids = change.get("to");
            }
            if (kids instanceof List<?> l) {
                Map<String, Instant> mine = seen.computeIfAbsent(r.field("agent"), a -> new HashMap<>());
                l.forEach(k -> mine.putIfAbsent(String.valueOf(k), r.time()));
            }
        });
        Map<String, Map<String, Instant>> out = new HashMap<>();
        for (AgentRecord agent : agents) {
            Map<String, Instant> mine = new java.util.TreeMap<>();
            Map<String, Instant> found = seen.getOrDefault(agent.agentId(), Map.of());
            Set<String> kids = new TreeSet<>();
            agent.jwks().getKeys().forEach(k -> kids.add(k.getKeyID() == null ? "(no kid)" : k.getKeyID()));
            for (String kid : kids) {
                mine.put(kid, found.getOrDefault(kid, agent.createdAt()));
            }
            out.put(agent.agentId(), mine);
        }
        return out;
    }
}
