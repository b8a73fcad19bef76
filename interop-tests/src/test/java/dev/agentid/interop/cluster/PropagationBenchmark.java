package dev.agentid.interop.cluster;

import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Propagation across three issuer JVMs: the time from the 200 of a revocation (or a kill) on node 1 until node 3's
 * introspection says {@code active: false}, polling node 3 back to back. As a baseline, the round trip of one
 * introspection at node 3 (a propagation can never be measured below it).
 */
@ExtendWith(IssuerLogsOnFailure.class)
class PropagationBenchmark {

    static final int WARM_UP = 30;
    static final int SAMPLES = Integer.getInteger("bench.propagation.samples", 250);
    static final int RUNS = Integer.getInteger("bench.runs", 3);
    static final int KILL_SAMPLES = Integer.getInteger("bench.propagation.kills", 120);

    static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("bench-propagation", 3, launcher -> launcher.maxHeap("512m").sizedAsDocumented());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void revocationOnNode1UntilNode3ReportsInactive() {
        TestAgents n1 = cluster.agents(1);
        TestAgents n3 = cluster.agents(3);
        Agent a = n1.agent("prop-a").owner("user:alice").scopes("files:read", "files:write").audiences(API)
                .tokenTtlSeconds(3600).register();
        List<Double> p50s = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        for (int run = 1; run <= RUNS; run++) {
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < WARM_UP + SAMPLES; i++) {
                tokens.add(a.token(SCOPES, API));
            }
            double[] baseline = new double[SAMPLES];
            for (int i = 0; i < SAMPLES; i++) {
                long start = System.nanoTime();
                assertTrue(n3.isActive(tokens.get(WARM_UP + i)));
                baseline[i] = (System.nanoTime() - start) / 1e6;
            }
            Sample s = new Sample(SAMPLES);
            for (int i = 0; i < tokens.size(); i++) {
                String token = tokens.get(i);
                n1.adminRevoke(token).expect(200);
                long acknowledged = System.nanoTime();
                int polls = 0;
                do {
                    polls++;
                } while (n3.isActive(token));
                long seen = System.nanoTime();
                if (i >= WARM_UP) {
                    s.add((seen - acknowledged) / 1e6, polls);
                }
            }
            Arrays.sort(baseline);
            Bench.report("propagation, revoke on node 1 -> inactive at node 3, run %d: %s; baseline introspection"
                    + " round trip at node 3 p50 %.2f ms, p99 %.2f ms", run, s.summary(),
                    Bench.percentile(baseline, 50), Bench.percentile(baseline, 99));
            p50s.add(s.percentile(50));
            p99s.add(s.percentile(99));
        }
        Bench.report("propagation (revoke): p50 %s ms, p99 %s ms (target: p99 < 20 ms)", Bench.spread(p50s, "%.2f"),
                Bench.spread(p99s, "%.2f"));
    }

    @Test
    void killOnNode1UntilNode3ReportsInactive() {
        TestAgents n1 = cluster.agents(1);
        TestAgents n3 = cluster.agents(3);
        List<Agent> agents = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < KILL_SAMPLES + 10; i++) {
            Agent k = n1.agent("prop-k" + i).owner("user:k" + i).scopes("files:read").audiences(API)
                    .tokenTtlSeconds(3600).register();
            agents.add(k);
            tokens.add(k.token("files:read", API));
        }
        Sample s = new Sample(KILL_SAMPLES);
        for (int i = 0; i < agents.size(); i++) {
            n1.kill(agents.get(i).id()).expect(200);
            long acknowledged = System.nanoTime();
            int polls = 0;
            do {
                polls++;
            } while (n3.isActive(tokens.get(i)));
            long seen = System.nanoTime();
            if (i >= 10) {
                s.add((seen - acknowledged) / 1e6, polls);
            }
        }
        Bench.report("propagation, kill on node 1 -> the agent's token inactive at node 3: %s", s.summary());
    }

    /** Propagation samples: milliseconds and the number of polls each took. */
    static final class Sample {
        final double[] millis;
        int n;
        int firstPoll;

        Sample(int size) {
            millis = new double[size];
        }

        void add(double ms, int polls) {
            millis[n++] = ms;
            if (polls == 1) {
                firstPoll++;
            }
        }

        double percentile(double p) {
            double[] sorted = Arrays.copyOf(millis, n);
            Arrays.sort(sorted);
            return Bench.percentile(sorted, p);
        }

        String summary() {
            return String.format(java.util.Locale.ROOT,
                    "%d samples: p50 %.2f ms, p99 %.2f ms, max %.2f ms; inactive at the first poll in %d of %d",
                    n, percentile(50), percentile(99), percentile(100), firstPoll, n);
        }
    }
}
