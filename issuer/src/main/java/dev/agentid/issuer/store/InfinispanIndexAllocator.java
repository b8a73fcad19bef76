package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.infinispan.Cache;

/**
 * {@link IndexAllocator} over a cache of list name to next free index, advanced by {@code replace(old, new)}.
 *
 * <p>Each value written carries a claim of its own ({@code "<next free index> <claim>"}). Infinispan retries a write
 * whose topology changed under it, and a retried {@code replace} in a non-transactional cache succeeds when the value
 * present equals the value it writes (it takes it for its own earlier attempt). Two nodes reserving a block of the same
 * size from the same index write the same next free index: without the claim, a retry of the one that lost would win
 * too and hand out the same block twice. A bare {@link Long}, as written before claims, is still read.
 */
public final class InfinispanIndexAllocator implements IndexAllocator {

    /** Attempts of the compare-and-set loop before giving up under contention. */
    private static final int MAX_ATTEMPTS = 64;

    private final Readiness ready;
    private final Cache<String, Object> cache;
    private final Cache<String, Object> reads;
    /** Counts up from a random start: see {@link InfinispanReplayStore}'s claims. */
    private final AtomicLong claims = new AtomicLong(new SecureRandom().nextLong());

    InfinispanIndexAllocator(Cache<String, Object> cache, Readiness ready) {
        this.ready = Objects.requireNonNull(ready);
        this.cache = Objects.requireNonNull(cache);
        this.reads = StoreConfiguration.reads(cache);
    }

    @Override
    public Future<Long> reserve(String list, int count) {
        Objects.requireNonNull(list, "list");
        if (count <= 0) {
            throw new IllegalArgumentException("count must be positive");
        }
        return Async.call(ready, () -> reserve(list, count, 1));
    }

    @Override
    public long nextFree(String list) {
        Object stored = reads.get(list);
        return stored == null ? 0L : next(stored);
    }

    private CompletionStage<Long> reserve(String list, int count, int attempt) {
        return reads.getAsync(list).thenCompose(stored -> {
            long first = stored == null ? 0L : next(stored);
            String value = (first + count) + " " + Long.toHexString(claims.incrementAndGet());
            CompletionStage<Boolean> claimed = stored == null
                    ? cache.putIfAbsentAsync(list, value).thenApply(Objects::isNull)
                    : cache.replaceAsync(list, stored, value);
            return claimed.thenCompose(won -> {
                if (won) {
                    return CompletableFuture.completedFuture(first);
                }
                if (attempt >= MAX_ATTEMPTS) {
                    return CompletableFuture.failedFuture(new IllegalStateException(
                            "index allocation of " + list + " contended " + attempt + " times"));
                }
                return reserve(list, count, attempt + 1);
            });
        });
    }

    /** The next free index in a stored value: {@code "<next> <claim>"}, or a bare {@link Long} (before claims). */
    static long next(Object stored) {
        if (stored instanceof Long legacy) {
            return legacy;
        }
        String text = (String) stored;
        return Long.parseLong(text.substring(0, text.indexOf(' ')));
    }
}
