package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.http.RateLimiter;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.TestAgents;
import io.vertx.core.Future;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Replays a scenario through a real monitor in compressed time: the simulated clock moves a second at a time, each
 * second's observations are processed, then the monitor ticks. The responses are real: the agents are registered in
 * a real store (suspension is its kill switch), throttles go to a real rate limiter, audit records are collected.
 */
final class Simulation implements AutoCloseable {

    /** What a run produced: each agent's first alert, and every alert. */
    record Result(Map<String, Alert> first, List<Alert> alerts, long observations, long cpuNanos) {
    }

    final SimulatedClock clock;
    final StateStore store;
    final RateLimiter limiter;
    final List<AuditEvent> audit = Collections.synchronizedList(new ArrayList<>());
    final Monitor monitor;
    private final Instant start;

    Simulation(Path dir, Instant start, MonitorSettings settings) {
        this.start = start;
        this.clock = new SimulatedClock(start);
        this.store = StateStore.start(dir);
        this.limiter = new RateLimiter(RateLimiter.Settings.OFF, clock);
        Containment containment = new Containment(settings, clock, audit::add, store.agents(), limiter::throttle);
        this.monitor = new Monitor(settings, clock, new LocalCounters(), containment, "sim");
    }

    void register(String... agents) {
        for (String agent : agents) {
            await(store.agents().register(TestAgents.agent(agent, start).build()));
        }
    }

    Result run(List<TrafficGenerator.Actor> actors, Instant from, Instant to, long seed) {
        Random rnd = new Random(seed);
        List<Observation> second = new ArrayList<>();
        long observations = 0;
        long cpu = 0;
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (long s = from.getEpochSecond(); s < to.getEpochSecond(); s++) {
            second.clear();
            for (TrafficGenerator.Actor actor : actors) {
                actor.behaviour().second(s, rnd, second);
            }
            second.sort(java.util.Comparator.comparing(Observation::time));
            long t0 = mx.getCurrentThreadCpuTime();
            for (Observation o : second) {
                clock.set(o.time());
                monitor.process(o);
            }
            Instant end = Instant.ofEpochSecond(s, 999_000_000);
            clock.set(end);
            monitor.tick(end);
            cpu += mx.getCurrentThreadCpuTime() - t0;
            observations += second.size();
        }
        List<Alert> alerts = new ArrayList<>(monitor.alerts(null, Containment.KEPT));
        Collections.reverse(alerts);
        Map<String, Alert> first = new LinkedHashMap<>();
        alerts.forEach(a -> first.putIfAbsent(a.agent(), a));
        return new Result(first, alerts, observations, cpu);
    }

    AgentStatus status(String agent) {
        AgentRecord record = await(store.agents().find(agent));
        return record == null ? null : record.status();
    }

    /** The agent's status once the suspension (asynchronous) has been stored, or as it is after 5 s. */
    AgentStatus statusEventually(String agent, AgentStatus expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        AgentStatus status = status(agent);
        while (status != expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);   // a bounded poll on a real store's asynchronous write
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            status = status(agent);
        }
        return status;
    }

    /** Bounded poll of an agent's status in a store (the suspension is an asynchronous write). */
    record StoreStatus(StateStore store) {
        AgentStatus eventually(String agent) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            AgentStatus status = null;
            while (System.nanoTime() < deadline) {
                AgentRecord record = await(store.agents().find(agent));
                status = record == null ? null : record.status();
                if (status == AgentStatus.KILLED) {
                    break;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return status;
        }
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Duration delay(Alert alert, Instant attack) {
        return Duration.between(attack, alert.time());
    }

    @Override
    public void close() {
        store.close();
    }
}
