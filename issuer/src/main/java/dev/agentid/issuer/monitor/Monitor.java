package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.monitor.Counters.Metric;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Behavioural monitoring (docs/MONITORING.md): per-agent baselines learned from the issuer's own audit events, and
 * detectors that compare each agent with its baseline.
 *
 * <p><b>Never on the request path.</b> The audit writer hands each record, once it is on disk, to
 * {@link #offer(AuditEvent, Instant)}: an {@link ArrayBlockingQueue#offer} that never waits (a full queue drops the
 * observation and counts it). One thread, {@code monitor}, owns every model: it {@link #process}es observations
 * (first-time-seen detectors run here) and, once a second of the injected clock, {@link #tick}s (rate detectors run
 * here, over the cluster-wide counts of {@link Counters}). Tests call {@link #process} and {@link #tick} directly
 * with a simulated clock.
 */
public final class Monitor implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Monitor.class.getName());
    /** One alert per agent and detector per minute. */
    static final long COOLDOWN_SECONDS = 60;
    private static final Set<String> PROBE_ERRORS = Set.of("invalid_scope", "invalid_target");

    private final MonitorSettings settings;
    private final Clock clock;
    private final Counters counters;
    private final Containment containment;
    private final BlockingQueue<Observation> queue;
    private final Map<String, AgentProfile> profiles = new HashMap<>();
    /** Owners offboarded, and when (lifecycle governance): any later use of their agents is an alert. */
    private final Map<String, Instant> offboarded = new ConcurrentHashMap<>();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong cpuNanos = new AtomicLong();
    private final AtomicLong alertSeq = new AtomicLong();
    private final String node;
    private volatile boolean running;
    private Thread thread;
    private long lastTick = Long.MIN_VALUE;

    public Monitor(MonitorSettings settings, Clock clock, Counters counters, Containment containment, String node) {
        this.settings = settings;
        this.clock = clock;
        this.counters = counters;
        this.containment = containment;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, settings.queue()));
        this.node = node;
    }

    /** Subscribes to the audit log and starts the monitor thread. */
    public Monitor start(AuditLog audit) {
        if (!settings.enabled()) {
            return this;
        }
        audit.subscribe(this::offer);
        running = true;
        thread = new Thread(this::run, "monitor");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** The audit writer's hand-off: a non-blocking enqueue (or a count of the dropped observation). */
    public void offer(AuditEvent event, Instant time) {
        Observation o = Observation.of(event, time);
        if (o != null) {
            offer(o);
        }
    }

    public void offer(Observation o) {
        if (!queue.offer(o)) {
            dropped.incrementAndGet();
        }
    }

    private void run() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean cpu = mx.isCurrentThreadCpuTimeSupported();
        while (running) {
            try {
                Observation first = queue.poll(200, TimeUnit.MILLISECONDS);
                long start = cpu ? mx.getCurrentThreadCpuTime() : 0;
                if (first != null) {
                    process(first);
                    Observation next;
                    int n = 0;
                    while (n++ < 10_000 && (next = queue.poll()) != null) {
                        process(next);
                    }
                }
                Instant now = clock.instant();
                if (now.getEpochSecond() != lastTick) {
                    tick(now);
                }
                if (cpu) {
                    cpuNanos.addAndGet(mx.getCurrentThreadCpuTime() - start);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "monitor: an observation could not be processed", e);
            }
        }
    }

    private AgentProfile profile(String agent, Instant time) {
        return profiles.computeIfAbsent(agent, a -> new AgentProfile(a, time));
    }

    /** Learns from one observation and runs the first-time-seen detectors (monitor thread, or a test). */
    public void process(Observation o) {
        processed.incrementAndGet();
        if (o.kind() == Observation.Kind.OFFBOARDED) {
            ownerOffboarded(o.owner(), o.time());
            return;
        }
        long second = o.time().getEpochSecond();
        if (o.kind() == Observation.Kind.REFUSED && !o.authenticated() && !profiles.containsKey(o.agent())
                && !containment.registered(o.agent())) {
            return;   // a client_id nobody registered: no model, no memory per name an attacker invents
        }
        AgentProfile p = profile(o.agent(), o.time());
        switch (o.kind()) {
            case ISSUED -> issued(p, o, second);
            case REFUSED -> {
                if (!o.authenticated()) {
                    counters.add(o.agent(), Metric.REFUSED_UNAUTHENTICATED, second);
                } else {
                    counters.add(o.agent(), Metric.REFUSED_AUTHENTICATED, second);
                    if (PROBE_ERRORS.contains(o.error())) {
                        counters.add(o.agent(), Metric.PROBES, second);
                    }
                    useAfterOffboarding(p, o);
                }
            }
            case KILLED -> p.suspended = true;
            case RESTORED -> {
                if (p.suspended) {
                    restored(p, second);
                }
            }
            default -> {
            }
        }
    }

    /** An operator restored the agent: what happened before is not held against it again. */
    private void restored(AgentProfile p, long second) {
        p.suspended = false;
        p.countFrom = second;
        p.lastAlert.clear();
        containment.lift(p.agent);
    }

    private void issued(AgentProfile p, Observation o, long second) {
        counters.add(o.agent(), Metric.ISSUED, second);
        if (o.owner() != null) {
            p.owner = o.owner();
        }
        if (o.delegator() != null) {
            AgentProfile from = profile(o.delegator(), o.time());
            Long last = from.recentDelegates.put(o.agent(), second);
            if (last == null || last < second - 60) {
                counters.add(o.delegator(), Metric.FAN_OUT, second);
            }
            if (from.recentDelegates.size() > AgentProfile.MAX_SEEN) {
                from.recentDelegates.values().removeIf(s -> s < second - 60);
            }
        }
        useAfterOffboarding(p, o);
        boolean watch = !p.learning(o.time(), settings.learning());
        for (String scope : o.scopes()) {
            if (seen(p, p.scopes, "scope", scope) && watch) {
                firstTime(p, o, MonitorSettings.NEW_SCOPE, "scope", scope, p.scopes.size() - 1);
            }
        }
        for (String audience : o.audiences()) {
            if (seen(p, p.audiences, "audience", audience) && watch) {
                firstTime(p, o, MonitorSettings.NEW_AUDIENCE, "audience", audience, p.audiences.size() - 1);
            }
        }
        if (seen(p, p.attestations, "attestation", o.attestation()) && watch) {
            firstTime(p, o, MonitorSettings.NEW_ATTESTATION, "attested workload digest", o.attestation(),
                    p.attestations.size() - 1);
        }
        if (seen(p, p.bindings, "binding", o.binding()) && watch) {
            firstTime(p, o, MonitorSettings.NEW_BINDING_KEY, "sender-binding key", o.binding(),
                    p.bindings.size() - 1);
        }
        for (String partner : o.partners()) {
            if (seen(p, p.partners, "partner", partner) && watch) {
                firstTime(p, o, MonitorSettings.NEW_PARTNER, "partner issuer", partner, p.partners.size() - 1);
            }
        }
        if (o.depth() > p.maxDepth) {
            int before = p.maxDepth;
            p.maxDepth = o.depth();
            if (watch && before > 0) {
                fire(p, MonitorSettings.DEEPER_CHAIN, o.time(), "delegation chain depth", before, o.depth(),
                        Double.NaN, "a token of agent '" + p.agent + "' has a delegation chain of depth " + o.depth()
                                + "; the deepest before was " + before,
                        Map.of("depth", (long) o.depth(), "deepest_before", (long) before));
            }
        }
    }

    /** True when neither this node nor (clustered) any other had seen the item; either way it is known now. */
    private boolean seen(AgentProfile p, Set<String> set, String kind, String item) {
        return AgentProfile.firstTime(set, item) && counters.firstInCluster(p.agent, kind, item);
    }

    private void firstTime(AgentProfile p, Observation o, String detector, String what, String item, int known) {
        fire(p, detector, o.time(), "first use of a " + what, Double.NaN, 1, Double.NaN,
                "agent '" + p.agent + "' used the " + what + " '" + item + "' for the first time since monitoring"
                        + " began " + p.firstSeen + " (" + known + " known before)",
                Map.of("item", item, "known_before", (long) known, "watched_since", p.firstSeen.toString()));
    }

    private void useAfterOffboarding(AgentProfile p, Observation o) {
        Instant since = p.owner == null ? null : offboarded.get(p.owner);
        if (since != null && !o.time().isBefore(since)) {
            fire(p, MonitorSettings.OWNER_OFFBOARDED, o.time(), "use after the owner's offboarding", Double.NaN, 1,
                    Double.NaN, "agent '" + p.agent + "' was " + (o.kind() == Observation.Kind.ISSUED
                            ? "issued a token" : "refused a token") + " at " + o.time() + ", after its owner '"
                            + p.owner + "' was offboarded at " + since,
                    Map.of("owner", p.owner, "offboarded_at", since.toString()));
        }
    }

    /**
     * A registration changed on some node of the cluster (the registry's change listener; an Infinispan thread, so
     * this only enqueues): a kill marks the agent suspended here too, an operator's restore resets what is held
     * against it.
     */
    public void changed(dev.agentid.issuer.domain.AgentRecord agent) {
        Observation.Kind kind = agent.status() == dev.agentid.issuer.domain.AgentStatus.KILLED ? Observation.Kind.KILLED
                : agent.status() == dev.agentid.issuer.domain.AgentStatus.ACTIVE ? Observation.Kind.RESTORED : null;
        if (kind != null && running) {
            offer(new Observation(kind, agent.statusChangedAt(), agent.agentId(), agent.owner(), List.of(), List.of(),
                    null, 0, List.of(), null, null, null, true));
        }
    }

    /** Marks an owner as offboarded (lifecycle): any later token activity of their agents is an alert. */
    public void ownerOffboarded(String owner, Instant at) {
        offboarded.put(owner, at);
    }

    /**
     * Folds complete minutes into the baselines and runs the rate detectors over the last seconds, for every agent
     * active anywhere in the cluster (monitor thread, or a test, once per simulated second).
     */
    public void tick(Instant now) {
        long s = now.getEpochSecond();
        lastTick = s;
        counters.exchange(s);
        long minute = Math.floorDiv(s, 60);
        for (String agent : counters.active(s - Counters.SECONDS + 1)) {
            AgentProfile p = profile(agent, now);
            fold(p, minute, s);
            if (p.suspended) {
                continue;
            }
            burst(p, now, s);
            refusalStorm(p, now, s, MonitorSettings.REFUSAL_STORM, Metric.REFUSED_AUTHENTICATED, "authenticated");
            refusalStorm(p, now, s, MonitorSettings.UNAUTHENTICATED_REFUSALS, Metric.REFUSED_UNAUTHENTICATED,
                    "unauthenticated");
            probes(p, now, s);
            fanOut(p, now, s);
        }
    }

    private void fold(AgentProfile p, long minute, long s) {
        long oldest = Math.floorDiv(s - Counters.SECONDS + 1, 60) + 1;   // first minute the ring still holds whole
        if (p.closedMinute < oldest - 1) {
            long gap = oldest - 1 - p.closedMinute;
            p.issued.idle(gap);
            p.refusals.idle(gap);
            p.fanOut.idle(gap);
            p.closedMinute = oldest - 1;
        }
        while (p.closedMinute < minute - 1) {
            long m = ++p.closedMinute;
            long from = Math.max(m * 60, p.countFrom);
            p.issued.learn(m, sum(p, Metric.ISSUED, from, m * 60 + 59));
            p.refusals.learn(m, sum(p, Metric.REFUSED_AUTHENTICATED, from, m * 60 + 59));
            p.fanOut.learn(m, sum(p, Metric.FAN_OUT, from, m * 60 + 59));
        }
    }

    private long sum(AgentProfile p, Metric metric, long from, long to) {
        return from > to ? 0 : counters.sum(p.agent, metric, Math.max(from, p.countFrom), to);
    }

    private void burst(AgentProfile p, Instant now, long s) {
        MonitorSettings.Detector d = settings.detector(MonitorSettings.BURST, p.agent);
        if (!d.enabled()) {
            return;
        }
        long windowFrom = s - d.windowSeconds() + 1;
        long count = sum(p, Metric.ISSUED, windowFrom, s);
        double perMinute = count * 60.0 / d.windowSeconds();
        boolean learning = p.learning(now, settings.learning());
        RateBaseline.State learned = p.issued.judged(windowFrom);
        double baseline = learned.value();
        double threshold = learning ? d.factor() * d.floor() : Math.max(d.factor() * baseline, d.floor());
        if (perMinute >= threshold && count > 1) {
            p.issued.anomaly(windowFrom, s + COOLDOWN_SECONDS);
            fire(p, MonitorSettings.BURST, now, "token requests per minute over the last " + d.windowSeconds() + " s",
                    baseline, perMinute, threshold, String.format(Locale.ROOT, "agent '%s' was issued %d tokens in the"
                            + " last %d s (%.0f per minute); %s, so the threshold is %.0f per minute", p.agent, count,
                            d.windowSeconds(), perMinute, learning ? "it is still being learned (since " + p.firstSeen
                                    + "): the ceiling is " + fmt(d.factor()) + " x " + fmt(d.floor()) + " per minute"
                                    : "its baseline is " + fmt(baseline) + " per minute (EWMA " + fmt(learned.ewma())
                                    + ", decayed daily peak " + fmt(learned.peak()) + " over " + learned.minutes()
                                    + " min), " + fmt(d.factor()) + " x baseline, at least " + fmt(d.floor()),
                            threshold),
                    evidence(count, d, baseline));
        }
    }

    private void refusalStorm(AgentProfile p, Instant now, long s, String detector, Metric metric, String which) {
        MonitorSettings.Detector d = settings.detector(detector, p.agent);
        if (!d.enabled()) {
            return;
        }
        long windowFrom = s - d.windowSeconds() + 1;
        long count = sum(p, metric, windowFrom, s);
        boolean learned = metric == Metric.REFUSED_AUTHENTICATED;
        double baseline = learned ? p.refusals.judged(windowFrom).value() * d.windowSeconds() / 60.0 : 0;
        double threshold = Math.max(d.factor() * baseline, d.floor());
        if (count >= threshold && count > 0) {
            if (learned) {
                p.refusals.anomaly(windowFrom, s + COOLDOWN_SECONDS);
            }
            fire(p, detector, now, which + " refusals in the last " + d.windowSeconds() + " s", baseline, count,
                    threshold, String.format(Locale.ROOT, "%d %s token requests naming agent '%s' were refused in the"
                            + " last %d s; its baseline is %s per %d s, so the threshold is %s (%s x baseline, at"
                            + " least %s)", count, which, p.agent, d.windowSeconds(), fmt(baseline), d.windowSeconds(),
                            fmt(threshold), fmt(d.factor()), fmt(d.floor())),
                    evidence(count, d, baseline));
        }
    }

    private void probes(AgentProfile p, Instant now, long s) {
        MonitorSettings.Detector d = settings.detector(MonitorSettings.SCOPE_PROBE, p.agent);
        if (!d.enabled()) {
            return;
        }
        long count = sum(p, Metric.PROBES, s - d.windowSeconds() + 1, s);
        if (count >= Math.max(1, d.floor())) {
            fire(p, MonitorSettings.SCOPE_PROBE, now, "requests for scopes or audiences beyond the registration in the"
                    + " last " + d.windowSeconds() + " s", 0, count, d.floor(), String.format(Locale.ROOT,
                    "agent '%s' asked %d times in the last %d s for scopes or audiences it is not registered for"
                            + " (invalid_scope, invalid_target); the threshold is %s", p.agent, count,
                    d.windowSeconds(), fmt(d.floor())), evidence(count, d, 0));
        }
    }

    private void fanOut(AgentProfile p, Instant now, long s) {
        MonitorSettings.Detector d = settings.detector(MonitorSettings.FAN_OUT, p.agent);
        if (!d.enabled()) {
            return;
        }
        long windowFrom = s - d.windowSeconds() + 1;
        long count = sum(p, Metric.FAN_OUT, windowFrom, s);
        if (count == 0) {
            return;
        }
        boolean learning = p.learning(now, settings.learning());
        double baseline = p.fanOut.judged(windowFrom).value() * d.windowSeconds() / 60.0;
        double threshold = learning ? d.factor() * d.floor() : Math.max(d.factor() * baseline, d.floor());
        if (count >= threshold) {
            p.fanOut.anomaly(windowFrom, s + COOLDOWN_SECONDS);
            fire(p, MonitorSettings.FAN_OUT, now, "distinct delegates in the last " + d.windowSeconds() + " s",
                    baseline, count, threshold, String.format(Locale.ROOT, "agent '%s' delegated to %d distinct"
                            + " delegates in the last %d s; its baseline is %s, so the threshold is %s", p.agent,
                            count, d.windowSeconds(), fmt(baseline), fmt(threshold)), evidence(count, d, baseline));
        }
    }

    private static Map<String, Object> evidence(long count, MonitorSettings.Detector d, double baseline) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("count", count);
        e.put("window_seconds", (long) d.windowSeconds());
        e.put("baseline", Alert.round(baseline));
        e.put("factor", Alert.round(d.factor()));
        e.put("floor", Alert.round(d.floor()));
        return e;
    }

    private void fire(AgentProfile p, String detector, Instant now, String statistic, double baseline,
                      double observed, double threshold, String explanation, Map<String, Object> evidence) {
        MonitorSettings.Detector d = settings.detector(detector, p.agent);
        if (d == null || !d.enabled() || p.suspended) {
            return;
        }
        long s = now.getEpochSecond();
        Long last = p.lastAlert.get(detector);
        if (last != null && s - last < COOLDOWN_SECONDS) {
            return;
        }
        p.lastAlert.put(detector, s);
        if (!counters.claim(p.agent + " " + detector)) {
            return;   // another node responds to it
        }
        Response response = settings.response(d.severity());
        if (!MonitorSettings.OWNER_OFFBOARDED.equals(detector) && p.learning(now, settings.learning())) {
            // no baseline yet: a new agent's first hour is reported, not contained (a load test, a new service)
            response = Response.ALERT;
            explanation = explanation + "; the agent is still being learned (since " + p.firstSeen
                    + "), so this is an alert only";
        }
        Alert alert = new Alert(node + "-" + s + "-" + alertSeq.incrementAndGet(), now, p.agent, detector,
                d.severity(), statistic, baseline, observed, threshold, explanation, evidence, response);
        if (response == Response.SUSPEND) {
            p.suspended = true;
        }
        containment.respond(alert);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    /** The newest alerts first (of one agent, or all when null). */
    public List<Alert> alerts(String agent, int limit) {
        return containment.recent(agent, limit);
    }

    /** Agents with a model on this node (monitor thread, or a test). */
    int agentsModelled() {
        return profiles.size();
    }

    public long processed() {
        return processed.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** CPU time the monitor thread spent, in nanoseconds. */
    public long cpuNanos() {
        return cpuNanos.get();
    }

    public Containment containment() {
        return containment;
    }

    public MonitorSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
