package dev.agentid.interop.sidebyside;

import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.cluster.Bench;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * agentid, Keycloak and Spring Authorization Server on the same machine, driven by the same load generator
 * ({@link Load}: Vert.x client, 32 connections, every request with its own ES256 private_key_jwt assertion signed
 * before the cell), in interleaved cells (for each workload: agentid, Keycloak, Spring, then the next workload; the
 * whole sequence {@code bench.rounds} times) so that noise on the shared machine hits all three alike. Per cell:
 * req/s, server CPU per request (utime + stime of the server JVM from /proc), p50/p99/max, RSS, and the generator's
 * own CPU per request. Then an open-loop run of agentid's exchange at half its peak (p99; the first
 * {@code bench.openloop.warmup.seconds} of each run at that rate are not measured), once with the peers idle (their CPU meanwhile reported) and
 * once more after stopping them (the peers' and the host's CPU are sampled every 20 ms meanwhile, and their largest
 * bursts reported with their times, next to where agentid's late requests fall), and in-process verification throughput
 * (verifier-lib vs raw BouncyCastle vs Nimbus). Writes docs/bench/side-by-side-jdkN.md and .png and prints
 * the table. Reports, never asserts, timing; asserts only that agentid answered every request with 200.
 *
 * <pre>
 * mvn -B -Pbench -DskipTests verify -pl interop-tests -am -Dit.test=SideBySideBenchmark \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dinvoker.skip=true [-Dbench.issuer.java=/usr/lib/jvm/temurin-25-jdk-amd64]
 * </pre>
 */
@ExtendWith(IssuerLogsOnFailure.class)
class SideBySideBenchmark {

    static final int CONNECTIONS = Integer.getInteger("bench.concurrency", 32);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    static final double CELL_SECONDS = Double.parseDouble(System.getProperty("bench.cell.seconds", "6"));
    static final double WARM_SECONDS = Double.parseDouble(System.getProperty("bench.warmup.seconds", "15"));
    static final double OPEN_SECONDS = Double.parseDouble(System.getProperty("bench.openloop.seconds", "15"));
    /**
     * The open loop's first this many seconds are not measured: one run at the fixed rate, whose head is the transition
     * from the closed-loop cells (recompilations for the new branch profile, on two shared cores), not the steady
     * rate the bar is about. `TailLatencyBenchmark`'s back-to-back rounds: the first round's p99 is 1.3-2x the
     * second's and the second's still above the third's, so 5 s was too short.
     */
    static final double OPEN_WARM_SECONDS = Double.parseDouble(System.getProperty("bench.openloop.warmup.seconds",
            "15"));
    static final double VERIFY_SECONDS = Double.parseDouble(System.getProperty("bench.verify.seconds", "0.4"));
    static final int VERIFY_SLICES = Integer.getInteger("bench.verify.slices", 15);

    static final String CC = "client_credentials";
    static final String TX1 = "exchange, subject depth 1";
    static final String TX4 = "exchange, subject depth 4";
    static final String DPOP = "exchange + DPoP";
    static final String INTROSPECT = "introspection";

    /** One measured cell. */
    record Cell(String workload, String server, int round, Load.Result result, double serverCpuMs, double generatorCpuMs,
                double rssMib) {
        double serverCpuPerRequest() {
            return serverCpuMs / Math.max(result.ok(), 1);
        }

        double generatorCpuPerRequest() {
            return generatorCpuMs / Math.max(result.ok() + result.failed(), 1);
        }
    }

    private final Http http = new Http();
    private final Map<String, Double> rateEstimate = new LinkedHashMap<>();

    @Test
    void agentidKeycloakSpringSideBySide() throws Exception {
        Path docs = Path.of(System.getProperty("bench.docs.dir", "../docs")).toAbsolutePath().normalize();
        try (AgentidServer agentid = new AgentidServer();
             KeycloakServer keycloak = new KeycloakServer();
             SpringServer spring = new SpringServer();
             Load load = new Load(CONNECTIONS)) {
            List<Server> servers = List.of(agentid, keycloak, spring);
            for (Server s : servers) {
                Bench.report("side by side: %s, pid %d, RSS %.0f MiB after start", s.describe(), s.pid(),
                        Processes.rssMib(s.pid()));
            }

            // what each workload sends, per server; null where the server does not serve it
            Map<String, Map<Server, Supplier<Load.Request>>> workloads = new LinkedHashMap<>();
            for (String w : List.of(CC, TX1, INTROSPECT)) {
                workloads.put(w, new LinkedHashMap<>());
            }
            for (Server s : servers) {
                String holderToken = accessToken(s, s.holder(), s.clientCredentials());
                Supplier<Load.Request> cc = () -> form(s.authenticate(s.holder(), s.clientCredentials()), null);
                Supplier<Load.Request> tx = () -> form(s.authenticate(s.actor(), s.exchange(holderToken)), null);
                Supplier<Load.Request> introspect = () -> form(s.authenticate(s.introspector(),
                        Map.of("token", holderToken)), null);
                smoke(s, CC, s.tokenEndpoint(), cc, workloads);
                smoke(s, TX1, s.tokenEndpoint(), tx, workloads);
                smoke(s, INTROSPECT, s.introspectionEndpoint(), introspect, workloads);
            }
            // agentid only: depth 4 and DPoP
            String token = accessToken(agentid, agentid.chainRoot(), agentid.clientCredentials());
            for (int i = 1; i <= 3; i++) {
                token = accessToken(agentid, agentid.chainMember(i), agentid.exchange(token));
            }
            String depthThree = token;
            String holderToken = accessToken(agentid, agentid.holder(), agentid.clientCredentials());
            workloads.put(TX4, new LinkedHashMap<>());
            workloads.put(DPOP, new LinkedHashMap<>());
            smoke(agentid, TX4, agentid.tokenEndpoint(), () -> form(agentid.authenticate(agentid.depthFourActor(),
                    agentid.exchange(depthThree)), null), workloads);
            smoke(agentid, DPOP, agentid.tokenEndpoint(), () -> form(agentid.authenticate(agentid.actor(),
                    agentid.exchange(holderToken)),
                    agentid.actor().dpopProof(agentid.tokenEndpointUrl())), workloads);

            // warm-up: every pair once, not recorded
            for (var w : workloads.entrySet()) {
                for (var s : w.getValue().entrySet()) {
                    Cell cell = cell(load, w.getKey(), s.getKey(), s.getValue(), 0, WARM_SECONDS);
                    Bench.report("side by side warm-up %-18s %-9s %s", w.getKey(), s.getKey().name(), line(cell));
                }
            }
            List<Cell> cells = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                for (var w : workloads.entrySet()) {
                    for (var s : w.getValue().entrySet()) {
                        Cell cell = cell(load, w.getKey(), s.getKey(), s.getValue(), round, CELL_SECONDS);
                        cells.add(cell);
                        Bench.report("side by side round %d %-18s %-9s %s", round, w.getKey(), s.getKey().name(),
                                line(cell));
                    }
                }
            }

            // open loop at half of agentid's peak exchange rate
            double peak = median(cells.stream().filter(c -> c.workload().equals(TX1) && c.server().equals("agentid"))
                    .map(c -> c.result().perSecond()).toList());
            double rate = Math.floor(peak / 2);
            Supplier<Load.Request> tx = workloads.get(TX1).get(agentid);
            double peers0 = Bench.cpuMillis(keycloak.pid()) + Bench.cpuMillis(spring.pid());
            long peersFrom = System.nanoTime();
            Cell openCell = openLoop(load, agentid, tx, rate,
                    Map.of(keycloak.name(), keycloak.pid(), spring.name(), spring.pid()));
            double peersCpu = Bench.cpuMillis(keycloak.pid()) + Bench.cpuMillis(spring.pid()) - peers0;
            Bench.report("side by side open loop, agentid exchange at %.0f req/s (half of the closed-loop peak %.0f),"
                    + " Keycloak and Spring idle (they used %.0f ms of CPU a second meanwhile): %s", rate, peak,
                    peersCpu / ((System.nanoTime() - peersFrom) / 1e9), line(openCell));
            // the same again with the peers stopped: agentid's own tail, without two idle JVMs of other servers
            // (timers, dev-mode watchers, their GCs) time-sharing the two cores
            keycloak.close();
            spring.close();
            Cell aloneCell = openLoop(load, agentid, tx, rate, Map.of());
            Bench.report("side by side open loop, agentid exchange at %.0f req/s (half of the closed-loop peak %.0f),"
                    + " Keycloak and Spring stopped: %s", rate, peak, line(aloneCell));
            List<Cell> openCells = List.of(openCell, aloneCell);

            // verification throughput of one of agentid's exchanged tokens
            JWKSet issuerKeys = JWKSet.parse(http.get(agentid.process().jwksUri(), null).expect(200).body());
            String verifyToken = accessToken(agentid, agentid.actor(), agentid.exchange(holderToken));
            // on the JDK under test (the issuer's), in a JVM of its own
            Map<String, double[]> verify = VerifyThroughput.measureOn(Jdks.issuerJavaHome(), verifyToken,
                    agentid.process().issuer(), AgentidServer.API, issuerKeys, VERIFY_SECONDS, VERIFY_SLICES);
            verify.forEach((name, m) -> Bench.report("side by side verify: %-42s %,9.0f/s (%.1f%% of raw)", name, m[0],
                    100 * m[1]));

            String jdk = "jdk" + Jdks.feature(Jdks.issuerJavaHome());
            String table = table(servers, workloads, cells, openCells, rate, peak, verify);
            Bench.report("side by side table (%s):%n%s", jdk, table);
            Files.createDirectories(docs.resolve("bench"));
            Files.writeString(docs.resolve("bench/side-by-side-" + jdk + ".md"), table, StandardCharsets.UTF_8);
            plot(docs.resolve("bench/side-by-side-" + jdk + ".png"), servers, cells, agentid.describe());

            for (Cell c : cells) {
                if (c.server().equals("agentid")) {
                    assertEquals(0, c.result().failed(), c.workload() + ": " + c.result().firstFailure());
                }
            }
            for (Cell c : openCells) {
                assertEquals(0, c.result().failed(), "open loop: " + c.result().firstFailure());
            }
        }
    }

    /**
     * An open-loop cell of agentid exchanges at {@code rate} for {@link #OPEN_SECONDS}, measured after the first
     * {@link #OPEN_WARM_SECONDS} of the same run at the same rate (the head's p99 is in the row's name). The requests
     * of both are signed before it starts, so the rate never pauses in between.
     */
    private static Cell openLoop(Load load, AgentidServer agentid, Supplier<Load.Request> tx, double rate,
                                 Map<String, Long> peers) {
        int head = (int) (rate * OPEN_WARM_SECONDS);
        List<Load.Request> openPool = pool(tx, head + (int) (rate * OPEN_SECONDS));
        Bench.collectGeneratorGarbage();
        long self = ProcessHandle.current().pid();
        URI metrics = agentid.tokenEndpoint().resolve("/metrics");
        java.util.TreeMap<Double, Double> fsyncs0 = TailLatencyBenchmark.fsyncBuckets(new Http(), metrics);
        double[] at = {Bench.cpuMillis(agentid.pid()), Bench.cpuMillis(self)};
        Load.Result whole;
        Bursts steal = Bursts.steal();
        Bursts peersCpu = peers.isEmpty() ? null : Bursts.processes("CPU used by the idle peers", peers);
        try (steal) {
            whole = load.open(agentid.tokenEndpoint(), openPool, rate, head, () -> {
                at[0] = Bench.cpuMillis(agentid.pid());
                at[1] = Bench.cpuMillis(self);
            });
        } finally {
            if (peersCpu != null) {
                peersCpu.close();
            }
        }
        double cpu = Bench.cpuMillis(agentid.pid()) - at[0];
        double gen = Bench.cpuMillis(self) - at[1];
        String name = TX1 + ", open loop";
        Load.Result open = whole;
        if (head > 0) {
            Load.Result warm = whole.slice(0, head, rate);
            open = whole.slice(head, whole.byDueNanos().length, rate);
            Bench.report("side by side open loop, its first %.0f s at %.0f req/s (not measured): p50 %.2f p99 %.2f"
                    + " max %.1f ms", OPEN_WARM_SECONDS, rate, warm.percentileMillis(50), warm.percentileMillis(99),
                    warm.percentileMillis(100));
            name = String.format(Locale.ROOT, "%s (after %.0f s at the rate, p99 %.2f ms)", name, OPEN_WARM_SECONDS,
                    warm.percentileMillis(99));
        }
        Bench.report("side by side open loop, where the requests over 10 ms fall: %s",
                TailLatencyBenchmark.stalls(open, rate));
        Bench.report("side by side open loop, over the whole run (head included): the audit log's fsyncs: %s; %s",
                TailLatencyBenchmark.fsyncs(fsyncs0, TailLatencyBenchmark.fsyncBuckets(new Http(), metrics)), steal);
        if (peersCpu != null) {
            // an idle JVM's own bursts (a collection, a timer's job) take the cores from agentid's open loop
            Bench.report("side by side open loop, over the whole run (head included): %s", peersCpu);
        }
        return new Cell(name, "agentid", 0, open, cpu, gen, Processes.rssMib(agentid.pid()));
    }

    // ---- cells -----------------------------------------------------------------------------

    private Cell cell(Load load, String workload, Server server, Supplier<Load.Request> requests, int round,
                      double seconds) {
        String key = workload + "|" + server.name();
        double estimate = rateEstimate.getOrDefault(key, 1500.0);
        int size = (int) Math.min(Math.max(estimate, 1000) * seconds * 1.5 + 500, 60_000);
        List<Load.Request> pool = pool(requests, size);
        URI target = workload.equals(INTROSPECT) ? server.introspectionEndpoint() : server.tokenEndpoint();
        double cpu0 = Bench.cpuMillis(server.pid());
        double gen0 = Bench.cpuMillis(ProcessHandle.current().pid());
        Load.Result result = load.closed(target, pool, CONNECTIONS, seconds);
        double cpu = Bench.cpuMillis(server.pid()) - cpu0;
        double gen = Bench.cpuMillis(ProcessHandle.current().pid()) - gen0;
        rateEstimate.put(key, Math.max(result.perSecond(), 50));
        return new Cell(workload, server.name(), round, result, cpu, gen, Processes.rssMib(server.pid()));
    }

    /** {@code n} requests built (and signed) on every core before the cell. */
    private static List<Load.Request> pool(Supplier<Load.Request> requests, int n) {
        return IntStream.range(0, n).parallel().mapToObj(i -> requests.get()).toList();
    }

    private static Load.Request form(Map<String, String> params, String dpop) {
        return new Load.Request(Buffer.buffer(Http.form(params)), dpop);
    }

    /** One request of the workload; a peer that refuses it is left out of that workload (and said so). */
    private void smoke(Server server, String workload, URI target, Supplier<Load.Request> requests,
                       Map<String, Map<Server, Supplier<Load.Request>>> workloads) {
        Load.Request r = requests.get();
        HttpResult result = post(target, r);
        if (result.status() == 200 && !result.body().contains("\"active\":false")) {
            String body = result.body();
            Bench.report("side by side smoke %-18s %-9s 200 %s", workload, server.name(),
                    workload.equals(INTROSPECT) ? body.substring(0, Math.min(body.length(), 60)).replaceAll(
                            "\"(sub|client_id|username)\":\"[^\"]*\"", "\"$1\":\"...\"") : "(token issued)");
            workloads.get(workload).put(server, requests);
        } else if (server instanceof AgentidServer) {
            throw new AssertionError("agentid " + workload + ": " + result.describe());
        } else {
            Bench.report("side by side smoke %-18s %-9s NOT MEASURED: %d %s", workload, server.name(),
                    result.status(), result.body());
        }
    }

    private HttpResult post(URI target, Load.Request r) {
        try {
            var builder = java.net.http.HttpRequest.newBuilder(target)
                    .header("Content-Type", Http.FORM).header("Accept", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(r.body().toString()));
            if (r.dpop() != null) {
                builder.header("DPoP", r.dpop());
            }
            var response = java.net.http.HttpClient.newHttpClient().send(builder.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new HttpResult(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String accessToken(Server server, Client client, Map<String, String> params) {
        HttpResult r = http.postForm(server.tokenEndpoint(), server.authenticate(client, params),
                null);
        if (r.status() != 200) {
            throw new AssertionError(server.name() + " token request by " + client + ": " + r.describe());
        }
        return (String) r.json().get("access_token");
    }

    // ---- report ----------------------------------------------------------------------------

    private static String line(Cell c) {
        Load.Result r = c.result();
        return String.format(Locale.ROOT, "%6.0f req/s, server CPU %.3f ms/req, p50 %.2f p99 %.2f max %.1f ms,"
                        + " RSS %.0f MiB, generator CPU %.3f ms/req, %d ok, %d failed%s; load %.1f",
                r.perSecond(), c.serverCpuPerRequest(), r.percentileMillis(50), r.percentileMillis(99),
                r.percentileMillis(100), c.rssMib(), c.generatorCpuPerRequest(), r.ok(), r.failed(),
                r.failed() > 0 ? " (first: " + abbreviate(r.firstFailure()) + ")" : "",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return Bench.percentile(sorted, 50);
    }

    private static List<Cell> of(List<Cell> cells, String workload, String server) {
        return cells.stream().filter(c -> c.workload().equals(workload) && c.server().equals(server)).toList();
    }

    private static double medianOf(List<Cell> cells, java.util.function.ToDoubleFunction<Cell> f) {
        return median(cells.stream().map(c -> f.applyAsDouble(c)).toList());
    }

    private static String table(List<Server> servers, Map<String, Map<Server, Supplier<Load.Request>>> workloads,
                                List<Cell> cells, List<Cell> open, double rate, double peak, Map<String, double[]> verify) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Servers: %s. Generator: Vert.x client in the test JVM (%s), %d"
                        + " connections, closed loop, %d rounds of interleaved %.0f s cells after a %.0f s warm-up cell"
                        + " each; every figure is the median over the rounds (req/s shows min-max).%n%n",
                String.join("; ", servers.stream().map(Server::describe).toList()),
                Jdks.describe(Path.of(System.getProperty("java.home"))), CONNECTIONS, ROUNDS, CELL_SECONDS,
                WARM_SECONDS));
        out.append("| workload | server | req/s | server CPU ms/req | p50 ms | p99 ms | max ms | RSS MiB"
                + " | generator CPU ms/req | failed |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (String w : workloads.keySet()) {
            for (Server s : servers) {
                List<Cell> mine = of(cells, w, s.name());
                if (mine.isEmpty()) {
                    continue;
                }
                double min = mine.stream().mapToDouble(c -> c.result().perSecond()).min().orElse(0);
                double max = mine.stream().mapToDouble(c -> c.result().perSecond()).max().orElse(0);
                out.append(String.format(Locale.ROOT, "| %s | %s | %.0f (%.0f-%.0f) | %.3f | %.2f | %.2f | %.1f | %.0f"
                                + " | %.3f | %d |%n", w, s.name(), medianOf(mine, c -> c.result().perSecond()), min,
                        max, medianOf(mine, Cell::serverCpuPerRequest),
                        medianOf(mine, c -> c.result().percentileMillis(50)),
                        medianOf(mine, c -> c.result().percentileMillis(99)),
                        medianOf(mine, c -> c.result().percentileMillis(100)), medianOf(mine, Cell::rssMib),
                        medianOf(mine, Cell::generatorCpuPerRequest),
                        mine.stream().mapToInt(c -> c.result().failed()).sum()));
            }
        }
        for (int i = 0; i < open.size(); i++) {
            Cell o = open.get(i);
            out.append(String.format(Locale.ROOT, "| %s at %.0f req/s (half of %.0f), %s | agentid | %.0f | %.3f |"
                            + " %.2f | %.2f | %.1f | %.0f | %.3f | %d |%n", o.workload(), rate, peak,
                    i == 0 ? "peers idle" : "peers stopped", o.result().perSecond(), o.serverCpuPerRequest(),
                    o.result().percentileMillis(50), o.result().percentileMillis(99), o.result().percentileMillis(100),
                    o.rssMib(), o.generatorCpuPerRequest(), o.result().failed()));
        }
        out.append("\nRatios within this run (peer / agentid for CPU, agentid / peer for req/s):\n\n"
                + "| workload | peer | server CPU ratio | throughput ratio |\n|---|---|---|---|\n");
        for (String w : workloads.keySet()) {
            List<Cell> ours = of(cells, w, "agentid");
            for (Server s : servers.subList(1, servers.size())) {
                List<Cell> theirs = of(cells, w, s.name());
                if (ours.isEmpty() || theirs.isEmpty()) {
                    continue;
                }
                out.append(String.format(Locale.ROOT, "| %s | %s | %.1fx | %.1fx |%n", w, s.name(),
                        medianOf(theirs, Cell::serverCpuPerRequest) / medianOf(ours, Cell::serverCpuPerRequest),
                        medianOf(ours, c -> c.result().perSecond()) / medianOf(theirs, c -> c.result().perSecond())));
            }
        }
        out.append(String.format(Locale.ROOT, "%nES256 verification of one agentid access token in one thread of a"
                + " JVM of its own on %s (the issuer's JDK, default options), per second of that thread's CPU time"
                + " (median of %d interleaved %.1f s slices; the share of raw BouncyCastle is the median of the"
                + " per-slice ratios):%n%n| verifier | verifications/s | vs raw BouncyCastle |%n|---|---|---|%n",
                Jdks.describe(Jdks.issuerJavaHome()), VERIFY_SLICES, VERIFY_SECONDS));
        verify.forEach((name, m) -> out.append(String.format(Locale.ROOT, "| %s | %,.0f | %.1f%% |%n", name,
                m[0], 100 * m[1])));
        return out.toString();
    }

    private static void plot(Path png, List<Server> servers, List<Cell> cells, String title) {
        List<String> workloads = List.of(CC, TX1, INTROSPECT);
        double[][] cpu = new double[workloads.size()][servers.size()];
        double[][] rate = new double[workloads.size()][servers.size()];
        for (int w = 0; w < workloads.size(); w++) {
            for (int s = 0; s < servers.size(); s++) {
                List<Cell> mine = of(cells, workloads.get(w), servers.get(s).name());
                cpu[w][s] = mine.isEmpty() ? Double.NaN : medianOf(mine, Cell::serverCpuPerRequest);
                rate[w][s] = mine.isEmpty() ? Double.NaN : medianOf(mine, c -> c.result().perSecond());
            }
        }
        Plot.write(png, "Side by side, same generator, 32 connections (" + title + ")",
                List.of("client_credentials", "exchange (depth 1)", "introspection"),
                servers.stream().map(Server::name).toList(),
                List.of(new Plot.Panel("server CPU ms per request (lower is better)", "%.2f", cpu),
                        new Plot.Panel("requests per second (higher is better)", "%.0f", rate)));
    }
}
