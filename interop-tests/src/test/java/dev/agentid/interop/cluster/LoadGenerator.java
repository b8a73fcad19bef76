package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop HTTP load generator on java.net.http: {@code concurrency} requests in flight at all times (each
 * on a kept-alive HTTP/1.1 connection), each a POST of one pre-built form body, round-robin over the targets. The
 * bodies are built before the clock starts, so the client's own work during the run is sending and receiving.
 */
final class LoadGenerator {

    private final HttpClient client;
    private final ExecutorService executor;

    LoadGenerator() {
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "load-generator");
            t.setDaemon(true);
            return t;
        });
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** What a run saw: successes, failures (status != 200 or I/O), wall time, sorted latencies, kept bodies. */
    record Result(int ok, int failed, long wallNanos, long[] sortedLatencyNanos, String[] bodies, String firstFailure) {

        double perSecond() {
            return ok / (wallNanos / 1e9);
        }

        double percentileMillis(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p / 100.0 * sortedLatencyNanos.length);
            return sortedLatencyNanos[Math.max(rank - 1, 0)] / 1e6;
        }

        String summary() {
            return String.format(Locale.ROOT, "%d ok, %d failed in %.2f s: %.0f req/s; latency p50 %.2f ms,"
                            + " p90 %.2f ms, p99 %.2f ms, max %.2f ms", ok, failed, wallNanos / 1e9, perSecond(),
                    percentileMillis(50), percentileMillis(90), percentileMillis(99), percentileMillis(100));
        }
    }

    /**
     * POSTs every body once (form-encoded), body {@code i} to {@code targets[i % targets.size()]}, keeping
     * {@code concurrency} in flight; keeps the response bodies if asked (for minting).
     */
    Result run(List<URI> targets, List<String> formBodies, int concurrency, boolean keepBodies) {
        return run(targets, formBodies, concurrency, keepBodies, null);
    }

    /** As above, with an {@code Authorization: Bearer} header on every request (the admin API), if not null. */
    Result run(List<URI> targets, List<String> formBodies, int concurrency, boolean keepBodies, String bearer) {
        int n = formBodies.size();
        long[] latencies = new long[n];
        String[] bodies = keepBodies ? new String[n] : null;
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        String[] firstFailure = new String[1];
        Semaphore inFlight = new Semaphore(concurrency);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            inFlight.acquireUninterruptibly();
            int index = i;
            HttpRequest.Builder builder = HttpRequest.newBuilder(targets.get(i % targets.size()))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", Http.FORM)
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(formBodies.get(i)));
            if (bearer != null) {
                builder.header("Authorization", "Bearer " + bearer);
            }
            HttpRequest request = builder.build();
            long sent = System.nanoTime();
            client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                latencies[index] = System.nanoTime() - sent;
                if (error == null && response.statusCode() == 200) {
                    ok.incrementAndGet();
                    if (bodies != null) {
                        bodies[index] = response.body();
                    }
                } else {
                    failed.incrementAndGet();
                    synchronized (firstFailure) {
                        if (firstFailure[0] == null) {
                            firstFailure[0] = error != null ? error.toString()
                                    : response.statusCode() + " " + response.body();
                        }
                    }
                }
                inFlight.release();
            });
        }
        inFlight.acquireUninterruptibly(concurrency);
        long wall = System.nanoTime() - start;
        Arrays.sort(latencies);
        return new Result(ok.get(), failed.get(), wall, latencies, bodies, firstFailure[0]);
    }
}
