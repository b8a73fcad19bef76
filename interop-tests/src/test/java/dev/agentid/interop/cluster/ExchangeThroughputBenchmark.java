package dev.agentid.interop.cluster;

import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Token-exchange throughput and latency under a closed-loop load ({@link LoadGenerator}): one issuer alone, then a
 * three-node cluster with the requests spread round-robin. Every request is a full RFC 8693 exchange with its own
 * private_key_jwt client assertion, signed before the run. Reports, never asserts, timing (only that every exchange
 * succeeded). Keycloak 26 on this machine does about 700 exchanges/s; the product bar is 5x that.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ExchangeThroughputBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    static final int WARM_UP = Integer.getInteger("bench.warmup", 6_000);
    static final int PER_RUN = Integer.getInteger("bench.requests", 20_000);
    static final int RUNS = Integer.getInteger("bench.runs", 3);
    static final double KEYCLOAK = 700;

    @Test
    void singleNode() {
        try (IssuerProcess node = IssuerProcess.named("bench-single").maxHeap("1g").start()) {
            measure("single node", List.of(node), new TestAgents(node, Clock.systemUTC()));
        }
    }

    @Test
    void threeNodeCluster() {
        try (Cluster cluster = Cluster.start("bench-throughput", 3, launcher -> launcher.maxHeap("1g"))) {
            measure("3-node cluster", List.of(cluster.node(1), cluster.node(2), cluster.node(3)), cluster.agents(1));
        }
    }

    private static void measure(String setup, List<IssuerProcess> nodes, TestAgents admin) {
        Agent a = admin.agent("tp-a").owner("user:alice").scopes("files:read", "files:write").audiences(API)
                .delegates("tp-b").tokenTtlSeconds(3600).register();
        Agent b = admin.agent("tp-b").owner("user:bob").scopes("files:read").audiences(API)
                .tokenTtlSeconds(600).register();
        String subject = a.token(SCOPES, API);
        List<URI> targets = BenchAgents.tokenEndpoints(nodes);
        LoadGenerator load = new LoadGenerator();

        long signStart = System.nanoTime();
        List<String> warmUp = BenchAgents.exchangeBodies(b, subject, "files:read", WARM_UP);
        double signRate = WARM_UP / ((System.nanoTime() - signStart) / 1e9);
        LoadGenerator.Result warm = load.run(targets, warmUp, CONCURRENCY, false);
        Bench.report("exchange throughput, %s, warm-up: %s (client signed assertions at %.0f/s beforehand)", setup,
                warm.summary(), signRate);
        assertEquals(0, warm.failed(), "failed exchanges in the warm-up: " + warm.firstFailure());

        List<Double> rates = new ArrayList<>();
        List<Double> p50s = new ArrayList<>();
        List<Double> p99s = new ArrayList<>();
        List<Double> cpuPerExchange = new ArrayList<>();
        for (int run = 1; run <= RUNS; run++) {
            List<String> bodies = BenchAgents.exchangeBodies(b, subject, "files:read", PER_RUN);
            double serverCpu = serverCpuMillis(nodes);
            double clientCpu = Bench.cpuMillis(ProcessHandle.current().pid());
            LoadGenerator.Result result = load.run(targets, bodies, CONCURRENCY, false);
            serverCpu = serverCpuMillis(nodes) - serverCpu;
            clientCpu = Bench.cpuMillis(ProcessHandle.current().pid()) - clientCpu;
            Bench.report("exchange throughput, %s, run %d, concurrency %d: %s; CPU per exchange: issuer%s %.2f ms,"
                            + " load generator %.2f ms; load average %.1f", setup, run, CONCURRENCY, result.summary(),
                    nodes.size() > 1 ? "s (all nodes)" : "", serverCpu / result.ok(), clientCpu / result.ok(),
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            cpuPerExchange.add(serverCpu / result.ok());
            assertEquals(0, result.failed(), "failed exchanges: " + result.firstFailure());
            rates.add(result.perSecond());
            p50s.add(result.percentileMillis(50));
            p99s.add(result.percentileMillis(99));
        }
        double median = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray()[rates.size() / 2];
        Bench.report("exchange throughput, %s: %s req/s; p50 %s ms; p99 %s ms; %.1fx Keycloak's ~700 req/s", setup,
                Bench.spread(rates, "%.0f"), Bench.spread(p50s, "%.2f"), Bench.spread(p99s, "%.2f"),
                median / KEYCLOAK);
        double cpu = cpuPerExchange.stream().mapToDouble(Double::doubleValue).sorted().toArray()[RUNS / 2];
        Bench.report("exchange CPU cost, %s: %s ms of issuer CPU per exchange: at most %.0f exchanges/s if the issuer"
                + " had both cores to itself", setup, Bench.spread(cpuPerExchange, "%.2f"), 2000 / cpu);
    }

    private static double serverCpuMillis(List<IssuerProcess> nodes) {
        double sum = 0;
        for (IssuerProcess node : nodes) {
            sum += Bench.cpuMillis(node.pid());
        }
        return sum;
    }
}
