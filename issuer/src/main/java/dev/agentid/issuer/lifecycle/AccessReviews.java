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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Access reviews: every registration has a review date (its creation plus the review period, until someone
 * recertifies it: then the date they set). A recertification records who certified the agent's access, when, and the
 * next date ({@code agent.recertified}). An agent whose review is overdue is, per policy, reported ({@code alert}) or
 * suspended through the kill switch ({@code suspend}), by {@link #enforce} (a periodic job) with an audit record.
 */
public final class AccessReviews {

    private static final Logger LOG = Logger.getLogger(AccessReviews.class.getName());
    static final String REVIEW_KEY = "review ";
    /** Who acts, in audit records, when the job suspends an agent. */
    public static final String BY = "lifecycle";

    private final AgentRegistry agents;
    private final SharedMap<String, String> governance;
    private final AuditLog audit;
    private final Clock clock;
    private final LifecycleSettings settings;

    public AccessReviews(AgentRegistry agents, SharedMap<String, String> governance, AuditLog audit, Clock clock,
                         LifecycleSettings settings) {
        this.agents = agents;
        this.governance = governance;
        this.audit = audit;
        this.clock = clock;
        this.settings = settings;
    }

    /** Records a recertification: {@code certifiedBy} vouches for the agent's access until now + {@code days}. */
    public Future<JsonObject> recertify(String agentId, String certifiedBy, int days) {
        Instant now = clock.instant();
        Instant due = now.plus(Duration.ofDays(days));
        return agents.find(agentId).compose(agent -> {
            if (agent == null) {
                return Future.failedFuture(OAuthException.notFound("agent '" + agentId + "' is not registered"));
            }
            JsonObject review = new JsonObject().put("review_due", due.toString()).put("certified_by", certifiedBy)
                    .put("certified_at", now.toString());
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("by", "admin");
            f.put("agent", agentId);
            f.put("owner", agent.owner());
            f.put("certified_by", certifiedBy);
            f.put("review_due", due.toString());
            f.put("scopes", agent.scopes());
            f.put("audiences", agent.audiences());
            f.put("delegates", agent.delegates());
            return governance.putAsync(REVIEW_KEY + agentId, review.encode())
                    .compose(v -> audit.durable(new AuditEvent.Governance(AuditEvent.AGENT_RECERTIFIED, f)))
                    .map(seq -> review.copy().put("agent_id", agentId));
        });
    }

    /** The agent's review state (blocking read of this node's replica). */
    public JsonObject review(AgentRecord agent, Instant now) {
        String stored = governance.get(REVIEW_KEY + agent.agentId());
        JsonObject review = stored == null ? new JsonObject()
                .put("review_due", agent.createdAt().plus(settings.reviewPeriod()).toString())
                : new JsonObject(stored);
        Instant due = Instant.parse(review.getString("review_due"));
        return review.put("agent_id", agent.agentId()).put("owner", agent.owner())
                .put("status", agent.status().name().toLowerCase()).put("overdue", !now.isBefore(due));
    }

    /** Every agent's review state, overdue first (blocking: a worker). */
    public List<JsonObject> reviews(Instant now) {
        List<JsonObject> all = new ArrayList<>();
        for (AgentRecord agent : agents.agentsHere()) {
            if (!agent.deregistered()) {
                all.add(review(agent, now));
            }
        }
        all.sort(Comparator.comparing((JsonObject r) -> !r.getBoolean("overdue"))
                .thenComparing(r -> r.getString("review_due")));
        return all;
    }

    /**
     * The periodic job: the active agents whose review is overdue; with the {@code suspend} policy each is killed
     * (audited {@code by lifecycle} with the due date as reason). Blocking: a worker.
     */
    public List<String> enforce(Instant now) {
        List<String> overdue = new ArrayList<>();
        for (JsonObject review : reviews(now)) {
            if (!review.getBoolean("overdue") || !"active".equals(review.getString("status"))) {
                continue;
            }
            String id = review.getString("agent_id");
            overdue.add(id);
            if (settings.reviewPolicy() == LifecycleSettings.Policy.SUSPEND) {
                String reason = "access review overdue since " + review.getString("review_due");
                agents.setStatus(id, AgentStatus.KILLED, now).onSuccess(agent -> audit.record(
                        new AuditEvent.AgentChanged(AuditEvent.AGENT_KILLED, BY, id, agent.owner(), Map.of(), reason)));
            } else {
                LOG.warning("lifecycle: access review of agent " + id + " overdue since "
                        + review.getString("review_due"));
            }
        }
        return overdue;
    }
}
