package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.cluster.Bench;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * agentid alone, for working on issue 12's tail-latency bar without the peers' ten minutes: a closed-loop exchange
 * warm-up and peak ({@code bench.warmup.seconds}, {@code bench.cell.seconds}), then {@code bench.openloop.rounds}
 * open-loop runs at half the peak (coordinated omission corrected: latency counts from each request's due time), each
 * reporting p50/p99/max and the issuer's and the generator's CPU per request. Compare JVM options with
 * {@code -Dbench.issuer.jvmOptions}.
 * The figures that count are the side-by-side run's ({@link SideBySideBenchmark}); this one only reports.
 *
 * <pre>
 * mvn -B -Pbench -DskipTests verify -pl interop-tests -am -Dit.test=TailLatencyBenchmark \
 *     -Dfailsafe.failIfNoSpecifiedTests=false -Dinvoker.skip=true [-Dbench.issuer.jvmOptions="-Xlog:gc"]
 * </pre>
 */
@ExtendWith(IssuerLogsOnFailure.class)
class TailLatencyBenchmark {

    static final int CONNECTIONS = Integer.getInteger("bench.concurrency", 32);
    static final double WARM_SECONDS = Double.parseDouble(System.getProperty("bench.warmup.seconds", "15"));
    static final double CELL_SECONDS = Double.parseDouble(System.getProperty("bench.cell.seconds", "6"));
    static final double OPEN_SECONDS = Double.parseDouble(System.getProperty("bench.openloop.seconds", "15"));
    static final int OPEN_ROUNDS = Integer.getInteger("bench.openloop.rounds", 3);

    @Test
    void exchangeAtHalfPeakOpenLoop() throws Exception {
        Http http = new Http();
        long self = ProcessHandle.current().pid();
        try (AgentidServer agentid = new AgentidServer(); Load load = new Load(CONNECTIONS)) {
            HttpResult issued = http.postForm(agentid.tokenEndpoint(),
                    agentid.authenticate(agentid.holder(), agentid.clientCredentials()), null);
            assertEquals(200, issued.status(), issued.describe());
            String holderToken = (String) issued.json().get("access_token");
            Supplier<Load.Request> tx = () -> new Load.Request(Buffer.buffer(Http.form(
                    agentid.authenticate(agentid.actor(), agentid.exchange(holderToken)))), null);
            URI metrics = agentid.tokenEndpoint().resolve("/metrics");
            // scraped every second from the start, as a monitoring server would (Scraper)
            try (Scraper ignored = new Scraper(metrics)) {
                measure(load, agentid, tx, metrics, http, self);
            }
        }
    }

    /** The warm-up, the closed-loop peak, then the open-loop rounds at half of it. */
    private static void measure(Load load, AgentidServer agentid, Supplier<Load.Request> tx, URI metrics, Http http,
                                long self) {
        Load.Result warm = closed(load, agentid, tx, WARM_SECONDS, 3000);
        Bench.report("tail: warm-up %.0f req/s", warm.perSecond());
        Load.Result peak = closed(load, agentid, tx, CELL_SECONDS, warm.perSecond());
        double rate = Math.floor(peak.perSecond() / 2);
        Bench.report("tail: closed-loop peak %.0f req/s, p99 %.2f ms", peak.perSecond(), peak.percentileMillis(99));
        for (int round = 1; round <= OPEN_ROUNDS; round++) {
            List<Load.Request> pool = pool(tx, (int) (rate * OPEN_SECONDS));
            Bench.collectGeneratorGarbage();
            TreeMap<Double, Double> buckets0 = tokenBuckets(http, metrics);
            TreeMap<Double, Double> fsyncs0 = fsyncBuckets(http, metrics);
            double cpu0 = Bench.cpuMillis(agentid.pid());
            double gen0 = Bench.cpuMillis(self);
            Load.Result open;
            Bursts steal = Bursts.steal();
            try (steal) {
                open = load.open(agentid.tokenEndpoint(), pool, rate);
            }
            double cpu = Bench.cpuMillis(agentid.pid()) - cpu0;
            double gen = Bench.cpuMillis(self) - gen0;
            Bench.report("tail: open loop %d at %.0f req/s: p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.1f ms,"
                            + " issuer CPU %.3f ms/req, generator CPU %.3f ms/req, %d ok, %d failed", round, rate,
                    open.percentileMillis(50),
                    open.percentileMillis(90), open.percentileMillis(99), open.percentileMillis(99.9),
                    open.percentileMillis(100), cpu / Math.max(1, open.ok()), gen / Math.max(1, open.ok()),
                    open.ok(), open.failed());
            Bench.report("tail: open loop %d, where the slow requests fall: %s", round, stalls(open, rate));
            Bench.report("tail: open loop %d, inside the issuer (its agentid_http_request histogram: from the"
                    + " body read to the response): %s", round, serverSide(buckets0, tokenBuckets(http, metrics)));
            Bench.report("tail: open loop %d, the audit log's fsyncs: %s; %s", round,
                    fsyncs(fsyncs0, fsyncBuckets(http, metrics)), steal);
            assertEquals(0, open.failed(), "open loop: " + open.firstFailure());
        }
    }

    /**
     * The token endpoint's cumulative latency histogram as the issuer publishes it on /metrics: bucket upper bound in
     * seconds to the count of requests at or under it.
     */
    private static TreeMap<Double, Double> tokenBuckets(Http http, URI metrics) {
        HttpResult scraped = http.get(metrics, null);
        assertEquals(200, scraped.status(), scraped.describe());
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = BUCKET.matcher(scraped.body());
        while (m.find()) {
            buckets.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)),
                    Double.parseDouble(m.group(2)));
        }
        return buckets;
    }

    /** The issuer's histogram of audit fsyncs ({@code agentid_audit_fsync_seconds}), as {@link #tokenBuckets}. */
    static TreeMap<Double, Double> fsyncBuckets(Http http, URI metrics) {
        HttpResult scraped = http.get(metrics, null);
        assertEquals(200, scraped.status(), scraped.describe());
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = FSYNC_BUCKET.matcher(scraped.body());
        while (m.find()) {
            buckets.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)),
                    Double.parseDouble(m.group(2)));
        }
        return buckets;
    }

    /** The fsyncs between two scrapes: how many, and how many took over 5, 10 and 50 ms (by bucket bounds). */
    static String fsyncs(TreeMap<Double, Double> before, TreeMap<Double, Double> after) {
        double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0)
                - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        StringBuilder over = new StringBuilder();
        for (double bound : new double[] {0.005, 0.010, 0.050}) {
            Map.Entry<Double, Double> at = after.floorEntry(bound);
            double within = at == null ? 0 : at.getValue() - before.getOrDefault(at.getKey(), 0.0);
            over.append(String.format(Locale.ROOT, ", %.0f over %.1f ms", total - within,
                    (at == null ? 0 : at.getKey()) * 1000));
        }
        Double slowest = null;
        for (Map.Entry<Double, Double> e : after.descendingMap().entrySet()) {
            if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) < total) {
                slowest = e.getKey();   // the largest bound some fsync exceeded
                break;
            }
        }
        return String.format(Locale.ROOT, "%.0f group commits%s%s", total, over,
                slowest == null ? "" : String.format(Locale.ROOT, ", the slowest over %.1f ms", slowest * 1000));
    }

    private static final Pattern FSYNC_BUCKET = Pattern.compile(
            "agentid_audit_fsync_seconds_bucket\\{le=\"([^\"]+)\",?} ([0-9.E+]+)");

    private static final Pattern BUCKET = Pattern.compile(
            "agentid_http_request_seconds_bucket\\{endpoint=\"/oauth2/token\",le=\"([^\"]+)\",?} ([0-9.E+]+)");

    /** The requests of one round by the histogram: how many, the bucket that holds the 99th percentile, over 10 ms. */
    private static String serverSide(TreeMap<Double, Double> before, TreeMap<Double, Double> after) {
        double total = after.getOrDefault(Double.POSITIVE_INFINITY, 0.0)
                - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) {
            return "no requests in the histogram";
        }
        double p99 = Double.NaN;
        double underTen = 0;
        double tenBound = Double.NaN;
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            double count = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (Double.isNaN(p99) && count >= 0.99 * total) {
                p99 = e.getKey();
            }
            if (e.getKey() <= 0.0105) {
                underTen = count;
                tenBound = e.getKey();
            }
        }
        return String.format(Locale.ROOT, "%.0f requests, p99 at most %.2f ms, %.2f%% over %.2f ms", total,
                p99 * 1000, 100 * (total - underTen) / total, tenBound * 1000);
    }

    /**
     * The open loop's requests over 10 ms, placed in time: how many there are, how many 50 ms windows (by due time)
     * hold them, and the worst windows (UTC start, count, the longest). A few dense windows are stalls (a pause, a
     * descheduled thread); many thin ones are queueing.
     */
    static String stalls(Load.Result open, double rate) {
        long[] byDue = open.byDueNanos();
        Map<Long, long[]> windows = new TreeMap<>();   // window index -> {count over 10 ms, max}
        int slow = 0;
        for (int i = 0; i < byDue.length; i++) {
            if (byDue[i] > 10_000_000L) {
                slow++;
                long[] w = windows.computeIfAbsent((long) (i / rate * 20), k -> new long[2]);
                w[0]++;
                w[1] = Math.max(w[1], byDue[i]);
            }
        }
        StringBuilder worst = new StringBuilder();
        windows.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(8)
                .forEach(e -> worst.append(String.format(Locale.ROOT, " %s:%d/%.1fms",
                        java.time.Instant.ofEpochMilli(open.startEpochMillis() + e.getKey() * 50)
                                .toString().substring(11, 23), e.getValue()[0], e.getValue()[1] / 1e6)));
        return String.format(Locale.ROOT, "%d of %d over 10 ms, in %d windows of 50 ms; worst:%s", slow,
                byDue.length, windows.size(), worst);
    }

    private static Load.Result closed(Load load, AgentidServer agentid, Supplier<Load.Request> tx, double seconds,
                                      double estimate) {
        List<Load.Request> pool = pool(tx, (int) Math.min(estimate * seconds * 1.5 + 500, 80_000));
        Load.Result r = load.closed(agentid.tokenEndpoint(), pool, CONNECTIONS, seconds);
        assertEquals(0, r.failed(), "closed loop: " + r.firstFailure());
        return r;
    }

    private static List<Load.Request> pool(Supplier<Load.Request> requests, int n) {
        return IntStream.range(0, n).parallel().mapToObj(i -> requests.get()).toList();
    }
}
