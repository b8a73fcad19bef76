package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.infinispan.Cache;

/** {@link ReplayStore} over the {@code replay} cache (key to a marker, with a lifespan of expiry + {@link #GRACE}). */
public final class InfinispanReplayStore implements ReplayStore {

    /** How long a key is remembered after its expiry: covers clock skew between the issuer and its clients. */
    public static final Duration GRACE = Duration.ofSeconds(60);

    private final Readiness ready;
    private final Cache<String, Boolean> cache;
    private final Clock clock;

    InfinispanReplayStore(Cache<String, Boolean> cache, Clock clock, Readiness ready) {
        this.ready = Objects.requireNonNull(ready);
        this.cache = Objects.requireNonNull(cache);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override
    public Future<Boolean> firstUse(String key, Instant expiresAt) {
        Objects.requireNonNull(key, "key");
        long lifespan = Duration.between(clock.instant(), expiresAt.plus(GRACE)).toMillis();
        if (lifespan <= 0) {
            // Too old to be remembered for its whole window, so it cannot be proven to be a first use.
            return Async.call(ready, () -> CompletableFuture.completedFuture(false));
        }
        return Async.call(ready, () -> cache.putIfAbsentAsync(key, Boolean.TRUE, lifespan, TimeUnit.MILLISECONDS)
                .thenApply(Objects::isNull));
    }
}
