package dev.agentid.issuer.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.issuer.audit.AuditEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An attacker cannot teach a rate detector its own attack: the seconds a detector judges are never learned into the
 * baseline it judges them against. Two ways to try, each driven second by second through {@link Monitor#process}
 * and {@link Monitor#tick} with a simulated clock (the real-endpoint version is
 * {@code MonitoringEndpointTest.refusalStormTimedAcrossAMinuteBoundaryStillSuspendsTheAgent}):
 * <ul>
 *   <li>time the storm across a minute boundary, so that its first half is learned as a complete minute at the very
 *       tick that judges it;</li>
 *   <li>keep a burst going past the alert's cooldown, so that its minutes become the baseline and the repeat
 *       passes.</li>
 * </ul>
 */
class BaselineEvasionTest {

    /** 12:00:00 UTC: a minute boundary. */
    private static final Instant BOUNDARY = Instant.parse("2026-01-05T12:00:00Z");

    private final List<AuditEvent> audit = new ArrayList<>();
    private final SimulatedClock clock = new SimulatedClock(BOUNDARY.minusSeconds(3600));
    /** Judged at once (no learning period), and every alert only reported, so no registry is needed. */
    private final MonitorSettings settings = MonitorSettings.parse(new JsonObject().put("learning_minutes", 0)
            .put("responses", new JsonObject().put("high", "alert").put("medium", "alert").put("low", "alert")));
    private final Monitor monitor = new Monitor(settings, clock, new LocalCounters(),
            new Containment(settings, clock, audit::add, null, null), "n1");

    /** Ticks every second from {@code from} (inclusive) to {@code to} (exclusive), as the monitor thread does. */
    private void tick(Instant from, Instant to) {
        for (Instant t = from; t.isBefore(to); t = t.plusSeconds(1)) {
            clock.set(t);
            monitor.tick(t);
        }
    }

    private List<Alert> alerts(String detector) {
        return monitor.alerts("victim", 100).stream().filter(a -> a.detector().equals(detector)).toList();
    }

    @Test
    void aRefusalStormTimedAcrossAMinuteBoundaryIsNotLearnedAsTheAgentsBaseline() {
        Instant start = BOUNDARY.minusSeconds(3600);
        monitor.process(Observation.issued(start, "victim", List.of("read"), List.of("https://api.example")));
        tick(start, BOUNDARY.minusSeconds(1));
        // 6 refusals in the last second of the minute: under the floor of 10, so no alert at 11:59:59
        Instant before = BOUNDARY.minusMillis(500);
        for (int i = 0; i < 6; i++) {
            monitor.process(Observation.refused(before, "victim", "invalid_scope", true));
        }
        tick(BOUNDARY.minusSeconds(1), BOUNDARY);
        assertEquals(List.of(), alerts(MonitorSettings.REFUSAL_STORM), "6 refusals are under the floor");
        // 6 more right after the boundary: 12 in 10 s. At 12:00:00 the minute 11:59 (with the first 6) is learned.
        for (int i = 0; i < 6; i++) {
            monitor.process(Observation.refused(BOUNDARY.plusMillis(200), "victim", "invalid_scope", true));
        }
        tick(BOUNDARY, BOUNDARY.plusSeconds(2));
        List<Alert> storm = alerts(MonitorSettings.REFUSAL_STORM);
        assertEquals(1, storm.size(), "the storm is judged against the baseline before it: " + monitor.alerts(null, 9));
        assertEquals(12.0, storm.get(0).observed());
        assertEquals(10.0, storm.get(0).threshold(), "the floor, not 20 x the storm's own first half");
    }

    @Test
    void aBurstTimedAcrossAMinuteBoundaryIsNotLearnedAsTheAgentsBaseline() {
        Instant start = BOUNDARY.minusSeconds(3600);
        for (Instant t = start; t.isBefore(BOUNDARY.minusSeconds(2)); t = t.plusSeconds(6)) {   // 10 a minute
            monitor.process(Observation.issued(t, "victim", List.of("read"), List.of("https://api.example")));
        }
        tick(start, BOUNDARY.minusSeconds(1));
        // 30 tokens in the last second of the minute (180 a minute over 10 s: under the threshold of 20 x 10), then
        // 30 in the first second of the next: 366 a minute, with the everyday one at 11:59:54. At 12:00:00 minute
        // 11:59, with the first 30, is learned.
        for (int i = 0; i < 30; i++) {
            monitor.process(Observation.issued(BOUNDARY.minusMillis(500), "victim", List.of("read"),
                    List.of("https://api.example")));
        }
        tick(BOUNDARY.minusSeconds(1), BOUNDARY);
        assertEquals(List.of(), alerts(MonitorSettings.BURST), "180 a minute is under the threshold of 200");
        for (int i = 0; i < 30; i++) {
            monitor.process(Observation.issued(BOUNDARY.plusMillis(200), "victim", List.of("read"),
                    List.of("https://api.example")));
        }
        tick(BOUNDARY, BOUNDARY.plusSeconds(2));
        List<Alert> burst = alerts(MonitorSettings.BURST);
        assertEquals(1, burst.size(), "the burst is judged against the baseline before it");
        assertEquals(366.0, burst.get(0).observed(), burst.get(0).explanation());
        assertEquals(200.0, burst.get(0).threshold(), 1.0, burst.get(0).explanation());
        assertEquals(10.0, burst.get(0).baseline(), 1.0, burst.get(0).explanation());
    }

    @Test
    void aBurstKeptUpPastTheCooldownIsNotLearnedSoItAlertsAgain() {
        Instant start = BOUNDARY.minusSeconds(3600);
        for (Instant t = start; t.isBefore(BOUNDARY); t = t.plusSeconds(6)) {   // 10 a minute for an hour
            monitor.process(Observation.issued(t, "victim", List.of("read"), List.of("https://api.example")));
        }
        tick(start, BOUNDARY);
        // then 50 a second for five minutes: 3,000 a minute, 300 times the baseline
        Instant end = BOUNDARY.plusSeconds(300);
        for (Instant t = BOUNDARY; t.isBefore(end); t = t.plusSeconds(1)) {
            for (int i = 0; i < 50; i++) {
                monitor.process(Observation.issued(t, "victim", List.of("read"), List.of("https://api.example")));
            }
            clock.set(t);
            monitor.tick(t);
        }
        List<Alert> burst = alerts(MonitorSettings.BURST);
        assertEquals(5, burst.size(), "one alert per cooldown for as long as the burst lasts: " + burst.stream()
                .map(Alert::explanation).toList());
        for (Alert a : burst) {
            assertEquals(10.0, a.baseline(), 1.0, "the burst never became the baseline: " + a.explanation());
        }
        // five quiet minutes later, a burst a tenth the size is still one: the first burst was never learned
        Instant again = end.plusSeconds(300);
        tick(end, again);
        assertEquals(6, alerts(MonitorSettings.BURST).size(), "the burst's last 9 s, judged at its end");
        for (int i = 0; i < 300; i++) {
            monitor.process(Observation.issued(again, "victim", List.of("read"), List.of("https://api.example")));
        }
        tick(again, again.plusSeconds(2));
        List<Alert> after = alerts(MonitorSettings.BURST);
        assertEquals(7, after.size(), "the repeat is judged against the old baseline: " + after.get(0).explanation());
        assertEquals(10.0, after.get(0).baseline(), 1.0, after.get(0).explanation());
    }
}
