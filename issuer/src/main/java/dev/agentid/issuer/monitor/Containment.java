package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.store.AgentRegistry;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The responses to alerts, by severity: every alert is an audit record ({@code monitor.alert}), a count in
 * {@code /metrics}, an entry of {@code GET /admin/alerts} and a webhook call and a Shared Signals event to the subscribed partners (both asynchronous, never waited for); a
 * throttle holds the agent to {@link MonitorSettings#throttlePerSecond()} token requests per second for
 * {@link MonitorSettings#throttleFor()} on this node; a suspension uses the kill switch (the agent's status becomes
 * killed on every node, its tokens stop verifying) with the detector's explanation as the reason, which an operator
 * lifts with {@code POST /admin/agents/{id}/restore}. Each automatic action is a {@code monitor.action} record with the
 * alert's evidence, and a suspension is also an {@code agent.killed} record {@code by} {@code monitor}.
 */
public final class Containment {

    private static final Logger LOG = Logger.getLogger(Containment.class.getName());
    /** Who acts, in audit records. */
    public static final String BY = "monitor";
    static final int KEPT = 1000;

    /**
     * Holds an agent's token requests to a rate until a time (the token endpoint's rate limiter); a time in the past
     * lifts the throttle.
     */
    @FunctionalInterface
    public interface Throttle {
        void throttle(String agent, double perSecond, Instant until);
    }

    private final MonitorSettings settings;
    private final Clock clock;
    private final Consumer<AuditEvent> audit;
    private final AgentRegistry agents;
    private final Throttle throttle;
    private final HttpClient http;
    private final Deque<Alert> recent = new ArrayDeque<>();
    private final AtomicLong alerts = new AtomicLong();
    private final AtomicLong throttles = new AtomicLong();
    private final AtomicLong suspensions = new AtomicLong();
    private final AtomicLong webhookFailures = new AtomicLong();
    private final Consumer<Alert> signals;

    /**
     * @param audit where records go without waiting ({@code AuditLog::record})
     * @param throttle the rate limiter's throttle, or null (throttling then only alerts)
     */
    public Containment(MonitorSettings settings, Clock clock, Consumer<AuditEvent> audit, AgentRegistry agents,
                       Throttle throttle) {
        this(settings, clock, audit, agents, throttle, alert -> { });
    }

    /**
     * @param signals tells the partners subscribed to our Shared Signals (the transmitter sends asynchronously and
     *     never blocks the monitor thread)
     */
    public Containment(MonitorSettings settings, Clock clock, Consumer<AuditEvent> audit, AgentRegistry agents,
                       Throttle throttle, Consumer<Alert> signals) {
        this.signals = signals;
        this.settings = settings;
        this.clock = clock;
        this.audit = audit;
        this.agents = agents;
        this.throttle = throttle;
        this.http = settings.webhook() == null ? null : HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Whether the agent is registered (this node's memory; the monitor thread may read it). Refusals that name an
     * unregistered client_id are not modelled: anyone can send them, by the million.
     */
    boolean registered(String agent) {
        return agents == null || agents.findHere(agent) != null;
    }

    /** An operator restored the agent: a throttle set by monitoring ends with it. */
    void lift(String agent) {
        if (throttle != null) {
            throttle.throttle(agent, 0, Instant.EPOCH);   // until the past: lifted
        }
    }

    /** Responds to an alert (monitor thread; nothing here waits). */
    void respond(Alert alert) {
        alerts.incrementAndGet();
        synchronized (recent) {
            recent.addFirst(alert);
            if (recent.size() > KEPT) {
                recent.removeLast();
            }
        }
        // an alert alone is information (it is in the audit trail, the metrics and the webhook); a containment warns
        LOG.log(alert.response() == Response.ALERT ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING,
                () -> "monitor: " + alert.severity().label() + " alert for agent " + alert.agent() + ": "
                + alert.explanation() + " -> " + alert.response().label());
        audit.accept(new AuditEvent.Governance(AuditEvent.MONITOR_ALERT, alert.fields()));
        webhook(alert);
        signals.accept(alert);
        switch (alert.response()) {
            case THROTTLE -> throttle(alert);
            case SUSPEND -> suspend(alert);
            default -> {
            }
        }
    }

    private void throttle(Alert alert) {
        if (throttle == null) {
            return;
        }
        Instant until = clock.instant().plus(settings.throttleFor());
        throttle.throttle(alert.agent(), settings.throttlePerSecond(), until);
        throttles.incrementAndGet();
        audit.accept(action(alert, "throttle", Map.of("per_second", Alert.round(settings.throttlePerSecond()),
                "until", until.toString())));
    }

    private void suspend(Alert alert) {
        String reason = truncate(alert.detector() + ": " + alert.explanation());
        agents.setStatus(alert.agent(), AgentStatus.KILLED, clock.instant()).onSuccess(agent -> {
            if (agent == null) {
                return;   // an agent named by unauthenticated requests that is not registered
            }
            suspensions.incrementAndGet();
            audit.accept(new AuditEvent.AgentChanged(AuditEvent.AGENT_KILLED, BY, agent.agentId(), agent.owner(),
                    Map.of(), reason));
            audit.accept(action(alert, "suspend", Map.of("status", agent.status().name().toLowerCase())));
        }).onFailure(t -> LOG.severe("monitor: cannot suspend agent " + alert.agent() + ": " + t));
    }

    private static AuditEvent action(Alert alert, String action, Map<String, Object> detail) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("action", action);
        f.put("agent", alert.agent());
        f.put("alert", alert.id());
        f.put("detector", alert.detector());
        f.put("severity", alert.severity().label());
        f.put("explanation", alert.explanation());
        f.put("evidence", alert.evidence());
        f.put("detail", detail);
        return new AuditEvent.Governance(AuditEvent.MONITOR_ACTION, f);
    }

    /** Kill reasons are at most 512 printable characters, like the admin API's. */
    private static String truncate(String reason) {
        return reason.length() <= 512 ? reason : reason.substring(0, 509) + "...";
    }

    private void webhook(Alert alert) {
        if (http == null) {
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(settings.webhook()).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(alert.toJson().encode())).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, t) -> {
            if (t != null || r.statusCode() / 100 != 2) {
                webhookFailures.incrementAndGet();
                LOG.warning("monitor: webhook " + settings.webhook().getHost() + " failed for alert " + alert.id()
                        + ": " + (t != null ? t.toString() : "HTTP " + r.statusCode()));
            }
        });
    }

    public long alerts() {
        return alerts.get();
    }

    public long throttles() {
        return throttles.get();
    }

    public long suspensions() {
        return suspensions.get();
    }

    public long webhookFailures() {
        return webhookFailures.get();
    }

    /** The newest alerts first, of one agent or all (null). */
    public List<Alert> recent(String agent, int limit) {
        List<Alert> out = new ArrayList<>();
        synchronized (recent) {
            for (Alert a : recent) {
                if (agent == null || agent.equals(a.agent())) {
                    out.add(a);
                    if (out.size() >= limit) {
                        break;
                    }
                }
            }
        }
        return out;
    }

}
