package dev.agentid.verifier.binding;

import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ReplayCache} for one process: a {@link ConcurrentHashMap} of ids to expiry instants, bounded
 * in size. Expired entries are swept when the map reaches its bound (and every {@code maxEntries / 4}
 * insertions), at most one sweep at a time. When the map is still full after a sweep, {@link #firstUse}
 * throws instead of forgetting an id that has not expired, so a proof is never accepted twice; the
 * verifier reports that as {@link dev.agentid.verifier.Reason#REPLAY_CHECK_UNAVAILABLE}.
 *
 * <p>Only for a single resource-server instance; see {@link ReplayCache} for clusters. Thread-safe.
 */
public final class InMemoryReplayCache implements ReplayCache {

    /** Default bound: at 60 s proof lifetime, about 800 proofs per second. */
    public static final int DEFAULT_MAX_ENTRIES = 100_000;

    private final ConcurrentHashMap<String, Instant> used = new ConcurrentHashMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final int maxEntries;
    private final int sweepEvery;
    private final Clock clock;
    private final AtomicInteger insertions = new AtomicInteger();

    public InMemoryReplayCache(Clock clock) {
        this(clock, DEFAULT_MAX_ENTRIES);
    }

    public InMemoryReplayCache(Clock clock, int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxEntries = maxEntries;
        this.sweepEvery = Math.max(1, maxEntries / 4);
    }

    @Override
    public boolean firstUse(String id, Instant expiresAt) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Instant now = clock.instant();
        if (used.size() >= maxEntries || insertions.incrementAndGet() % sweepEvery == 0) {
            sweep(now);
            if (used.size() >= maxEntries && !used.containsKey(id)) {
                throw new IllegalStateException("the DPoP replay cache is full (" + maxEntries + " unexpired proofs)");
            }
        }
        boolean[] first = {false};
        used.compute(id, (key, previous) -> {
            if (previous == null || !previous.isAfter(now)) {
                first[0] = true;
                return expiresAt;
            }
            return previous;
        });
        return first[0];
    }

    /** The number of ids held (expired ones included until the next sweep). */
    public int size() {
        return used.size();
    }

    private void sweep(Instant now) {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            for (Iterator<Map.Entry<String, Instant>> it = used.entrySet().iterator(); it.hasNext(); ) {
                if (!it.next().getValue().isAfter(now)) {
                    it.remove();
                }
            }
        } finally {
            sweeping.set(false);
        }
    }
}
