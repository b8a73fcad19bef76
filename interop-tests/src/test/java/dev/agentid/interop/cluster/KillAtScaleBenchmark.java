package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill at scale on three issuer JVMs: agent K holds one token, agent D exchanges it N times (N = 10,000, then
 * 100,000), spread over the three nodes, so K has N live descendant tokens. Then K is killed on node 1, and this
 * measures, from the kill's 200:
 * <ul>
 * <li>until every node rejects them: each node introspects a random sample of 100 of the N tokens, back to back,
 * until all 100 are inactive (the request path checks the chain's agents, O(depth), so this cannot depend on N);</li>
 * <li>until every node's status list shows all N bits (fetched, verified and decoded, every 100 ms).</li>
 * </ul>
 * Along the way: the minting rate, the heap per live token (class histogram after a full GC, node 2, before and
 * after minting, minus the client-assertion replay entries measured separately), the heap per revocation entry, and
 * the size of the served status list.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class KillAtScaleBenchmark {

    static final int SAMPLE = 100;
    /** The status-list worker's thread name as /proc shows it (15 characters of "agentid-status-lists"). */
    static final String STATUS_WORKER = "agentid-status-";
    static final int CHUNK = 20_000;
    static final int CONCURRENCY = 32;
    static final int REPLAY_PROBES = 5_000;
    /**
     * Revocations for the heap figure, in the largest N's run: each revoked token is verified, and the issuer's cache
     * of verified tokens (bounded at 4,096 entries, each a token's parsed claims) fills as they come: with 5,000
     * revocations the parsed claims led the growth by class; spread over 40,000 they no longer show among the
     * classes that grow most.
     */
    static final int REVOCATIONS = Integer.getInteger("bench.revocations", 40_000);
    /** -Dbench.kill.max=10000 leaves out the 100,000 run (minting takes N / exchange rate). */
    static final int MAX_N = Integer.getInteger("bench.kill.max", 100_000);

    static Cluster cluster;
    static List<IssuerProcess> nodes;

    @BeforeAll
    static void startCluster() {
        // -XX:MarkSweepDeadRatio=0: the Serial collector's full collection compacts everything. By default it may leave
        // up to 5% of the old generation as dead wood, filler int[] arrays that a class histogram counts as live: with
        // a 1 GiB heap that was 1,257 of the 1,940 bytes measured per revocation (697 without it)
        cluster = Cluster.start("bench-kill", 3, launcher -> launcher.maxHeap("1g").sizedAsDocumented()
                .jvmOptions("-XX:MarkSweepDeadRatio=0"));
        nodes = List.of(cluster.node(1), cluster.node(2), cluster.node(3));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killAnAgentWith10000LiveDescendants() {
        killAtScale(10_000, MAX_N < 100_000);
    }

    @Test
    void killAnAgentWith100000LiveDescendants() {
        killAtScale(100_000, true);
    }

    private static void killAtScale(int n, boolean measureRevocationHeap) {
        Assumptions.assumeTrue(n <= MAX_N, "-Dbench.kill.max=" + MAX_N + " leaves out N=" + n);
        TestAgents admin = cluster.agents(1);
        Agent k = admin.agent("ks-k" + n).owner("user:k").scopes("files:read", "files:write").audiences(API)
                .delegates("ks-d" + n).tokenTtlSeconds(3600).register();
        Agent d = admin.agent("ks-d" + n).owner("user:d").scopes("files:read").audiences(API)
                .tokenTtlSeconds(3600).register();
        String root = k.token(SCOPES, API);
        LoadGenerator load = new LoadGenerator();
        IssuerProcess measured = cluster.node(2);

        long heapBefore = BenchAgents.liveHeapBytes(measured);
        List<String> tokens = new ArrayList<>(n);
        long mintNanos = 0;
        for (int done = 0; done < n; done += CHUNK) {
            int size = Math.min(CHUNK, n - done);
            List<String> bodies = BenchAgents.exchangeBodies(d, root, "files:read", size);
            LoadGenerator.Result minted = load.run(BenchAgents.tokenEndpoints(nodes), bodies, CONCURRENCY, true);
            assertEquals(0, minted.failed(), "failed exchanges while minting: " + minted.firstFailure());
            mintNanos += minted.wallNanos();
            for (String body : minted.bodies()) {
                tokens.add(BenchAgents.accessToken(body));
            }
        }
        Bench.report("kill at scale, N=%d: minted N descendant tokens over 3 nodes at %.0f exchanges/s", n,
                n / (mintNanos / 1e9));
        long heapAfterMint = BenchAgents.liveHeapBytes(measured);

        // the replay entries of the N client assertions are part of that delta: measure one entry alone
        List<String> probes = IntStream.range(0, REPLAY_PROBES).parallel().mapToObj(i -> {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("token", root);
            form.put("client_assertion_type", TestAgents.JWT_BEARER);
            form.put("client_assertion", d.clientAssertion());
            return Http.form(form);
        }).toList();
        LoadGenerator.Result probed = load.run(nodes.stream().map(IssuerProcess::introspectionEndpoint).toList(),
                probes, CONCURRENCY, false);
        assertEquals(0, probed.failed(), "introspection probes: " + probed.firstFailure());
        long heapAfterProbes = BenchAgents.liveHeapBytes(measured);
        double perAssertion = (heapAfterProbes - heapAfterMint) / (double) REPLAY_PROBES;
        double perToken = (heapAfterMint - heapBefore) / (double) n;
        Bench.report("heap, N=%d (node 2, live bytes after full GC): %.0f bytes per minted token in all; %.0f of it"
                + " the client assertion's replay entry (gone after the assertion expires); %.0f bytes per live token"
                + " of lineage and status state", n, perToken, perAssertion, perToken - perAssertion);

        // status references and the sample
        Map<String, List<Long>> indicesByList = new HashMap<>();
        for (String token : tokens) {
            StatusLists.Reference ref = StatusLists.reference(token);
            indicesByList.computeIfAbsent(ref.uri(), u -> new ArrayList<>()).add(ref.idx());
        }
        List<String> sample = new ArrayList<>(tokens);
        Collections.shuffle(sample, new Random(n));
        List<String> probe = List.copyOf(sample.subList(0, SAMPLE));
        for (int i = 1; i <= 3; i++) {
            for (String token : probe.subList(0, 10)) {
                assertTrue(cluster.agents(i).isActive(token), "live before the kill, node " + i);
            }
        }

        // the probes' threads are started first and wait for the kill's 200, so that the first probe leaves at once
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong killedAt = new AtomicLong();
        List<CompletableFuture<Rejection>> rejecting = new ArrayList<>();
        List<CompletableFuture<Double>> bits = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int node = i;
            rejecting.add(CompletableFuture.supplyAsync(() -> untilAllRejected(node, probe, after(go, killedAt)),
                    threads()));
            bits.add(CompletableFuture.supplyAsync(() -> untilAllBits(node, indicesByList, after(go, killedAt)),
                    threads()));
        }
        // what the kill costs each node: its status-list worker, and the whole process, until the probes end
        long[] workerBefore = new long[3];
        double[] processBefore = new double[3];
        for (int i = 0; i < 3; i++) {
            workerBefore[i] = Bench.threadRunNanos(nodes.get(i).pid(), STATUS_WORKER);
            processBefore[i] = Bench.cpuMillis(nodes.get(i).pid());
        }
        try {
            cluster.agents(1).kill(k.id()).expect(200);
            killedAt.set(System.nanoTime());
        } catch (RuntimeException | AssertionError e) {
            killedAt.set(-1);   // the waiting probes give up at once
            throw e;
        } finally {
            go.countDown();
        }
        List<Double> firstMs = rejecting.stream().map(f -> f.join().first()).toList();
        List<Double> rejectMs = rejecting.stream().map(f -> f.join().all()).toList();
        List<Double> bitsMs = bits.stream().map(CompletableFuture::join).toList();
        List<Double> workerMs = new ArrayList<>();
        List<Double> processMs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workerMs.add((Bench.threadRunNanos(nodes.get(i).pid(), STATUS_WORKER) - workerBefore[i]) / 1e6);
            processMs.add(Bench.cpuMillis(nodes.get(i).pid()) - processBefore[i]);
        }
        Bench.report("kill at scale, N=%d: the first rejection on every node after %.1f ms (nodes 1..3: %s ms; bar"
                        + " 20 ms: %s); every node rejects the sample of %d after %.1f ms (nodes 1..3: %s ms); every"
                        + " node's status list shows all N bits after %.0f ms (nodes 1..3: %s ms)", n,
                Collections.max(firstMs), fmt(firstMs), Collections.max(firstMs) <= 20 ? "met" : "NOT met", SAMPLE,
                Collections.max(rejectMs), fmt(rejectMs), Collections.max(bitsMs), fmt(bitsMs));
        Bench.report("kill at scale, N=%d: CPU from the kill until the probes ended (every node rejecting the sample"
                        + " and serving all N bits): status-list workers %.1f ms in all (nodes 1..3: %s ms), issuer"
                        + " processes %.0f ms (nodes 1..3: %s ms, 10 ms ticks; the probes' requests included)", n, workerMs.stream().mapToDouble(Double::doubleValue).sum(),
                fmt(workerMs), processMs.stream().mapToDouble(Double::doubleValue).sum(), fmt(processMs));
        for (String uri : indicesByList.keySet()) {
            StatusLists.Fetched list = StatusLists.fetch(cluster.node(1), uri);
            Bench.report("kill at scale, N=%d: status list %s: %d statuses, %d bytes as a statuslist+jwt, ttl %d s",
                    n, uri, list.list().size(), list.jwtBytes(), list.ttlSeconds());
        }

        if (measureRevocationHeap) {
            String before = BenchAgents.histogram(measured);
            long beforeRevocations = BenchAgents.totalBytes(before);
            int revocations = Math.min(REVOCATIONS, tokens.size());
            List<String> forms = tokens.subList(0, revocations).stream().map(t -> Http.form(Map.of("token", t)))
                    .toList();
            LoadGenerator.Result revoked = load.run(nodes.stream().map(IssuerProcess::revocationEndpoint).toList(),
                    forms, CONCURRENCY, false, cluster.adminToken());
            assertEquals(0, revoked.failed(), "revocations: " + revoked.firstFailure());
            String after = BenchAgents.histogram(measured);
            long afterRevocations = BenchAgents.totalBytes(after);
            Bench.report("heap: %.0f bytes per revocation entry (%d revocations of live-until-now tokens; %s); grown"
                            + " most, per revocation: %s",
                    (afterRevocations - beforeRevocations) / (double) revocations, revocations, revoked.summary(),
                    BenchAgents.topGrowth(before, after, 8, revocations));
        }
    }

    /** Waits for {@code go}, then returns the time it was given (the kill's 200). */
    private static long after(CountDownLatch go, AtomicLong time) {
        try {
            if (!go.await(10, TimeUnit.MINUTES)) {
                throw new AssertionError("the kill never came");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        long killed = time.get();
        if (killed < 0) {
            throw new AssertionError("the kill failed");
        }
        return killed;
    }

    private static java.util.concurrent.Executor threads() {
        return r -> new Thread(r, "kill-at-scale-probe").start();
    }

    private static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format(java.util.Locale.ROOT, "%.1f", v)).toList().toString();
    }

    /** Milliseconds from the kill's 200 until a node's first rejection of the sample, and until its last. */
    private record Rejection(double first, double all) {
    }

    /** Introspects the sample at node {@code n}, round after round, until every token is inactive. */
    private static Rejection untilAllRejected(int n, List<String> sample, long since) {
        TestAgents node = cluster.agents(n);
        List<String> left = new ArrayList<>(sample);
        long deadline = System.nanoTime() + 600_000_000_000L;
        int passes = 0;
        double first = -1;
        double firstSent = -1;
        while (!left.isEmpty()) {
            passes++;
            for (java.util.Iterator<String> it = left.iterator(); it.hasNext(); ) {
                long sent = System.nanoTime();
                if (!node.isActive(it.next())) {
                    it.remove();
                    if (first < 0) {
                        first = (System.nanoTime() - since) / 1e6;
                        firstSent = (sent - since) / 1e6;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(left.size() + " tokens still active at node " + n);
            }
        }
        double all = (System.nanoTime() - since) / 1e6;
        Bench.report("kill at scale, node %d: first token of the sample rejected %.1f ms after the kill (its"
                        + " introspection sent at %.1f ms), all %d after %.1f ms, in %d pass(es) over the sample"
                        + " (%.2f ms per introspection)", n, first, firstSent, sample.size(), all, passes,
                (all - first) / Math.max(1, sample.size() - 1));
        return new Rejection(first, all);
    }

    /** Fetches node {@code n}'s status lists every 100 ms until every index is INVALID; ms since the kill. */
    private static double untilAllBits(int n, Map<String, List<Long>> indicesByList, long since) {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (true) {
            boolean all = true;
            for (Map.Entry<String, List<Long>> list : indicesByList.entrySet()) {
                StatusLists.Fetched fetched = StatusLists.fetch(cluster.node(n), list.getKey());
                for (long idx : list.getValue()) {
                    if (fetched.status(idx) != StatusList.INVALID) {
                        all = false;
                        break;
                    }
                }
                if (!all) {
                    break;
                }
            }
            if (all) {
                return (System.nanoTime() - since) / 1e6;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node " + n + "'s status lists lack bits 10 minutes after the kill");
            }
            dev.agentid.interop.Interop.pause(java.time.Duration.ofMillis(100));
        }
    }
}
