package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.TestAgents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A flood of refused requests naming client_ids nobody registered (any string an attacker invents) costs monitoring
 * no model and no memory per name, while a registered agent named the same way is still watched.
 */
class UnregisteredNamesTest {

    @TempDir
    Path dir;

    @Test
    void refusalsNamingInventedClientIdsAreNotModelled() {
        Instant start = Instant.parse("2026-01-05T00:00:00Z");
        SimulatedClock clock = new SimulatedClock(start);
        try (StateStore store = StateStore.start(dir)) {
            Simulation.await(store.agents().register(TestAgents.agent("real", start).build()));
            List<AuditEvent> audit = new ArrayList<>();
            Monitor monitor = new Monitor(MonitorSettings.DEFAULT, clock, new LocalCounters(),
                    new Containment(MonitorSettings.DEFAULT, clock, audit::add, store.agents(), null), "n");
            for (int i = 0; i < 50_000; i++) {
                monitor.process(Observation.refused(start, "invented-" + i, "invalid_client", false));
            }
            for (int i = 0; i < 12; i++) {
                monitor.process(Observation.refused(start, "real", "invalid_client", false));
            }
            monitor.tick(start.plusMillis(999));
            assertEquals(1, monitor.agentsModelled());
            assertEquals(List.of(MonitorSettings.UNAUTHENTICATED_REFUSALS),
                    monitor.alerts(null, 10).stream().map(Alert::detector).toList());
        }
    }
}
