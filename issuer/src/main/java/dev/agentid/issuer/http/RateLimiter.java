package dev.agentid.issuer.http;

import dev.agentid.issuer.client.RemoteAddress;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.TokenBuckets;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rate limits at the token endpoint (R01, R02): a token bucket per remote address, checked before the body is read,
 * and one per authenticated client, checked right after client authentication (so nobody can spend another agent's
 * budget by naming it). A refused request is 429 with {@code Retry-After} and {@code {"error":"slow_down"}}.
 *
 * <p>{@code slow_down} (RFC 8628 section 3.5: "the client is polling too quickly, increase the interval"), not
 * {@code temporarily_unavailable}: the client is told that it, not the server, is the problem, and the issuer keeps
 * {@code temporarily_unavailable} (503) for its own unavailability, so a client never mistakes throttling for an
 * outage.
 *
 * <p>Bounded: at most {@link Settings#maxKeys()} buckets per kind ({@link TokenBuckets}). Time comes from the
 * injected clock.
 */
public final class RateLimiter {

    /**
     * The limits; a rate of 0 turns that limit off.
     *
     * @param clientPerSecond tokens per second per authenticated client ({@code ISSUER_RATE_LIMIT_CLIENT_PER_SECOND})
     * @param clientBurst bucket size per client ({@code ISSUER_RATE_LIMIT_CLIENT_BURST})
     * @param addressPerSecond tokens per second per remote address ({@code ISSUER_RATE_LIMIT_ADDRESS_PER_SECOND})
     * @param addressBurst bucket size per address ({@code ISSUER_RATE_LIMIT_ADDRESS_BURST})
     * @param maxKeys buckets kept per kind ({@code ISSUER_RATE_LIMIT_MAX_KEYS})
     */
    public record Settings(int clientPerSecond, int clientBurst, int addressPerSecond, int addressBurst, int maxKeys) {

        public static final Settings OFF = new Settings(0, 0, 0, 0, 100_000);

        public Settings {
            if (clientPerSecond < 0 || clientBurst < 0 || addressPerSecond < 0 || addressBurst < 0 || maxKeys < 1) {
                throw new IllegalArgumentException("rate limits must not be negative");
            }
            clientBurst = clientPerSecond > 0 ? Math.max(clientBurst, 1) : clientBurst;
            addressBurst = addressPerSecond > 0 ? Math.max(addressBurst, 1) : addressBurst;
        }

        /** From ISSUER_RATE_LIMIT_*; a burst defaults to twice its rate. */
        public static Settings fromValues(Map<String, String> v) {
            int client = intValue(v, "ISSUER_RATE_LIMIT_CLIENT_PER_SECOND", 0);
            int address = intValue(v, "ISSUER_RATE_LIMIT_ADDRESS_PER_SECOND", 0);
            return new Settings(client, intValue(v, "ISSUER_RATE_LIMIT_CLIENT_BURST", 2 * client),
                    address, intValue(v, "ISSUER_RATE_LIMIT_ADDRESS_BURST", 2 * address),
                    intValue(v, "ISSUER_RATE_LIMIT_MAX_KEYS", 100_000));
        }

        private static int intValue(Map<String, String> v, String name, int def) {
            String raw = v.get(name);
            if (raw == null || raw.isBlank()) {
                return def;
            }
            try {
                int value = Integer.parseInt(raw.trim());
                if (value < 0 || value > 10_000_000) {
                    throw new IllegalArgumentException(name + " must be between 0 and 10000000");
                }
                return value;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " must be an integer");
            }
        }
    }

    static final String SLOW_DOWN = "slow_down";
    static final String ADDRESS_REFUSAL = "too many requests from this address";

    private final TokenBuckets addresses;
    private final TokenBuckets clients;
    private final LongAdder refused = new LongAdder();
    /** Agents held to a lower rate by behavioural monitoring, until a time (monitor.Containment). */
    private final Map<String, Throttle> throttled = new ConcurrentHashMap<>();
    private final Clock clock;

    private record Throttle(TokenBuckets.Bucket bucket, double perMilli, long untilMillis) {
    }

    public RateLimiter(Settings settings, Clock clock) {
        this.addresses = new TokenBuckets(settings.addressPerSecond(), settings.addressBurst(), settings.maxKeys(), clock);
        this.clients = new TokenBuckets(settings.clientPerSecond(), settings.clientBurst(), settings.maxKeys(), clock);
        this.clock = clock;
    }

    /**
     * Holds the agent to {@code perSecond} token requests per second (bucket size 1) until {@code until}, on top of
     * R02: monitoring's throttle response. Refusals are R02's (429 slow_down).
     */
    public void throttle(String agentId, double perSecond, java.time.Instant until) {
        long now = clock.millis();
        throttled.put(agentId, new Throttle(new TokenBuckets.Bucket(1, now), perSecond / 1000.0, until.toEpochMilli()));
    }

    /** Whether the agent is throttled now. */
    public boolean throttled(String agentId) {
        Throttle t = throttled.get(agentId);
        return t != null && clock.millis() < t.untilMillis();
    }

    public static RateLimiter off(Clock clock) {
        return new RateLimiter(Settings.OFF, clock);
    }

    /** R01, a route step before the body is read. */
    void admitAddress(RoutingContext ctx) {
        long waitMillis = addresses.take(RemoteAddress.key(ctx.request().remoteAddress()));
        if (waitMillis == 0) {
            ctx.next();
            return;
        }
        refused.increment();
        ctx.response().putHeader("Retry-After", TokenBuckets.retryAfterSeconds(waitMillis));
        Responses.error(ctx, new OAuthException(SLOW_DOWN, 429, ADDRESS_REFUSAL, null));
    }

    /** R02, after client authentication; fails with the 429 (the caller's failure handler sets Retry-After). */
    <T> Future<T> admitClient(String clientId, T value) {
        long waitMillis = throttled.isEmpty() ? 0 : takeThrottled(clientId);
        if (waitMillis == 0) {
            waitMillis = clients.take(clientId);
        }
        if (waitMillis == 0) {
            return Future.succeededFuture(value);
        }
        refused.increment();
        return Future.failedFuture(new Throttled(clientId, waitMillis));
    }

    private long takeThrottled(String clientId) {
        Throttle t = throttled.get(clientId);
        if (t == null) {
            return 0;
        }
        long now = clock.millis();
        if (now >= t.untilMillis()) {
            throttled.remove(clientId, t);
            return 0;
        }
        return t.bucket().take(now, t.perMilli(), 1);
    }

    /** Requests refused so far (both kinds): the count for the metrics. */
    public long refused() {
        return refused.sum();
    }

    /** Buckets currently held (both kinds). */
    int size() {
        return addresses.size() + clients.size();
    }

    /** R02's refusal, carrying the wait for Retry-After. */
    static final class Throttled extends RuntimeException {
        final OAuthException refusal;
        final long waitMillis;

        Throttled(String clientId, long waitMillis) {
            super(null, null, false, false);
            this.refusal = new OAuthException(SLOW_DOWN, 429, "too many requests from agent '" + clientId + "'",
                    null);
            this.waitMillis = waitMillis;
        }
    }
}
