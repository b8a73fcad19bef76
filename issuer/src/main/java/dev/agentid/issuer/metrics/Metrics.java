package dev.agentid.issuer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The issuer's meters, in one Prometheus registry per server ({@code GET /metrics}, Prometheus text format): Vert.x's
 * own HTTP server and pool metrics, and the issuer's:
 * <ul>
 *   <li>{@code agentid_tokens_issued_total{grant}}: tokens (and chain grants) issued, per grant type;</li>
 *   <li>{@code agentid_refusals_total{endpoint,error}}: refused requests, per endpoint and OAuth error code;</li>
 *   <li>{@code agentid_http_request_seconds{endpoint}}: latency histogram per endpoint;</li>
 *   <li>{@code agentid_revocations_total}, {@code agentid_kills_total};</li>
 *   <li>gauges registered by the wiring: single-use marks held, cluster members, the status-list worker's CPU time
 *   and its list writes (stored, and lost to another node's compare-and-set);</li>
 *   <li>{@code agentid_audit_fsync_seconds}: how long each of the audit log's group commits waited for the disk.</li>
 * </ul>
 * A route's steps report through the routing context ({@link #GRANT}, {@link #REFUSAL}); {@link #observe} counts
 * when the response ends, so no endpoint holds a reference to this class. Labels are bounded: route templates,
 * OAuth error codes and grant names, never request values.
 */
public final class Metrics {

    /** Routing-context key: the grant type of a successful token response. */
    public static final String GRANT = "agentid.metrics.grant";
    /** Routing-context key: the OAuth error code of a refusal. */
    public static final String REFUSAL = "agentid.metrics.refusal";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter revocations = Counter.builder("agentid_revocations").description("tokens revoked (RFC 7009)")
            .register(registry);
    // meters by label, built once: route templates, OAuth error codes and grant types are few
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> issued = new ConcurrentHashMap<>();
    private final Counter kills = Counter.builder("agentid_kills").description("kill switch activations")
            .register(registry);

    /** Vert.x built with this registry for its HTTP server metrics (method, route and status labels). */
    public VertxBuilder vertxBuilder(VertxOptions options) {
        options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_ROUTE, Label.HTTP_CODE)));
        return io.vertx.core.Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
    }

    /** The Prometheus text of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** A gauge read at scrape time, e.g. the cluster's members. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /**
     * A latency histogram recorded by a background thread, e.g. the audit log's fsyncs: buckets from 50 microseconds
     * to 10 s, so a disk's stalls show in {@code _bucket}, {@code _max} and {@code _count}.
     */
    public java.util.function.LongConsumer nanosTimer(String name, String description) {
        Timer timer = Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** First step of every API route: counts and times the request when its response ends. */
    public void observe(RoutingContext ctx) {
        long start = System.nanoTime();
        String first = template(ctx.currentRoute());
        ctx.addEndHandler(done -> {
            // the route that answered (e.g. /admin/agents/:id/kill after the /admin/ step), else the first one
            String last = template(ctx.currentRoute());
            record(ctx, last != null && !last.endsWith("/") ? last : first == null ? "other" : first,
                    System.nanoTime() - start);
        });
        ctx.next();
    }

    private static String template(Route route) {
        return route == null ? null : route.getPath();
    }

    private void record(RoutingContext ctx, String endpoint, long nanos) {
        timers.computeIfAbsent(endpoint, e -> Timer.builder("agentid_http_request")
                .description("time to answer, per endpoint").tag("endpoint", e)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        String refusal = ctx.get(REFUSAL);
        if (refusal != null) {
            refusals.computeIfAbsent(endpoint + " " + refusal, key -> Counter.builder("agentid_refusals")
                    .description("refused requests, per endpoint and OAuth error")
                    .tag("endpoint", endpoint).tag("error", refusal).register(registry)).increment();
            return;
        }
        if (ctx.response().getStatusCode() != 200) {
            return;
        }
        String grant = ctx.get(GRANT);
        if (grant != null) {
            issued.computeIfAbsent(grant, g -> Counter.builder("agentid_tokens_issued")
                    .description("tokens and chain grants issued, per grant type").tag("grant", g).register(registry))
                    .increment();
        } else if (endpoint.endsWith("/revoke")) {
            revocations.increment();
        } else if (endpoint.endsWith("/kill")) {
            kills.increment();
        }
    }
}
