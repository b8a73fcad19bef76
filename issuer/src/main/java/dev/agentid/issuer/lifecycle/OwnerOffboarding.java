package dev.agentid.issuer.lifecycle;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.SharedMap;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Owner offboarding: an owner leaves, and no agent outlives them. Every agent of the owner is suspended (the kill
 * switch: its live chains die on every node), or reassigned to a named successor: killed first, so that every token
 * issued under the old owner dies, then given to the successor and restored (only tokens issued from then on live).
 * The owner is recorded as offboarded (replicated, persisted), each agent change is an audit record, and the whole
 * offboarding is an {@code owner.disabled} record; behavioural monitoring alerts on any later use of an agent still
 * owned by them.
 */
public final class OwnerOffboarding {

    public enum Policy {
        SUSPEND, REASSIGN;

        public static Policy parse(String value) {
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw OAuthException.badField("policy", "policy must be suspend or reassign");
            }
        }
    }

    /** What an offboarding did. */
    public record Result(String owner, Policy policy, String successor, Instant at, List<String> agents) {
        public JsonObject toJson() {
            JsonObject json = new JsonObject().put("owner", owner).put("policy", policy.name().toLowerCase(Locale.ROOT))
                    .put("disabled_at", at.toString()).put("agents", new io.vertx.core.json.JsonArray(agents));
            return successor == null ? json : json.put("successor", successor);
        }
    }

    static final String OWNER_KEY = "owner ";
    private static final int ATTEMPTS = 5;

    private final AgentRegistry agents;
    private final SharedMap<String, String> governance;
    private final AuditLog audit;
    private final Clock clock;

    public OwnerOffboarding(AgentRegistry agents, SharedMap<String, String> governance, AuditLog audit, Clock clock) {
        this.agents = agents;
        this.governance = governance;
        this.audit = audit;
        this.clock = clock;
    }

    /** Offboards {@code owner} by {@code by} (the admin, or an identity provider's signal); completes when durable. */
    public Future<Result> disable(String owner, Policy policy, String successor, String by, String reason) {
        if (policy == Policy.REASSIGN && (successor == null || successor.equals(owner))) {
            return Future.failedFuture(OAuthException.badField("successor",
                    "reassign needs a successor other than the owner"));
        }
        Instant at = clock.instant();
        String why = "owner '" + owner + "' offboarded" + (reason == null ? "" : ": " + reason);
        return agents.list().compose(all -> {
            List<AgentRecord> owned = all.stream().filter(a -> owner.equals(a.owner()) && !a.deregistered()).toList();
            Future<Void> chain = Future.succeededFuture();
            for (AgentRecord agent : owned) {
                chain = chain.compose(v -> offboard(agent.agentId(), owner, policy, successor, by, why, at));
            }
            List<String> ids = owned.stream().map(AgentRecord::agentId).toList();
            return chain.compose(v -> governance.putAsync(OWNER_KEY + owner, new JsonObject()
                            .put("disabled_at", at.toString()).put("policy", policy.name().toLowerCase(Locale.ROOT))
                            .put("successor", successor).put("by", by).encode()))
                    .compose(v -> {
                        Map<String, Object> f = new LinkedHashMap<>();
                        f.put("by", by);
                        f.put("owner", owner);
                        f.put("policy", policy.name().toLowerCase(Locale.ROOT));
                        f.put("successor", successor);
                        f.put("agents", ids);
                        f.put("reason", reason);
                        return audit.durable(new AuditEvent.Governance(AuditEvent.OWNER_DISABLED, f));
                    })
                    .map(seq -> new Result(owner, policy, successor, at, ids));
        });
    }

    private Future<Void> offboard(String id, String owner, Policy policy, String successor, String by, String why,
                                  Instant at) {
        return agents.setStatus(id, AgentStatus.KILLED, at)
                .compose(killed -> audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_KILLED, by, id, owner,
                        Map.of(), why)))
                .compose(seq -> policy == Policy.SUSPEND ? Future.succeededFuture()
                        : reassign(id, owner, successor, by, why, 1));
    }

    private Future<Void> reassign(String id, String owner, String successor, String by, String why, int attempt) {
        return agents.find(id).compose(current -> {
            if (current == null || current.deregistered()) {
                return Future.succeededFuture();
            }
            AgentRecord next = current.withOwner(successor);
            return agents.replace(current, next).compose(replaced -> {
                if (!replaced) {
                    return attempt < ATTEMPTS ? reassign(id, owner, successor, by, why, attempt + 1)
                            : Future.failedFuture(new IllegalStateException("agent " + id + " changed concurrently"));
                }
                Map<String, Object> change = new LinkedHashMap<>();
                change.put("from", owner);
                change.put("to", successor);
                return audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_UPDATED, by, id, successor,
                                Map.of("owner", change), why))
                        .compose(seq -> agents.setStatus(id, AgentStatus.ACTIVE, clock.instant()))
                        .compose(restored -> audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_RESTORED, by,
                                id, successor, Map.of(), why + "; reassigned to '" + successor + "'")))
                        .mapEmpty();
            });
        });
    }

    /** Suspends one agent through the kill switch with {@code reason} (stale agents); completes with its id. */
    public Future<String> suspend(AgentRecord agent, String by, String reason, Instant at) {
        return agents.setStatus(agent.agentId(), AgentStatus.KILLED, at)
                .compose(killed -> audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_KILLED, by,
                        agent.agentId(), agent.owner(), Map.of(), reason)))
                .map(seq -> agent.agentId());
    }

    /** When {@code owner} was offboarded, or null. Blocking read of this node's replica (a worker's thread). */
    public Instant offboardedAt(String owner) {
        String value = governance.get(OWNER_KEY + owner);
        return value == null ? null : Instant.parse(new JsonObject(value).getString("disabled_at"));
    }

}
