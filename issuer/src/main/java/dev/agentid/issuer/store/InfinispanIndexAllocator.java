package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.infinispan.Cache;

/** {@link IndexAllocator} over a cache of list name to next free index, advanced by {@code replace(old, new)}. */
public final class InfinispanIndexAllocator implements IndexAllocator {

    /** Attempts of the compare-and-set loop before giving up under contention. */
    private static final int MAX_ATTEMPTS = 64;

    private final Readiness ready;
    private final Cache<String, Long> cache;
    private final Cache<String, Long> reads;

    InfinispanIndexAllocator(Cache<String, Long> cache, Readiness ready) {
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

    private CompletionStage<Long> reserve(String list, int count, int attempt) {
        return reads.getAsync(list).thenCompose(next -> {
            CompletionStage<Boolean> claimed = next == null
                    ? cache.putIfAbsentAsync(list, (long) count).thenApply(Objects::isNull)
                    : cache.replaceAsync(list, next, next + count);
            return claimed.thenCompose(won -> {
                if (won) {
                    return CompletableFuture.completedFuture(next == null ? 0L : next);
                }
                if (attempt >= MAX_ATTEMPTS) {
                    return CompletableFuture.failedFuture(new IllegalStateException(
                            "index allocation of " + list + " contended " + attempt + " times"));
                }
                return reserve(list, count, attempt + 1);
            });
        });
    }
}
