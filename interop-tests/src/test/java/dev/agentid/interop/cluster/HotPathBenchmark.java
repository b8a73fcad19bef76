package dev.agentid.interop.cluster;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The token endpoint's server CPU per request on its hot paths (issue 12): client_credentials, token exchange at
 * depth 1, and token exchange with a DPoP proof, each with its own fresh ES256 private_key_jwt assertion (and proof),
 * signed before the clock starts. Several issuer jars can be compared in one run, in interleaved cells, so that a
 * shared machine's noise falls on all of them alike:
 *
 * <pre>
 * mvn -B -o -Pbench -DskipTests verify -pl interop-tests -am -Dit.test=HotPathBenchmark \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dinvoker.skip=true \
 *     -Dbench.jars=before=/tmp/issuer-before.jar,after=issuer/target/issuer.jar
 * </pre>
 *
 * Without {@code bench.jars}, the issuer jar of this build alone. Reports, never asserts, timing (only that every
 * request succeeded).
 */
@ExtendWith(IssuerLogsOnFailure.class)
class HotPathBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    static final int WARM_UP = Integer.getInteger("bench.warmup", 30_000);
    static final int PER_CELL = Integer.getInteger("bench.requests", 6_000);
    static final int ROUNDS = Integer.getInteger("bench.runs", 3);

    enum Workload { CLIENT_CREDENTIALS, EXCHANGE, EXCHANGE_DPOP }

    /** One request: a form body and, for DPoP, the proof header. */
    record Request(String body, String dpop) {
    }

    /** One issuer under test with its agents. */
    static final class Subject {
        final String label;
        final IssuerProcess node;
        final Agent actor;
        final String subjectToken;
        final ECKey dpopKey = TestAgents.newKey();
        final Map<Workload, List<Double>> cpu = new LinkedHashMap<>();

        Subject(String label, IssuerProcess node) {
            this.label = label;
            this.node = node;
            TestAgents admin = new TestAgents(node, Clock.systemUTC());
            Agent a = admin.agent("hp-a").owner("user:alice").scopes("files:read", "files:write").audiences(API)
                    .delegates("hp-b").tokenTtlSeconds(3600).register();
            actor = admin.agent("hp-b").owner("user:bob").scopes("files:read").audiences(API)
                    .tokenTtlSeconds(600).register();
            subjectToken = a.token(SCOPES, API);
            for (Workload w : Workload.values()) {
                cpu.put(w, new ArrayList<>());
            }
        }

        List<Request> requests(Workload workload, int n) {
            return IntStream.range(0, n).parallel().mapToObj(i -> switch (workload) {
                case CLIENT_CREDENTIALS -> new Request(BenchAgents.clientCredentialsBody(actor), null);
                case EXCHANGE -> new Request(Http.form(actor.exchangeForm(subjectToken, "files:read", null)), null);
                case EXCHANGE_DPOP -> new Request(Http.form(actor.exchangeForm(subjectToken, "files:read", null)),
                        proof());
            }).toList();
        }

        /** An RFC 9449 proof for the token endpoint, as the issuer identifies it. */
        String proof() {
            JWTClaimsSet claims = new JWTClaimsSet.Builder().jwtID(UUID.randomUUID().toString())
                    .claim("htm", "POST").claim("htu", node.issuer() + "/oauth2/token")
                    .issueTime(new Date()).build();
            try {
                ECDSASigner signer = new ECDSASigner(dpopKey);
                signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
                SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .type(new JOSEObjectType("dpop+jwt")).jwk(dpopKey.toPublicJWK()).build(), claims);
                jwt.sign(signer);
                return jwt.serialize();
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void tokenEndpointCpuPerRequest() {
        Map<String, String> jars = jars();
        List<Subject> subjects = new ArrayList<>();
        String previous = System.getProperty("issuer.jar");
        try {
            for (Map.Entry<String, String> jar : jars.entrySet()) {
                if (jar.getValue() != null) {
                    System.setProperty("issuer.jar", jar.getValue());
                }
                IssuerProcess.Launcher launcher = IssuerProcess.named("bench-hotpath-" + jar.getKey()).maxHeap("1g");
                if (Boolean.getBoolean("bench.jfr")) {
                    launcher.jvmOptions("-XX:FlightRecorderOptions=stackdepth=256");   // whole stacks of the crypto
                }
                IssuerProcess node = launcher.start();
                subjects.add(new Subject(jar.getKey(), node));
            }
            restore(previous);
            Driver driver = new Driver();
            for (Subject s : subjects) {
                for (Workload w : Workload.values()) {
                    int failed = driver.run(s.node.tokenEndpoint(), s.requests(w, WARM_UP / 3));
                    assertEquals(0, failed, s.label + " " + w + ": failed requests in the warm-up: "
                            + driver.firstFailure);
                }
            }
            for (int round = 1; round <= ROUNDS; round++) {
                for (Workload w : Workload.values()) {
                    for (Subject s : subjects) {
                        List<Request> requests = s.requests(w, PER_CELL);
                        var threadsBefore = Bench.threadCpuMillis(s.node.pid());
                        double before = Bench.cpuMillis(s.node.pid());
                        long start = System.nanoTime();
                        int failed = driver.run(s.node.tokenEndpoint(), requests);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        double perRequest = (Bench.cpuMillis(s.node.pid()) - before) / (requests.size() - failed);
                        var threads = Bench.threadCpuDelta(threadsBefore, Bench.threadCpuMillis(s.node.pid()));
                        assertEquals(0, failed, s.label + " " + w + ": " + driver.firstFailure);
                        s.cpu.get(w).add(perRequest);
                        StringBuilder byThread = new StringBuilder();
                        threads.entrySet().stream().limit(4).forEach(e -> byThread.append(String.format(
                                java.util.Locale.ROOT, "%s%s %.3f", byThread.length() == 0 ? "" : ", ", e.getKey(),
                                e.getValue() / requests.size())));
                        Bench.report("hot path, round %d, %s, %s: %.3f ms server CPU per request (%s), %.0f req/s",
                                round, s.label, w, perRequest, byThread, requests.size() / seconds);
                    }
                }
            }
            for (Subject s : subjects) {
                for (Workload w : Workload.values()) {
                    Bench.report("hot path, %s, %s: %s ms server CPU per request", s.label, w,
                            Bench.spread(s.cpu.get(w), "%.3f"));
                }
            }
        } finally {
            restore(previous);
            subjects.forEach(s -> s.node.close());
        }
    }

    private static void restore(String previous) {
        if (previous == null) {
            System.clearProperty("issuer.jar");
        } else {
            System.setProperty("issuer.jar", previous);
        }
    }

    /** label=path pairs from bench.jars; a single entry with a null path (this build's jar) without it. */
    private static Map<String, String> jars() {
        Map<String, String> jars = new LinkedHashMap<>();
        String spec = System.getProperty("bench.jars", "");
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] kv = entry.split("=", 2);
            jars.put(kv[0].trim(), Path.of(kv[1].trim()).toAbsolutePath().toString());
        }
        if (jars.isEmpty()) {
            jars.put("this build", null);
        }
        return jars;
    }

    /** A closed loop: {@code CONCURRENCY} requests in flight, kept-alive HTTP/1.1; returns the failures. */
    static final class Driver {
        private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "hot-path-load");
            t.setDaemon(true);
            return t;
        });
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(executor).connectTimeout(Duration.ofSeconds(5)).build();
        volatile String firstFailure;

        int run(URI target, List<Request> requests) {
            AtomicInteger failed = new AtomicInteger();
            Semaphore inFlight = new Semaphore(CONCURRENCY);
            for (Request r : requests) {
                inFlight.acquireUninterruptibly();
                HttpRequest.Builder builder = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", Http.FORM).header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(r.body()));
                if (r.dpop() != null) {
                    builder.header("DPoP", r.dpop());
                }
                client.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((resp, e) -> {
                    if (e != null || resp.statusCode() != 200) {
                        failed.incrementAndGet();
                        if (firstFailure == null) {
                            firstFailure = e != null ? e.toString() : resp.statusCode() + " " + resp.body();
                        }
                    }
                    inFlight.release();
                });
            }
            inFlight.acquireUninterruptibly(CONCURRENCY);
            return failed.get();
        }
    }
}
