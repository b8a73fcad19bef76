package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop load for a fixed time, cut into windows (a minute in the soak): {@code concurrency} requests in flight
 * at all times on kept-alive HTTP/1.1 connections, round-robin over the targets, each body taken from a
 * {@link SigningQueue}. Each request counts in the window in which its response arrived: successes, failures, latency.
 * A 200 is a minted token: its {@code expires_in} is kept (per second of expiry) to count the tokens still live at a
 * given instant. At every window boundary (0 at the start, then one per window, the last after the load has drained)
 * {@code boundary} is called, on the caller's thread for the first and last, on a timer thread in between: the place
 * to read processes' CPU time.
 */
final class TimedLoad {

    private static final Pattern EXPIRES_IN = Pattern.compile("\"expires_in\"\\s*:\\s*(\\d+)");

    private final HttpClient client;
    private final ExecutorService executor;
    /** Count of minted tokens per epoch second of expiry. */
    private final Map<Long, LongAdder> expiries = new ConcurrentHashMap<>();

    TimedLoad() {
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "timed-load");
            t.setDaemon(true);
            return t;
        });
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Called at window boundary {@code k} (0 = the start; {@code k} closes window {@code k - 1}). */
    interface Boundary {
        void at(int k, Window[] windows);
    }

    /** One window's figures. */
    static final class Window {
        private long[] latencies = new long[4096];
        private int count;
        private int ok;
        private int failed;
        private String firstFailure;
        private final LongAdder starvedNanos = new LongAdder();

        private synchronized void add(long latency, boolean success, String failure) {
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = latency;
            if (success) {
                ok++;
            } else {
                failed++;
                if (firstFailure == null) {
                    firstFailure = failure;
                }
            }
        }

        synchronized int ok() {
            return ok;
        }

        synchronized int failed() {
            return failed;
        }

        synchronized String firstFailure() {
            return firstFailure;
        }

        /** How long the sender waited for a signed body in this window (the signers fell behind), in ms. */
        double starvedMillis() {
            return starvedNanos.sum() / 1e6;
        }

        /** Nearest-rank percentile of this window's latencies (all requests, failed ones too), in ms. */
        synchronized double percentileMillis(double p) {
            if (count == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(latencies, count);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(p / 100.0 * count);
            return sorted[Math.max(rank - 1, 0)] / 1e6;
        }
    }

    /**
     * Sends for {@code windows} x {@code window}, then waits for the requests in flight; returns the windows.
     */
    Window[] run(List<URI> targets, SigningQueue bodies, int concurrency, int windows, Duration window,
                 Boundary boundary) {
        Window[] out = new Window[windows];
        for (int i = 0; i < windows; i++) {
            out[i] = new Window();
        }
        long windowNanos = window.toNanos();
        Semaphore inFlight = new Semaphore(concurrency);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "timed-load-boundary");
            t.setDaemon(true);
            return t;
        });
        boundary.at(0, out);
        long start = System.nanoTime();
        long end = start + windows * windowNanos;
        for (int k = 1; k < windows; k++) {
            int index = k;
            timer.schedule(() -> boundary.at(index, out), k * windowNanos - (System.nanoTime() - start),
                    TimeUnit.NANOSECONDS);
        }
        try {
            long sentCount = 0;
            while (System.nanoTime() < end) {
                inFlight.acquireUninterruptibly();
                long waitStart = System.nanoTime();
                String body = bodies.poll();
                if (body == null) {
                    body = bodies.take();
                    out[index(waitStart, start, windowNanos, windows)].starvedNanos.add(System.nanoTime() - waitStart);
                }
                HttpRequest request = HttpRequest.newBuilder(targets.get((int) (sentCount++ % targets.size())))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", Http.FORM)
                        .header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
                long sent = System.nanoTime();
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                    long now = System.nanoTime();
                    Window w = out[index(now, start, windowNanos, windows)];
                    if (error == null && response.statusCode() == 200) {
                        minted(response.body());
                        w.add(now - sent, true, null);
                    } else {
                        w.add(now - sent, false, error != null ? error.toString()
                                : response.statusCode() + " " + response.body());
                    }
                    inFlight.release();
                });
            }
            inFlight.acquireUninterruptibly(concurrency);
            inFlight.release(concurrency);
        } finally {
            timer.shutdownNow();
            try {
                timer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boundary.at(windows, out);
        return out;
    }

    private static int index(long now, long start, long windowNanos, int windows) {
        return (int) Math.min(Math.max((now - start) / windowNanos, 0), windows - 1);
    }

    private void minted(String body) {
        Matcher m = EXPIRES_IN.matcher(body);
        if (m.find()) {
            long expiry = System.currentTimeMillis() / 1000 + Long.parseLong(m.group(1));
            expiries.computeIfAbsent(expiry, e -> new LongAdder()).increment();
        }
    }

    /** Tokens minted by this load (every run so far) whose {@code expires_in} has not run out at epoch second s. */
    long liveAt(long epochSecond) {
        return expiries.entrySet().stream().filter(e -> e.getKey() > epochSecond)
                .mapToLong(e -> e.getValue().sum()).sum();
    }

    /** Tokens minted by this load so far. */
    long minted() {
        return expiries.values().stream().mapToLong(LongAdder::sum).sum();
    }
}
