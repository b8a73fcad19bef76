package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import dev.agentid.issuer.store.TestAgents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster-wide judgement in compressed time: three monitors, one per simulated node, share the monitoring map the
 * way the nodes of a cluster share the replicated {@code monitor} cache (here one real Infinispan map that all three
 * use); the agent's requests are spread over them at random. ClusterMonitoringIT does the same with three JVMs.
 */
class ClusterJudgementTest {

    static final Instant START = Instant.parse("2026-01-05T00:00:00Z");
    static final Instant ATTACK = START.plus(Duration.ofHours(2));
    static final List<String> NODES = List.of("n1", "n2", "n3");

    @TempDir
    Path dir;

    /** Runs the victim's traffic over three monitors; returns every alert of every node. */
    List<Alert> run(Function<String, Counters> counters, TrafficGenerator.Behaviour misuse, boolean expectKilled) {
        SimulatedClock clock = new SimulatedClock(START);
        try (StateStore store = StateStore.start(dir)) {
            Simulation.await(store.agents().register(TestAgents.agent("victim", START).build()));
            List<AuditEvent> audit = Collections.synchronizedList(new ArrayList<>());
            List<Monitor> monitors = new ArrayList<>();
            for (String node : NODES) {
                monitors.add(new Monitor(MonitorSettings.DEFAULT, clock, counters.apply(node),
                        new Containment(MonitorSettings.DEFAULT, clock, audit::add, store.agents(), null), node));
            }
            TrafficGenerator.Behaviour victim = TrafficGenerator.until(TrafficGenerator.steady("victim", 10), ATTACK,
                    misuse);
            Random rnd = new Random(7);
            List<Observation> second = new ArrayList<>();
            for (long s = START.getEpochSecond(); s < ATTACK.getEpochSecond() + 60; s++) {
                second.clear();
                victim.second(s, rnd, second);
                for (Observation o : second) {
                    clock.set(o.time());
                    monitors.get(rnd.nextInt(NODES.size())).process(o);
                }
                Instant end = Instant.ofEpochSecond(s, 999_000_000);
                clock.set(end);
                monitors.forEach(m -> m.tick(end));
            }
            List<Alert> alerts = new ArrayList<>();
            monitors.forEach(m -> alerts.addAll(m.alerts(null, 100)));
            if (expectKilled) {
                assertEquals(AgentStatus.KILLED, new Simulation.StoreStatus(store).eventually("victim"));
            }
            return alerts;
        }
    }

    /** 1.5 refusals a second spread over three nodes: 5 per node per 10 s, under the floor of 10; 15 in the cluster. */
    static TrafficGenerator.Behaviour spreadStorm() {
        return (s, rnd, out) -> {
            for (int i = 0; i < (s % 2 == 0 ? 1 : 2); i++) {
                out.add(Observation.refused(TrafficGenerator.at(s, rnd), "victim", "invalid_request", true));
            }
        };
    }

    @Test
    void refusalStormSpreadOverThreeNodesIsJudgedAsOneAgentsStormAndSuspendedOnce() {
        List<Alert> alerts;
        try (StateStoreHolder shared = new StateStoreHolder()) {
            alerts = run(shared::counters, spreadStorm(), true);
        }
        List<Alert> storms = alerts.stream().filter(a -> a.detector().equals(MonitorSettings.REFUSAL_STORM)).toList();
        assertEquals(1, storms.size(), "one node responds: " + alerts);
        Alert storm = storms.get(0);
        assertEquals(Response.SUSPEND, storm.response());
        Duration delay = Duration.between(ATTACK, storm.time());
        assertTrue(delay.compareTo(Duration.ofSeconds(10)) <= 0, "detected after " + delay);
        assertTrue(storm.observed() >= 10, storm.explanation());
    }

    @Test
    void eachNodeAloneDoesNotSeeTheSpreadStorm() {
        List<Alert> alerts = run(node -> new LocalCounters(), spreadStorm(), false);
        assertEquals(List.of(), alerts.stream().filter(a -> a.detector().equals(MonitorSettings.REFUSAL_STORM))
                .toList(), "per-node counts stay under the floor; only the cluster's sum crosses it");
    }

    /**
     * An audience used once during learning on node 1 and again, after learning, on node 2 is known to the cluster:
     * no first-time-seen alert; with per-node sets node 2 would have raised one.
     */
    @Test
    void anAudienceKnownOnAnotherNodeIsNotNew() {
        try (StateStoreHolder shared = new StateStoreHolder()) {
            assertEquals(List.of(), useOnTwoNodes(shared.counters("n1"), shared.counters("n2")));
        }
        List<Alert> perNode = useOnTwoNodes(new LocalCounters(), new LocalCounters());
        assertEquals(List.of(MonitorSettings.NEW_AUDIENCE), perNode.stream().map(Alert::detector).toList());
    }

    private List<Alert> useOnTwoNodes(Counters one, Counters two) {
        SimulatedClock clock = new SimulatedClock(START);
        List<AuditEvent> audit = Collections.synchronizedList(new ArrayList<>());
        Monitor n1 = new Monitor(MonitorSettings.DEFAULT, clock, one,
                new Containment(MonitorSettings.DEFAULT, clock, audit::add, null, null), "n1");
        Monitor n2 = new Monitor(MonitorSettings.DEFAULT, clock, two,
                new Containment(MonitorSettings.DEFAULT, clock, audit::add, null, null), "n2");
        List<String> scopes = List.of("tickets:read");
        for (Monitor m : List.of(n1, n2)) {   // both nodes learn the agent's everyday audience
            m.process(Observation.issued(START, "victim", scopes, List.of("https://tickets.example")));
        }
        n1.process(Observation.issued(START.plusSeconds(60), "victim", scopes, List.of("https://rare.example")));
        Instant later = START.plus(Duration.ofHours(2));
        clock.set(later);
        n2.process(Observation.issued(later, "victim", scopes, List.of("https://rare.example")));
        List<Alert> alerts = new ArrayList<>(n1.alerts(null, 10));
        alerts.addAll(n2.alerts(null, 10));
        return alerts;
    }

    /** The shared map of the three simulated nodes: the real {@code monitor} cache of one store. */
    final class StateStoreHolder implements AutoCloseable {
        private StateStore store;
        private SharedMap<String, String> map;

        Counters counters(String node) {
            if (map == null) {
                store = StateStore.start(dir.resolve("shared"));
                map = store.sharedMap(StoreConfiguration.MONITOR);
            }
            return new ClusterCounters(map, node, () -> NODES);
        }

        @Override
        public void close() {
            if (store != null) {
                store.close();
            }
        }
    }
}
