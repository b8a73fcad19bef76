package dev.agentid.issuer.lifecycle;

import com.nimbusds.jose.jwk.JWK;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.client.KeyAgePolicy;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.SharedMap;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Credential hygiene: how old each agent's registered keys are, and which are too old to use. A key's age counts from
 * when it was first seen in the agent's registration, recorded in the replicated governance map (so every node agrees,
 * whichever node took the registration or the key rollover). A key older than {@code ISSUER_KEY_MAX_AGE_DAYS} is
 * alerted once ({@code agent.key_overdue} audit record and a warning), and one older than
 * {@code ISSUER_KEY_REFUSE_AFTER_DAYS} (off unless set) no longer authenticates its agent (row T26): the agent must
 * roll over to a new key (PATCH its jwks with both, then without the old one).
 *
 * <p>{@link #track} runs in the lifecycle job, once a minute on a worker; the request path only reads the set of
 * refused keys it publishes ({@link #refuses}, one hash lookup), so a key is refused at most a minute after it ages out.
 * A key first seen by this job after an upgrade counts from then.
 */
public final class KeyAges implements KeyAgePolicy {

    private static final Logger LOG = Logger.getLogger(KeyAges.class.getName());
    static final String SEEN = "key ";
    static final String ALERTED = "key-alerted ";
    static final String NO_KID = "(no kid)";

    private final AgentRegistry agents;
    private final SharedMap<String, String> governance;
    private final AuditLog audit;
    private final LifecycleSettings settings;
    private volatile Set<String> refused = Set.of();

    public KeyAges(AgentRegistry agents, SharedMap<String, String> governance, AuditLog audit,
                   LifecycleSettings settings) {
        this.agents = agents;
        this.governance = governance;
        this.audit = audit;
        this.settings = settings;
    }

    @Override
    public boolean refuses(String agentId, String kid) {
        Set<String> now = refused;
        return !now.isEmpty() && now.contains(agentId + " " + (kid == null ? NO_KID : kid));
    }

    /**
     * Records when each registered key was first seen, alerts about keys past the maximum age (once per key), and
     * publishes the keys past the refusal age; answers those, as {@code "<agent> <kid>"}. Blocking: a worker.
     */
    public Set<String> track(Instant now) {
        Set<String> tooOld = new HashSet<>();
        Duration refuseAfter = settings.keyRefuseAfter();
        for (AgentRecord agent : agents.agentsHere()) {
            if (agent.deregistered()) {
                continue;
            }
            for (JWK jwk : agent.jwks().getKeys()) {
                String kid = jwk.getKeyID() == null ? NO_KID : jwk.getKeyID();
                String key = agent.agentId() + " " + kid;
                Instant seen = firstSeen(key, now);
                Duration age = Duration.between(seen, now);
                if (age.compareTo(settings.keyMaxAge()) > 0) {
                    alertOnce(agent, kid, seen, age);
                }
                if (refuseAfter != null && age.compareTo(refuseAfter) > 0) {
                    tooOld.add(key);
                }
            }
        }
        refused = Set.copyOf(tooOld);
        return refused;
    }

    /** When {@code agent}'s key {@code kid} was first seen (the replicated record), or null if not yet tracked. */
    public Instant firstSeen(String agentId, String kid) {
        String value = governance.get(SEEN + agentId + " " + kid);
        return value == null ? null : Instant.parse(value);
    }

    private Instant firstSeen(String key, Instant now) {
        String value = governance.get(SEEN + key);
        if (value != null) {
            return Instant.parse(value);
        }
        governance.putIfAbsent(SEEN + key, now.toString());
        return Instant.parse(governance.get(SEEN + key));   // another node's, if it was first
    }

    private void alertOnce(AgentRecord agent, String kid, Instant seen, Duration age) {
        String key = ALERTED + agent.agentId() + " " + kid;
        // this node's replica first: a key alerted before costs no cluster write on every run of the job
        if (governance.get(key) != null || !governance.putIfAbsent(key, seen.toString())) {
            return;   // alerted before, on this node or another
        }
        LOG.warning("lifecycle: key '" + kid + "' of agent " + agent.agentId() + " is " + age.toDays()
                + " days old, over ISSUER_KEY_MAX_AGE_DAYS: rotate it");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("by", AccessReviews.BY);
        f.put("agent", agent.agentId());
        f.put("owner", agent.owner());
        f.put("kid", kid);
        f.put("first_seen", seen.toString());
        f.put("age_days", age.toDays());
        f.put("max_age_days", settings.keyMaxAge().toDays());
        f.put("refused_after_days", settings.keyRefuseAfter() == null ? null : settings.keyRefuseAfter().toDays());
        audit.record(new AuditEvent.Governance(AuditEvent.KEY_OVERDUE, f));
    }

    /** The keys refused now, as {@code "<agent> <kid>"}; for reports. */
    public List<String> refusedNow() {
        return List.copyOf(refused);
    }
}
