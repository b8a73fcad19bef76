package dev.agentid.interop.sidebyside;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator of the side-by-side benchmark, on a Vert.x HTTP client (one event loop, at most
 * {@code connections} kept-alive HTTP/1.1 connections): every request is a POST of one pre-built form body (and, for
 * DPoP, a pre-signed proof), so that the generator's work during a cell is sending and receiving only. Closed loop:
 * {@code connections} requests in flight until the time or the bodies run out. Open loop: requests sent at a fixed
 * rate whatever the answers, latency counted from the intended send time (no coordinated omission).
 */
final class Load implements AutoCloseable {

    /** One request: form body and optional DPoP header. */
    record Request(Buffer body, String dpop) {
    }

    /** A cell's outcome: 200s, others, wall time (first send to last answer), sorted latencies of all requests. */
    /**
     * {@code byDueNanos}: for an open loop, each request's latency in the order they were due (request i was due i /
     * rate seconds after the start), so stalls can be placed in time; empty for a closed loop.
     */
    record Result(int ok, int failed, long wallNanos, long[] sortedLatencyNanos, String firstFailure, long[] byDueNanos,
                  long startEpochMillis) {
        double perSecond() {
            return ok / (wallNanos / 1e9);
        }

        /**
         * Requests {@code from} (inclusive) to {@code to} (exclusive) of an open loop, as if the run had been only
         * those: their latencies, and their wall time at {@code rate}. Failures are not placed in time, so every
         * slice counts all of them.
         */
        Result slice(int from, int to, double rate) {
            long[] part = Arrays.copyOfRange(byDueNanos, from, to);
            long[] sorted = part.clone();
            Arrays.sort(sorted);
            return new Result(Math.max(0, part.length - failed), failed, (long) (part.length * 1e9 / rate), sorted,
                    firstFailure, part, startEpochMillis + (long) (from * 1000 / rate));
        }

        double percentileMillis(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p / 100.0 * sortedLatencyNanos.length);
            return sortedLatencyNanos[Math.max(rank - 1, 0)] / 1e6;
        }
    }

    private final Vertx vertx;
    private final HttpClientAgent client;

    Load(int connections) {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
        client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
                        .setKeepAlive(true).setPipelining(false).setConnectTimeout(5_000),
                new PoolOptions().setHttp1MaxSize(connections));
    }

    /** Closed loop over {@code requests} (each sent once) for at most {@code seconds}. */
    Result closed(URI target, List<Request> requests, int connections, double seconds) {
        int n = requests.size();
        long[] latencies = new long[n];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        long[] lastAnswer = {start};
        CountDownLatch chains = new CountDownLatch(connections);
        RequestOptions options = options(target);
        Runnable[] chain = new Runnable[1];
        chain[0] = () -> {
            int i = next.getAndIncrement();
            if (i >= n || System.nanoTime() > deadline) {
                chains.countDown();
                return;
            }
            long sent = System.nanoTime();
            send(options, requests.get(i), (status, failure) -> {
                long now = System.nanoTime();
                latencies[i] = now - sent;
                done.incrementAndGet();
                synchronized (lastAnswer) {
                    lastAnswer[0] = Math.max(lastAnswer[0], now);
                }
                count(status, failure, ok, failed, firstFailure);
                chain[0].run();
            });
        };
        for (int c = 0; c < connections; c++) {
            vertx.runOnContext(v -> chain[0].run());
        }
        await(chains, seconds + 60);
        int count = Math.min(done.get(), n);
        long[] sorted = Arrays.copyOf(latencies, Math.min(next.get(), n));
        Arrays.sort(sorted);
        return new Result(ok.get(), failed.get(), lastAnswer[0] - start,
                Arrays.copyOfRange(sorted, sorted.length - count, sorted.length), firstFailure.get(), new long[0], 0);
    }

    /** Open loop: request {@code i} is due at {@code i / rate} seconds; all of {@code requests} are sent. */
    Result open(URI target, List<Request> requests, double rate) {
        return open(target, requests, rate, -1, () -> { });
    }

    /**
     * As {@link #open(URI, List, double)}, and runs {@code mark} on the sending thread just before request
     * {@code markAt} goes out (for example to read CPU counters where an unmeasured head of the run ends).
     */
    Result open(URI target, List<Request> requests, double rate, int markAt, Runnable mark) {
        int n = requests.size();
        long[] latencies = new long[n];
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        CountDownLatch answered = new CountDownLatch(n);
        RequestOptions options = options(target);
        long startMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        long[] lastAnswer = {start};
        for (int i = 0; i < n; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (i == markAt) {
                mark.run();
            }
            int index = i;
            vertx.runOnContext(v -> send(options, requests.get(index), (status, failure) -> {
                long now = System.nanoTime();
                latencies[index] = now - due;
                synchronized (lastAnswer) {
                    lastAnswer[0] = Math.max(lastAnswer[0], now);
                }
                count(status, failure, ok, failed, firstFailure);
                answered.countDown();
            }));
        }
        await(answered, 60);
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        return new Result(ok.get(), failed.get(), lastAnswer[0] - start, sorted, firstFailure.get(), latencies,
                startMillis);
    }

    private interface Answer {
        void on(int status, String failure);
    }

    private static RequestOptions options(URI target) {
        return new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(target.toString())
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .putHeader("Accept", "application/json");
    }

    private void send(RequestOptions options, Request request, Answer answer) {
        RequestOptions o = request.dpop() == null ? options
                : new RequestOptions(options).putHeader("DPoP", request.dpop());
        client.request(o)
                .compose(req -> req.send(request.body()))
                .compose(resp -> resp.body().map(body -> resp.statusCode() == 200 ? null
                        : resp.statusCode() + " " + body))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        answer.on(0, ar.cause().toString());
                    } else {
                        answer.on(ar.result() == null ? 200 : 1, ar.result());
                    }
                });
    }

    private static void count(int status, String failure, AtomicInteger ok, AtomicInteger failed,
                              AtomicReference<String> firstFailure) {
        if (status == 200) {
            ok.incrementAndGet();
        } else {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, failure);
        }
    }

    private static void await(CountDownLatch latch, double seconds) {
        try {
            if (!latch.await((long) seconds, TimeUnit.SECONDS)) {
                throw new AssertionError("requests still unanswered after " + seconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        client.close();
        vertx.close().await();
    }
}
