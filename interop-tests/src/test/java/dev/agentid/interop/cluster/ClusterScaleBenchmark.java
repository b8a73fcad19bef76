package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9's cluster criterion: does a cluster add capacity? One issuer alone and a three-node cluster, both running
 * on this machine for the whole test, measured in interleaved runs (single, cluster, then cluster, single, ...) with
 * the same load: {@link LoadGenerator}, 32 requests in flight, half client_credentials grants and half RFC 8693
 * exchanges, each with its own private_key_jwt assertion, signed (on two threads, off the clock) a chunk of 1,000 at
 * a time just before the chunk is sent; on the cluster the requests go round-robin to all three nodes. Reports req/s
 * of each, the cluster/single ratio per run, issuer CPU per request (all nodes of the setup), the load generator's
 * CPU, issuer CPU by thread group, and the CPU the idle setup burned meanwhile. Each issuer JVM is warmed until its
 * JIT has settled ({@link #warmUp}), so the cluster's three JVMs are as compiled as the single one. Asserts 0 failures
 * and a median ratio of at least 0.8 (the same two cores serve both setups, so a cluster should cost little).
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterScaleBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    /** Warm-up requests per issuer JVM: each of the cluster's three JVMs gets as many as the single node (JIT). */
    static final int WARM_UP = Integer.getInteger("bench.warmup", 10_000);
    static final int WARM_UP_ROUND = Integer.getInteger("bench.warmup.round", 5_000);
    static final int WARM_UP_MAX = Integer.getInteger("bench.warmup.max", 80_000);
    static final double JIT_SETTLED = 0.05;
    static final int PER_RUN = Integer.getInteger("bench.requests", 10_000);
    /** Requests signed and sent at a time: 1,000 take 25 s at 40 req/s, the slowest rate seen on a busy machine. */
    static final int CHUNK = Integer.getInteger("bench.chunk", 1_000);
    static final int RUNS = Integer.getInteger("bench.runs", 3);
    static final double BAR = 0.8;
    /**
     * {@code -Dbench.cluster.sized=true}: each cluster JVM sized for its share of the machine (a third of two cores):
     * {@code -XX:ActiveProcessorCount=1} (GC, JIT and library pools) and one event loop, as a container CPU limit
     * would size it. The single node keeps the machine's two cores.
     */
    static final boolean SIZED = !"false".equals(System.getProperty("bench.cluster.sized"));
    /**
     * {@code -Dbench.cluster.jvmOptions="-XX:StartFlightRecording=..."}: extra JVM options for each cluster node
     * (space-separated; {@code {node}} becomes the node's name), e.g. to profile the cluster's request path with JFR.
     */
    static final String NODE_OPTIONS = System.getProperty("bench.cluster.jvmOptions", "").strip();

    /** One setup under test: its nodes, and two agents registered on it. */
    private record Setup(String name, List<IssuerProcess> nodes, Agent client, Agent actor, String subject) {

        static Setup of(String name, List<IssuerProcess> nodes, TestAgents admin) {
            String prefix = name.startsWith("single") ? "scale1" : "scale3";
            Agent a = admin.agent(prefix + "-a").owner("user:alice").scopes("files:read", "files:write")
                    .audiences(API).delegates(prefix + "-b").tokenTtlSeconds(3600).register();
            Agent b = admin.agent(prefix + "-b").owner("user:bob").scopes("files:read").audiences(API)
                    .tokenTtlSeconds(3600).register();
            return new Setup(name, nodes, a, b, a.token(SCOPES, API));
        }

        /** {@code n} bodies, even indices client_credentials, odd ones exchanges; signed on two threads. */
        List<String> bodies(int n) {
            return IntStream.range(0, n).parallel().mapToObj(i -> i % 2 == 0 ? BenchAgents.clientCredentialsBody(client)
                    : Http.form(actor.exchangeForm(subject, "files:read", null))).toList();
        }

        List<URI> targets() {
            return BenchAgents.tokenEndpoints(nodes);
        }

        double cpuMillis() {
            double sum = 0;
            for (IssuerProcess node : nodes) {
                sum += Bench.cpuMillis(node.pid());
            }
            return sum;
        }
    }

    private static IssuerProcess.Launcher clusterNode(IssuerProcess.Launcher launcher) {
        launcher.maxHeap("1g");
        if (SIZED) {
            launcher.jvmOptions("-XX:ActiveProcessorCount=1").env("ISSUER_EVENT_LOOPS", "1");
        }
        if (!NODE_OPTIONS.isEmpty()) {
            launcher.jvmOptions(NODE_OPTIONS.replace("{node}", launcher.name()).split("\\s+"));
        }
        return launcher;
    }

    private record Cell(double perSecond, double serverCpuPerRequest, double clientCpuPerRequest) {
    }

    @Test
    void threeNodesAgainstOne() {
        try (IssuerProcess single = IssuerProcess.named("bench-scale-single").maxHeap("1g").start();
             Cluster cluster = Cluster.start("bench-scale", 3, ClusterScaleBenchmark::clusterNode)) {
            Setup one = Setup.of("single node", List.of(single), new TestAgents(single, Clock.systemUTC()));
            Setup three = Setup.of("3-node cluster", List.of(cluster.node(1), cluster.node(2), cluster.node(3)),
                    cluster.agents(1));
            LoadGenerator load = new LoadGenerator();
            for (Setup s : List.of(one, three)) {
                warmUp(load, s);
            }
            List<Double> singleRates = new ArrayList<>();
            List<Double> clusterRates = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            List<Double> singleCpu = new ArrayList<>();
            List<Double> clusterCpu = new ArrayList<>();
            for (int run = 1; run <= RUNS; run++) {
                Map<Setup, Cell> cells = new LinkedHashMap<>();
                List<Setup> order = run % 2 == 1 ? List.of(one, three) : List.of(three, one);
                for (Setup s : order) {
                    cells.put(s, measure(load, s, s == one ? three : one, run));
                }
                Cell c1 = cells.get(one);
                Cell c3 = cells.get(three);
                singleRates.add(c1.perSecond());
                clusterRates.add(c3.perSecond());
                singleCpu.add(c1.serverCpuPerRequest());
                clusterCpu.add(c3.serverCpuPerRequest());
                ratios.add(c3.perSecond() / c1.perSecond());
                Bench.report("cluster scale, run %d: single %.0f req/s, cluster %.0f req/s, ratio %.2f; issuer CPU"
                                + " per request %.2f ms (single), %.2f ms (3 nodes together)", run, c1.perSecond(),
                        c3.perSecond(), c3.perSecond() / c1.perSecond(), c1.serverCpuPerRequest(),
                        c3.serverCpuPerRequest());
            }
            // nearest rank, as Bench.spread prints it: with an even number of runs, the lower of the middle two
            double median = Bench.percentile(ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray(), 50);
            Bench.report("cluster scale: single node %s req/s; 3-node cluster %s req/s; cluster/single %s, median"
                            + " %.2f (bar %.1f); issuer CPU per request: single %s ms, cluster (all nodes) %s ms",
                    Bench.spread(singleRates, "%.0f"), Bench.spread(clusterRates, "%.0f"),
                    Bench.spread(ratios, "%.2f"), median, BAR, Bench.spread(singleCpu, "%.2f"),
                    Bench.spread(clusterCpu, "%.2f"));
            assertTrue(median >= BAR, String.format(java.util.Locale.ROOT,
                    "a 3-node cluster serves %.2fx a single node's throughput (median of %d runs), below %.1f",
                    median, RUNS, BAR));
        }
    }

    /**
     * Warms every JVM of a setup with {@link #WARM_UP} requests each, then goes on in rounds of
     * {@link #WARM_UP_ROUND} per JVM until the JIT compiler threads used less than {@link #JIT_SETTLED} of the
     * setup's CPU in a round (or {@link #WARM_UP_MAX} per JVM): the comparison is of steady states, and three JVMs
     * on two cores compile their code three times, more slowly, than one.
     */
    private static void warmUp(LoadGenerator load, Setup s) {
        int perJvm = 0;
        int round = WARM_UP;
        while (true) {
            List<Map<Long, Map.Entry<String, Double>>> before = s.nodes().stream()
                    .map(node -> Bench.threadCpuMillis(node.pid())).toList();
            LoadGenerator.Result warm = inChunks(load, s, null, round * s.nodes().size(), new double[3]);
            assertEquals(0, warm.failed(), s.name() + " warm-up failures: " + warm.firstFailure());
            perJvm += round;
            double jit = 0;
            double all = 0;
            for (int i = 0; i < s.nodes().size(); i++) {
                for (Map.Entry<String, Double> e : Bench.threadCpuDelta(before.get(i),
                        Bench.threadCpuMillis(s.nodes().get(i).pid())).entrySet()) {
                    all += e.getValue();
                    if (e.getKey().contains("CompilerThre")) {
                        jit += e.getValue();
                    }
                }
            }
            double share = all == 0 ? 0 : jit / all;
            Bench.report("cluster scale, %s, warm-up to %d requests per JVM: %s; JIT compiler %.0f%% of the issuer"
                    + " CPU", s.name(), perJvm, warm.summary(), 100 * share);
            if (share < JIT_SETTLED || perJvm >= WARM_UP_MAX) {
                return;
            }
            round = WARM_UP_ROUND;
        }
    }

    private static Cell measure(LoadGenerator load, Setup s, Setup idle, int run) {
        double[] cpu = new double[3];
        List<Map<Long, Map.Entry<String, Double>>> threadsBefore = s.nodes().stream()
                .map(node -> Bench.threadCpuMillis(node.pid())).toList();
        LoadGenerator.Result result = inChunks(load, s, idle, PER_RUN, cpu);
        Map<String, Double> byThread = new LinkedHashMap<>();
        for (int i = 0; i < s.nodes().size(); i++) {
            Bench.threadCpuDelta(threadsBefore.get(i), Bench.threadCpuMillis(s.nodes().get(i).pid()))
                    .forEach((group, ms) -> byThread.merge(group, ms, Double::sum));
        }
        StringBuilder threads = new StringBuilder();
        byThread.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(12)
                .forEach(e -> threads.append(String.format(java.util.Locale.ROOT, "%s%s %.3f",
                        threads.length() == 0 ? "" : ", ", e.getKey().strip(), e.getValue() / Math.max(1, result.ok()))));
        Bench.report("cluster scale, %s, run %d: issuer CPU per request by thread group (ms, all nodes): %s",
                s.name(), run, threads);
        double serverCpu = cpu[0];
        double idleCpu = cpu[1];
        double clientCpu = cpu[2];
        Bench.report("cluster scale, %s, run %d, concurrency %d, mixed: %s; CPU per request: issuer%s %.2f ms, load"
                        + " generator %.2f ms; idle %s used %.0f ms CPU meanwhile; load average %.1f", s.name(), run,
                CONCURRENCY, result.summary(), s.nodes().size() > 1 ? "s (all nodes)" : "", serverCpu / result.ok(),
                clientCpu / result.ok(), idle.name(), idleCpu,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        assertEquals(0, result.failed(), s.name() + " failures: " + result.firstFailure());
        return new Cell(result.perSecond(), serverCpu / result.ok(), clientCpu / result.ok());
    }

    /**
     * {@code n} requests in chunks of at most {@link #CHUNK}, each chunk signed just before it is sent, so that no
     * assertion is older than its 60 s lifetime even on a slow setup. Only the time under load counts: the wall time
     * is the sum of the chunks', and {@code cpu} gets the CPU (ms) of the setup, the idle setup and this JVM during
     * the chunks. The load drains at each chunk's end, a small dent at 32 in flight.
     */
    private static LoadGenerator.Result inChunks(LoadGenerator load, Setup s, Setup idle, int n, double[] cpu) {
        int ok = 0;
        int failed = 0;
        long wall = 0;
        String firstFailure = null;
        List<long[]> latencies = new ArrayList<>();
        for (int done = 0; done < n; done += CHUNK) {
            List<String> bodies = s.bodies(Math.min(CHUNK, n - done));
            double server = s.cpuMillis();
            double other = idle == null ? 0 : idle.cpuMillis();
            double client = Bench.cpuMillis(ProcessHandle.current().pid());
            LoadGenerator.Result chunk = load.run(s.targets(), bodies, CONCURRENCY, false);
            cpu[0] += s.cpuMillis() - server;
            cpu[1] += idle == null ? 0 : idle.cpuMillis() - other;
            cpu[2] += Bench.cpuMillis(ProcessHandle.current().pid()) - client;
            ok += chunk.ok();
            failed += chunk.failed();
            wall += chunk.wallNanos();
            latencies.add(chunk.sortedLatencyNanos());
            if (firstFailure == null) {
                firstFailure = chunk.firstFailure();
            }
        }
        long[] all = latencies.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
        return new LoadGenerator.Result(ok, failed, wall, all, null, firstFailure);
    }
}
