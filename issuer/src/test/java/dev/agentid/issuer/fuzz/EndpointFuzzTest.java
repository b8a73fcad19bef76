package dev.agentid.issuer.fuzz;

import dev.agentid.issuer.LogCapture;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.client.AdminToken;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10's fuzzer: {@link RequestFuzzer}'s hostile requests against a real issuer on port 0, asserting that
 * nothing is a 5xx, every refusal of the OAuth endpoints is OAuth error JSON with no-store, the log shows no
 * SEVERE/WARNING record and no stack trace, valid requests keep succeeding, a sentinel agent and its token are
 * untouched, every acknowledged registration is still there, and the heap stays bounded.
 *
 * <p>The default suite sends {@code fuzz.requests} = 2,000 requests (seed {@code fuzz.seed}, default 10). The long
 * run, documented in docs/FUZZING.md:
 * {@code mvn -B -o verify -pl issuer -am -Dtest=EndpointFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dfuzz.requests=100000}.
 */
class EndpointFuzzTest {

    static final int REQUESTS = Integer.getInteger("fuzz.requests", 2_000);
    static final long SEED = Long.getLong("fuzz.seed", 10L);
    static final int THREADS = 2;
    /** Live heap growth allowed over the run (after full GCs), whatever the number of requests. */
    static final long HEAP_GROWTH_LIMIT = 96L * 1024 * 1024;
    static final Set<String> OAUTH_PATHS = Set.of("/oauth2/token", "/oauth2/introspect", "/oauth2/revoke");

    @TempDir
    Path dir;

    @Test
    void hostileRequestsToEveryEndpointAreNeverServerErrors() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("fuzz-a").delegates("fuzz-b"));
            TestAgent b = issuer.register(agent("fuzz-b"));
            TestAgent sentinel = issuer.register(agent("fuzz-sentinel"));
            String sentinelToken = issuer.tokenFor(sentinel);
            JsonObject sentinelBefore = withoutCounts(issuer.admin("GET", "/admin/agents/" + sentinel.id, null).json());
            RequestFuzzer.Material material = new RequestFuzzer.Material(issuer.url, a.id, a.key, b.id, b.key,
                    issuer.tokenFor(a), TestIssuer.ADMIN_TOKEN);
            long heapBefore = liveHeap();

            Map<String, LongAdder> histogram = new ConcurrentHashMap<>();
            Set<String> registered = new ConcurrentSkipListSet<>();
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            LongAdder unsendable = new LongAdder();
            AtomicInteger sent = new AtomicInteger();
            long started = System.nanoTime();
            try (LogCapture log = LogCapture.start()) {
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long seed = SEED * 31 + t;
                    workers.add(pool.submit(() -> {
                        RequestFuzzer fuzzer = new RequestFuzzer(seed, material);
                        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                .connectTimeout(Duration.ofSeconds(10)).build();
                        while (sent.incrementAndGet() <= REQUESTS) {
                            RequestFuzzer.Request request = fuzzer.next();
                            Outcome outcome = send(http, issuer, request);
                            if (outcome == null) {
                                unsendable.increment();
                                continue;
                            }
                            histogram.computeIfAbsent(request.kind() + " " + outcome.status, k -> new LongAdder())
                                    .increment();
                            String problem = check(request, outcome);
                            if (problem != null && problems.size() < 20) {
                                problems.add(problem);
                            }
                            if (outcome.status == 201 && request.path().equals("/admin/agents")) {
                                registered.add(new JsonObject(outcome.body).getString("agent_id"));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> worker : workers) {
                    worker.get();
                }
                pool.shutdown();
                double seconds = (System.nanoTime() - started) / 1e9;
                long heapAfter = liveHeap();
                List<String> faults = log.faults();

                String report = report(seconds, histogram, unsendable.sum(), heapBefore, heapAfter, registered.size());
                System.out.println(report);
                Files.writeString(Path.of("target", "fuzz-report.txt"), report);

                assertEquals(List.of(), problems, "responses that break the rules");
                assertEquals(List.of(), faults.subList(0, Math.min(10, faults.size())), "faults in the log");
                assertTrue(heapAfter - heapBefore < HEAP_GROWTH_LIMIT, "heap grew by " + (heapAfter - heapBefore));
            }
            // the fuzzer guessed at the admin token from this address, so the address is locked out (R03): a minute
            // later it has its tries back
            issuer.clock.advance(Duration.ofSeconds((long) AdminToken.FAILURE_BURST * AdminToken.SECONDS_PER_FAILURE));
            // the sentinel agent and its token are untouched; every acknowledged registration is there
            assertEquals(sentinelBefore, withoutCounts(issuer.admin("GET", "/admin/agents/" + sentinel.id, null)
                    .json()));
            assertEquals(true, issuer.introspect(sentinelToken).getBoolean("active"));
            for (String id : registered) {
                assertEquals(200, issuer.admin("GET", "/admin/agents/" + id, null).status(), id);
            }
            assertEquals(200, issuer.clientCredentials(sentinel).status());
        }
    }

    record Outcome(int status, String cacheControl, String contentType, String body) {
    }

    /** Sends one request; null when the HTTP client cannot even express it (an invalid header or URI). */
    static Outcome send(HttpClient http, TestIssuer issuer, RequestFuzzer.Request r) {
        if (r.raw()) {
            return sendRaw(issuer, r.body());
        }
        HttpRequest request;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url + r.path()))
                    .timeout(Duration.ofSeconds(30))
                    .method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(r.body()));
            r.headers().forEach((name, values) -> values.forEach(value -> b.header(name, value)));
            request = b.build();
        } catch (IllegalArgumentException e) {
            return null;
        }
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Outcome(response.statusCode(), response.headers().firstValue("Cache-Control").orElse(null),
                    response.headers().firstValue("Content-Type").orElse(null), response.body());
        } catch (IOException e) {
            // the server closed the connection without an answer: after a refusal it closes (413, 414, 431), and the
            // client may have picked that pooled connection just then; a fault on the server side shows in the log
            return new Outcome(0, null, null, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Outcome sendRaw(TestIssuer issuer, byte[] bytes) {
        URI uri = URI.create(issuer.url);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0 && response.size() < 65_536; ) {
                response.write(buffer, 0, n);
            }
            String text = response.toString(StandardCharsets.ISO_8859_1);
            if (text.isEmpty()) {
                return new Outcome(0, null, null, "");   // the server closed the connection: not a 5xx
            }
            String[] statusLine = text.split("\r\n", 2)[0].split(" ");
            return new Outcome(statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -2, null, null, text);
        } catch (IOException | NumberFormatException e) {
            return new Outcome(0, null, null, e.toString());
        }
    }

    /** The rules every response follows; the description of the first one broken, or null. */
    static String check(RequestFuzzer.Request r, Outcome o) {
        String what = r.kind() + " " + r.method() + " " + abbreviate(r.path()) + " -> " + o.status + " "
                + abbreviate(o.body);
        if (r.kind().equals("raw-http-version") && o.status == 501) {
            return null;
        }
        if (o.status >= 500) {
            return "server error: " + what;
        }
        if (r.kind().equals("valid") && o.status != 200) {
            return "a valid request was refused: " + what;
        }
        if (!r.raw() && OAUTH_PATHS.contains(r.path()) && o.status >= 400 && !r.method().equals("HEAD")) {
            if (o.cacheControl == null || !o.cacheControl.contains("no-store")) {
                return "refusal without no-store: " + what;
            }
            try {
                JsonObject body = new JsonObject(o.body);
                if (!(body.getValue("error") instanceof String)) {
                    return "refusal without an error code: " + what;
                }
            } catch (RuntimeException e) {
                return "refusal that is not JSON: " + what;
            }
        }
        return null;
    }

    static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    static JsonObject withoutCounts(JsonObject agent) {
        JsonObject copy = agent.copy();
        copy.remove("live_tokens");
        return copy;
    }

    /** Used heap after a full collection (the issuer runs in this JVM). */
    static long liveHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String report(double seconds, Map<String, LongAdder> histogram, long unsendable, long heapBefore,
                         long heapAfter, int registrations) {
        Map<String, Long> byStatus = new TreeMap<>();
        Map<String, Long> byKind = new TreeMap<>();
        histogram.forEach((key, count) -> {
            byStatus.merge(key.substring(key.indexOf(' ') + 1), count.sum(), Long::sum);
            byKind.put(key, count.sum());
        });
        long total = byStatus.values().stream().mapToLong(Long::longValue).sum();
        return String.format("fuzz: %d requests (seed %d, %d threads) in %.1f s (%.0f/s), %d not expressible by the"
                        + " HTTP client%nstatus histogram: %s%nby kind and status: %s%nlive heap after GC: %.1f MB"
                        + " before, %.1f MB after (%+.1f MB); registrations acknowledged: %d%n", total, SEED, THREADS,
                seconds, total / seconds, unsendable, byStatus, byKind, heapBefore / 1e6, heapAfter / 1e6,
                (heapAfter - heapBefore) / 1e6, registrations);
    }
}
