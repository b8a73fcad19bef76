package dev.agentid.issuer.monitor;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.audit.AuditEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;

/**
 * What monitoring costs the issuer (not run by default; docs/MONITORING.md): the token endpoint's latency with
 * monitoring on and off (same process, alternating rounds), and the audit writer's hand-off per record.
 * {@code mvn -B -o -q test -pl issuer -am -Dtest=MonitorOverheadBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 */
class MonitorOverheadBenchmark {

    @TempDir
    Path dir;

    static final int WARM = 500;
    static final int ROUNDS = 4;
    static final int PER_ROUND = 500;

    @Test
    void tokenEndpointLatencyWithMonitoringOnAndOff() {
        try (TestIssuer on = TestIssuer.start(dir.resolve("on"), new MutableClock(), 0, Map.of());
             TestIssuer off = TestIssuer.start(dir.resolve("off"), new MutableClock(), 0,
                     Map.of("ISSUER_MONITOR", "off"))) {
            TestAgent a = on.register(agent("bench"));
            TestAgent b = off.register(agent("bench"));
            for (int i = 0; i < WARM; i++) {
                on.tokenFor(a);
                off.tokenFor(b);
            }
            long[] onTimes = new long[ROUNDS * PER_ROUND];
            long[] offTimes = new long[ROUNDS * PER_ROUND];
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < PER_ROUND; i++) {
                    long t = System.nanoTime();
                    on.tokenFor(a);
                    onTimes[r * PER_ROUND + i] = System.nanoTime() - t;
                    t = System.nanoTime();
                    off.tokenFor(b);
                    offTimes[r * PER_ROUND + i] = System.nanoTime() - t;
                }
            }
            long processed = on.server.monitor().processed();
            double cpu = on.server.monitor().cpuNanos() / 1000.0 / processed;
            System.out.printf("token endpoint, client_credentials, sequential, %d requests each:%n"
                    + "  monitoring on:  median %.2f ms, p99 %.2f ms%n  monitoring off: median %.2f ms, p99 %.2f ms%n"
                    + "  monitor thread CPU per observation: %.1f us over %d observations%n",
                    onTimes.length, pct(onTimes, 50), pct(onTimes, 99), pct(offTimes, 50), pct(offTimes, 99), cpu,
                    processed);
        }
    }

    /** The audit writer's hand-off: reduce the record to an observation and offer it to the queue. */
    @Test
    void auditWriterHandOffPerRecord() {
        Monitor monitor = new Monitor(new MonitorSettings(true, MonitorSettings.DEFAULT.learning(),
                MonitorSettings.DEFAULT.detectors(), Map.of(), MonitorSettings.DEFAULT.responses(), 1,
                MonitorSettings.DEFAULT.throttleFor(), null, 2_000_000), java.time.Clock.systemUTC(),
                new LocalCounters(), null, "bench");
        AuditEvent event = new AuditEvent.Issued("client_credentials", "bench", "user:alice", "bench",
                List.of(new AuditEvent.ChainActor("bench", "https://issuer.example")), List.of("read", "write"),
                List.of("https://api.example"), "jti", List.of(), 0, null, Map.of());
        Instant now = Instant.now();
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {   // warm-up (the queue holds them all)
            monitor.offer(event, now);
        }
        Monitor fresh = new Monitor(monitor.settings(), java.time.Clock.systemUTC(), new LocalCounters(), null, "b");
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) {
            fresh.offer(event, now);
        }
        double per = (System.nanoTime() - t) / (double) n;
        System.out.printf("audit writer hand-off (Observation.of + ArrayBlockingQueue.offer): %.0f ns per record%n",
                per);
    }

    static double pct(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
    }
}
