package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.domain.AgentStatus;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import static dev.agentid.issuer.monitor.TrafficGenerator.Actor;
import static dev.agentid.issuer.monitor.TrafficGenerator.daily;
import static dev.agentid.issuer.monitor.TrafficGenerator.orchestrator;
import static dev.agentid.issuer.monitor.TrafficGenerator.steady;
import static dev.agentid.issuer.monitor.TrafficGenerator.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The labelled scenarios of docs/MONITORING.md, replayed in compressed time with a simulated clock: every malicious
 * agent is detected within 10 s of simulated time after its attack starts, the severe ones are suspended through the
 * kill switch, the medium ones throttled, and the benign agents around them raise no alert.
 */
class MonitoringScenariosTest {

    static final Instant START = Instant.parse("2026-01-05T00:00:00Z");
    /** Two hours of normal behaviour first (the learning period is 60 minutes). */
    static final Duration WARM_UP = Duration.ofHours(2);
    static final Duration LIMIT = Duration.ofSeconds(10);
    static final long[] SEEDS = {1, 2, 3};

    @TempDir
    Path dir;

    /** The benign agents every scenario runs among. */
    static List<Actor> benign() {
        long start = START.getEpochSecond();
        return List.of(
                new Actor("steady-busy", "steady", null, false, steady("steady-busy", 30)),
                new Actor("steady-quiet", "steady", null, false, steady("steady-quiet", 2)),
                new Actor("daily-cycle", "daily cycle with an hourly batch", null, false,
                        daily("daily-cycle", 60, 25, start)),
                new Actor("orchestrator", "delegating orchestrator", null, false,
                        orchestrator("orchestrator", List.of("helper-1", "helper-2", "helper-3"), 6)));
    }

    static final String VICTIM = "victim";

    /** One scenario: the victim behaves steadily, then {@code misuse} starts at {@code attack}. */
    record Scenario(String name, boolean severe, Function<String, TrafficGenerator.Behaviour> misuse) {
    }

    static final Scenario RUNAWAY = new Scenario("runaway loop", true, a -> TrafficGenerator.runaway(a, 25));
    static final Scenario STOLEN_KEY_ELSEWHERE = new Scenario("compromised key used from a new place", true,
            TrafficGenerator::stolenKeyElsewhere);
    static final Scenario SCOPE_CREEP = new Scenario("scope-creep attempt", false, TrafficGenerator::scopeCreep);
    static final Scenario LOW_AND_SLOW = new Scenario("low-and-slow misuse", false, TrafficGenerator::lowAndSlow);
    static final Scenario REFUSAL_STORM = new Scenario("refusal storm with stolen keys", true,
            TrafficGenerator::refusalStorm);
    static final Scenario FAN_OUT = new Scenario("fan-out spike of a hijacked orchestrator", true,
            TrafficGenerator::fanOut);
    static final List<Scenario> ALL = List.of(RUNAWAY, STOLEN_KEY_ELSEWHERE, SCOPE_CREEP, LOW_AND_SLOW,
            REFUSAL_STORM, FAN_OUT);

    /** What one run of a scenario showed. */
    record Outcome(Scenario scenario, long seed, Duration delay, Duration sinceFirstMisuse, Alert first, AgentStatus status, boolean throttled,
                   List<Alert> falsePositives, Simulation.Result result) {
    }

    Outcome run(Scenario scenario, long seed) {
        Instant attack = START.plus(WARM_UP).plusSeconds(seed * 7 % 60);
        List<Actor> actors = new ArrayList<>(benign());
        TrafficGenerator.Behaviour misuse = scenario.misuse().apply(VICTIM);
        java.util.concurrent.atomic.AtomicReference<Instant> firstMisuse = new java.util.concurrent.atomic.AtomicReference<>();
        TrafficGenerator.Behaviour tracked = (s, rnd, out) -> {
            int before = out.size();
            misuse.second(s, rnd, out);
            if (out.size() > before) {
                firstMisuse.compareAndSet(null, out.subList(before, out.size()).stream().map(Observation::time)
                        .min(Instant::compareTo).orElseThrow());
            }
        };
        actors.add(new Actor(VICTIM, scenario.name(), attack, scenario.severe(),
                until(steady(VICTIM, 10), attack, tracked)));
        Path runDir = dir.resolve(scenario.name().replaceAll("[^a-z]", "-") + "-" + seed);
        try (Simulation sim = new Simulation(runDir, START, MonitorSettings.DEFAULT)) {
            sim.register(VICTIM, "steady-busy", "steady-quiet", "daily-cycle", "orchestrator");
            Simulation.Result result = sim.run(actors, START, attack.plus(Duration.ofMinutes(3)), seed);
            Alert first = result.first().get(VICTIM);
            List<Alert> falsePositives = result.alerts().stream().filter(a -> !a.agent().startsWith(VICTIM)).toList();
            AgentStatus status = scenario.severe() ? sim.statusEventually(VICTIM, AgentStatus.KILLED)
                    : sim.status(VICTIM);
            return new Outcome(scenario, seed, first == null ? null : Simulation.delay(first, attack),
                    first == null ? null : Simulation.delay(first, firstMisuse.get()), first, status,
                    sim.limiter.throttled(VICTIM), falsePositives, result);
        }
    }

    void assertContained(Scenario scenario) {
        for (long seed : SEEDS) {
            Outcome o = run(scenario, seed);
            assertNotNull(o.first(), scenario.name() + " (seed " + seed + ") was not detected");
            assertTrue(!o.delay().isNegative() && o.delay().compareTo(LIMIT) <= 0, scenario.name() + " (seed " + seed
                    + ") detected after " + o.delay() + ": " + o.first().explanation());
            assertEquals(List.of(), o.falsePositives(), "benign agents raised alerts");
            if (scenario.severe()) {
                assertEquals(AgentStatus.KILLED, o.status(), o.first().explanation());
                assertEquals(Response.SUSPEND, o.first().response());
            } else {
                assertEquals(AgentStatus.ACTIVE, o.status());
                assertTrue(o.throttled(), "a medium alert throttles the agent: " + o.first().explanation());
            }
        }
    }

    @Test
    void runawayLoopIsSuspendedWithinTenSeconds() {
        assertContained(RUNAWAY);
    }

    @Test
    void compromisedKeyUsedFromANewWorkloadIsSuspended() {
        assertContained(STOLEN_KEY_ELSEWHERE);
    }

    @Test
    void scopeCreepAttemptIsDetectedAndThrottled() {
        assertContained(SCOPE_CREEP);
    }

    @Test
    void lowAndSlowUseOfANeverUsedAudienceIsDetectedAndThrottled() {
        assertContained(LOW_AND_SLOW);
    }

    @Test
    void refusalStormWithStolenKeysSuspendsAgent() {
        assertContained(REFUSAL_STORM);
    }

    @Test
    void fanOutSpikeOfAHijackedOrchestratorSuspendsIt() {
        assertContained(FAN_OUT);
    }

    @Test
    void alertExplainsStatisticBaselineAndObservedValue() {
        Outcome o = run(RUNAWAY, 1);
        Alert alert = o.first();
        System.out.println("example alert: " + alert.toJson().encode());
        assertEquals(MonitorSettings.BURST, alert.detector());
        assertEquals(Severity.HIGH, alert.severity());
        assertTrue(alert.observed() >= alert.threshold());
        assertTrue(alert.baseline() > 0 && alert.threshold() >= 20 * alert.baseline());
        assertTrue(alert.explanation().startsWith("agent 'victim' was issued "), alert.explanation());
        assertTrue(alert.explanation().contains("its baseline is "), alert.explanation());
    }

    /**
     * Configured per agent: a batch agent allowed 100 x its baseline runs the same loop as the victim and is not
     * alerted about; another agent whose bursts are only low severity is alerted about, not suspended.
     */
    @Test
    void perAgentSettingsOverrideTheGlobalDetector() {
        MonitorSettings settings = MonitorSettings.parse(new JsonObject("{\"agents\": {"
                + "\"batch\": {\"burst\": {\"factor\": 100}}, \"tolerated\": {\"burst\": {\"severity\": \"low\"}}}}"));
        Instant attack = START.plus(WARM_UP);
        try (Simulation sim = new Simulation(dir, START, settings)) {
            sim.register(VICTIM, "batch", "tolerated");
            List<Actor> actors = List.of(
                    new Actor(VICTIM, "runaway", attack, true,
                            until(steady(VICTIM, 10), attack, TrafficGenerator.runaway(VICTIM, 25))),
                    new Actor("batch", "runaway", attack, false,
                            until(steady("batch", 10), attack, TrafficGenerator.runaway("batch", 25))),
                    new Actor("tolerated", "runaway", attack, false,
                            until(steady("tolerated", 10), attack, TrafficGenerator.runaway("tolerated", 25))));
            Simulation.Result r = sim.run(actors, START, attack.plusSeconds(30), 1);
            assertEquals(Response.SUSPEND, r.first().get(VICTIM).response());
            assertTrue(!r.first().containsKey("batch"), "batch: " + r.first().get("batch"));
            assertEquals(Severity.LOW, r.first().get("tolerated").severity());
            assertEquals(Response.ALERT, r.first().get("tolerated").response());
            assertEquals(AgentStatus.KILLED, sim.statusEventually(VICTIM, AgentStatus.KILLED));
            assertEquals(AgentStatus.ACTIVE, sim.status("tolerated"));
        }
    }

    /** The suspension is an audit record by the monitor, with the explanation, and one with the evidence. */
    @Test
    void automaticSuspensionIsAuditedWithItsEvidence() {
        Instant attack = START.plus(WARM_UP);
        try (Simulation sim = new Simulation(dir, START, MonitorSettings.DEFAULT)) {
            sim.register(VICTIM);
            sim.run(List.of(new Actor(VICTIM, "runaway", attack, true,
                    until(steady(VICTIM, 10), attack, TrafficGenerator.runaway(VICTIM, 25)))), START,
                    attack.plusSeconds(30), 1);
            assertEquals(AgentStatus.KILLED, sim.statusEventually(VICTIM, AgentStatus.KILLED));
            AuditEvent.AgentChanged killed = (AuditEvent.AgentChanged) sim.audit.stream()
                    .filter(e -> e.type().equals(AuditEvent.AGENT_KILLED)).findFirst().orElseThrow();
            assertEquals(Containment.BY, killed.by());
            assertTrue(killed.reason().startsWith("burst: agent 'victim' was issued "), killed.reason());
            AuditEvent action = sim.audit.stream().filter(e -> e.type().equals(AuditEvent.MONITOR_ACTION))
                    .findFirst().orElseThrow();
            assertEquals("suspend", action.fields().get("action"));
            assertTrue(((java.util.Map<?, ?>) action.fields().get("evidence")).containsKey("count"));
            assertTrue(sim.audit.stream().anyMatch(e -> e.type().equals(AuditEvent.MONITOR_ALERT)));
        }
    }

    /**
     * The owner is offboarded; a token is then issued to their agent (e.g. on a path the offboarding has not reached):
     * critical, suspended at once, the explanation names the owner and when they left.
     */
    @Test
    void useRightAfterOwnerOffboardingSuspendsAgent() {
        Instant t = START.plus(WARM_UP);
        try (Simulation sim = new Simulation(dir, START, MonitorSettings.DEFAULT)) {
            sim.register(VICTIM);
            sim.run(List.of(new Actor(VICTIM, "steady", null, false, steady(VICTIM, 10))), START, t, 1);
            sim.monitor.process(new Observation(Observation.Kind.OFFBOARDED, t, "-", "user:alice", List.of(),
                    List.of(), null, 0, List.of(), null, null, null, true));
            Observation use = new Observation(Observation.Kind.ISSUED, t.plusSeconds(2), VICTIM, "user:alice",
                    List.of("tickets:read"), List.of("https://tickets.example"), null, 1, List.of(),
                    "sha256:victim-workload", "victim-dpop-key", null, true);
            sim.clock.set(use.time());
            sim.monitor.process(use);
            Alert alert = sim.monitor.alerts(VICTIM, 1).get(0);
            assertEquals(MonitorSettings.OWNER_OFFBOARDED, alert.detector());
            assertEquals(Severity.CRITICAL, alert.severity());
            assertTrue(alert.explanation().contains("after its owner 'user:alice' was offboarded at " + t),
                    alert.explanation());
            assertEquals(AgentStatus.KILLED, sim.statusEventually(VICTIM, AgentStatus.KILLED));
        }
    }

    /** A simulated day and a bit of benign traffic: steady, quiet, daily cycles, batches, delegation. */
    @Test
    void benignAgentsRaiseNoAlertOverASimulatedDay() {
        for (long seed : SEEDS) {
            try (Simulation sim = new Simulation(dir.resolve("day-" + seed), START, MonitorSettings.DEFAULT)) {
                Simulation.Result r = sim.run(benign(), START, START.plus(Duration.ofHours(26)), seed);
                assertEquals(List.of(), r.alerts(), "seed " + seed);
                assertTrue(r.observations() > 50_000, "observations: " + r.observations());
            }
        }
    }

    /**
     * The figures of docs/MONITORING.md: detection delay per scenario over the seeds, the false-positive rate over
     * benign agent-days, and the monitor's CPU per observation; written to target/monitoring-evaluation.txt.
     */
    /** Seeds of the evaluation: 5 in the build; {@code -Dmonitoring.seeds=20} for the figures of the docs. */
    static final int EVALUATION_SEEDS = Integer.getInteger("monitoring.seeds", 5);

    @Test
    void evaluationReport() throws IOException {
        StringBuilder report = new StringBuilder("scenario | seeds | detected | delay after the attack starts, min /"
                + " median / max (s) | delay after the first misuse event, min / median / max (s) | first detector |"
                + " response | false alerts on benign agents\n");
        for (Scenario scenario : ALL) {
            List<Double> delays = new ArrayList<>();
            List<Double> sinceMisuse = new ArrayList<>();
            String detector = "-";
            String response = "-";
            int fp = 0;
            for (long seed = 1; seed <= EVALUATION_SEEDS; seed++) {
                Outcome o = run(scenario, seed);
                if (o.first() != null) {
                    delays.add(o.delay().toMillis() / 1000.0);
                    sinceMisuse.add(o.sinceFirstMisuse().toMillis() / 1000.0);
                    detector = o.first().detector();
                    response = o.first().response().label();
                }
                fp += o.falsePositives().size();
            }
            delays.sort(Double::compare);
            sinceMisuse.sort(Double::compare);
            report.append(String.format(Locale.ROOT, "%s | %d | %d | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %s | %s"
                    + " | %d%n", scenario.name(), EVALUATION_SEEDS, delays.size(), delays.get(0),
                    delays.get(delays.size() / 2), delays.get(delays.size() - 1), sinceMisuse.get(0),
                    sinceMisuse.get(sinceMisuse.size() / 2), sinceMisuse.get(sinceMisuse.size() - 1), detector,
                    response, fp));
        }
        long alerts = 0;
        long observations = 0;
        long cpu = 0;
        int agentDays = 0;
        for (long seed = 1; seed <= EVALUATION_SEEDS; seed++) {
            try (Simulation sim = new Simulation(dir.resolve("eval-day-" + seed), START, MonitorSettings.DEFAULT)) {
                Simulation.Result r = sim.run(benign(), START, START.plus(Duration.ofHours(24)), seed);
                alerts += r.alerts().size();
                observations += r.observations();
                cpu += r.cpuNanos();
                agentDays += 7;   // four benign agents and three helpers, one day each
            }
        }
        report.append(String.format(Locale.ROOT, "benign: %d alerts over %d agent-days (%d observations);"
                + " false-positive rate %.3f alerts per agent-day%n", alerts, agentDays, observations,
                (double) alerts / agentDays));
        report.append(String.format(Locale.ROOT, "monitor CPU per observation (process + ticks): %.2f us%n",
                cpu / 1000.0 / observations));
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/monitoring-evaluation.txt"), report.toString());
        System.out.println(report);
        assertEquals(0, alerts);
    }
}
