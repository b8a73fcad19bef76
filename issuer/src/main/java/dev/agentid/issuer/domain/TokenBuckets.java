package dev.agentid.issuer.domain;

import java.time.Clock;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Token buckets by key (a remote address, an agent): the token endpoint's rate limits ({@code http.RateLimiter}) and
 * the admin token's wrong guesses per address ({@code client.AdminToken}).
 *
 * <p>Bounded: at most {@code maxKeys} buckets. When the map is full, idle buckets (refilled to their burst, i.e.
 * indistinguishable from a new one) are swept, at most once a second; a key that still finds no room shares one
 * overflow bucket, so an attacker with many addresses fills neither the heap nor escapes the limit. Each bucket is its
 * own small lock; no lock is shared between keys or with background work. Time comes from the injected clock.
 */
public final class TokenBuckets {
    private final double perMilli;
    private final int burst;
    private final int maxKeys;
    private final Clock clock;
    final Map<String, Bucket> map = new ConcurrentHashMap<>();
    private final Bucket overflow;
    private final AtomicLong lastSweep = new AtomicLong(Long.MIN_VALUE / 2);   // no overflow in now - last

    /**
     * @param perSecond tokens added a second (fractions allowed); 0 turns the buckets off
     * @param burst bucket size
     * @param maxKeys buckets kept; further keys share one overflow bucket
     */
    public TokenBuckets(double perSecond, int burst, int maxKeys, Clock clock) {
        this.perMilli = perSecond / 1000.0;
        this.burst = burst;
        this.maxKeys = maxKeys;
        this.clock = Objects.requireNonNull(clock);
        this.overflow = new Bucket(burst, clock.millis());
    }

    /** 0 when a token was taken, else the milliseconds until one will be there. */
    public long take(String key) {
        if (perMilli == 0) {
            return 0;
        }
        long now = clock.millis();
        Bucket bucket = map.get(key);
        if (bucket == null) {
            if (map.size() >= maxKeys) {
                sweep(now);
            }
            bucket = map.size() < maxKeys ? map.computeIfAbsent(key, k -> new Bucket(burst, now)) : overflow;
        }
        return bucket.take(now, perMilli, burst);
    }

    /** 0 when the key's bucket holds a token (none is taken), else the milliseconds until it will. */
    public long waitMillis(String key) {
        if (perMilli == 0) {
            return 0;
        }
        Bucket bucket = map.get(key);
        if (bucket == null) {
            if (map.size() < maxKeys) {
                return 0;   // a new bucket is full
            }
            bucket = overflow;
        }
        return bucket.waitMillis(clock.millis(), perMilli, burst);
    }

    /** Buckets currently held (not counting the overflow bucket). */
    public int size() {
        return map.size();
    }

    /** A wait as a {@code Retry-After} value: whole seconds, at least 1. */
    public static String retryAfterSeconds(long waitMillis) {
        return Long.toString(Math.max(1, (waitMillis + 999) / 1000));
    }

    /** Removes the buckets that have refilled to their burst (a new bucket would be the same), once a second. */
    private void sweep(long now) {
        long last = lastSweep.get();
        if (now - last < 1000 || !lastSweep.compareAndSet(last, now)) {
            return;
        }
        for (Iterator<Bucket> it = map.values().iterator(); it.hasNext(); ) {
            if (it.next().idle(now, perMilli, burst)) {
                it.remove();
            }
        }
    }

    /** One token bucket; its monitor is held for a few arithmetic operations only. */
    public static final class Bucket {
        private double tokens;
        private long updated;

        public Bucket(int burst, long now) {
            this.tokens = burst;
            this.updated = now;
        }

        public synchronized long take(long now, double perMilli, int burst) {
            long wait = waitMillis(now, perMilli, burst);
            if (wait == 0) {
                tokens -= 1;
            }
            return wait;
        }

        synchronized long waitMillis(long now, double perMilli, int burst) {
            refill(now, perMilli, burst);
            return tokens >= 1 ? 0 : Math.max(1, (long) Math.ceil((1 - tokens) / perMilli));
        }

        synchronized boolean idle(long now, double perMilli, int burst) {
            refill(now, perMilli, burst);
            return tokens >= burst;
        }

        private void refill(long now, double perMilli, int burst) {
            if (now > updated) {
                tokens = Math.min(burst, tokens + (now - updated) * perMilli);
                updated = now;
            }
        }
    }
}
