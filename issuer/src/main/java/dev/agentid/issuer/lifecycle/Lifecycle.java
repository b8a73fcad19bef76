package dev.agentid.issuer.lifecycle;

import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.SharedMap;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.util.logging.Logger;

/**
 * Lifecycle governance (README "Lifecycle governance"): owner offboarding, access reviews, and the reports of unused
 * privilege, stale agents and key age. {@link #start} runs the access-review job once a minute on a worker.
 */
public final class Lifecycle {

    private static final Logger LOG = Logger.getLogger(Lifecycle.class.getName());

    private final OwnerOffboarding offboarding;
    private final SharedSignalsReceiver signals;
    private final KeyAges keyAges;
    private final AccessReviews reviews;
    private final GovernanceReports reports;
    private final AgentRegistry agents;
    private final Clock clock;
    private final LifecycleSettings settings;

    public Lifecycle(AgentRegistry agents, SharedMap<String, String> governance, AuditLog audit, Clock clock,
                     LifecycleSettings settings) {
        this.agents = agents;
        this.clock = clock;
        this.settings = settings;
        this.offboarding = new OwnerOffboarding(agents, governance, audit, clock);
        // a SET is accepted while its iat is younger than the max age; remembered a little longer than that
        this.signals = new SharedSignalsReceiver(offboarding, governance, audit,
                settings.securityEventMaxAge().plusMinutes(10));
        this.reviews = new AccessReviews(agents, governance, audit, clock, settings);
        this.keyAges = new KeyAges(agents, governance, audit, settings);
        this.reports = new GovernanceReports(audit.directory());
    }

    /** The access-review job, once a minute, off the event loop. */
    public Lifecycle start(Vertx vertx) {
        vertx.setPeriodic(60_000, 60_000, id -> vertx.executeBlocking(() -> reviews.enforce(clock.instant()), false)
                .onFailure(t -> LOG.warning("lifecycle: access-review job failed: " + t)));
        // key ages: at once (a restarted node refuses old keys from the start), then once a minute
        vertx.setPeriodic(1, 60_000, id -> vertx.executeBlocking(() -> keyAges.track(clock.instant()), false)
                .onFailure(t -> LOG.warning("lifecycle: key-age job failed: " + t)));
        return this;
    }

    public OwnerOffboarding offboarding() {
        return offboarding;
    }

    /** Shared Signals from the trusted OpenID Providers: owner offboarding by their users' security events. */
    public SharedSignalsReceiver signals() {
        return signals;
    }

    /** Key ages: alerted past the maximum age, refused past the refusal age (T26). */
    public KeyAges keyAges() {
        return keyAges;
    }

    public AccessReviews reviews() {
        return reviews;
    }

    public GovernanceReports reports() {
        return reports;
    }

    public AgentRegistry agents() {
        return agents;
    }

    public Clock clock() {
        return clock;
    }

    public LifecycleSettings settings() {
        return settings;
    }
}
