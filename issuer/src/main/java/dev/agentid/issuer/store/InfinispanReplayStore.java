package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.infinispan.Cache;

/**
 * {@link ReplayStore} over the {@code replay} cache: key to the claim that used it first, with a lifespan of expiry +
 * {@link #GRACE}.
 *
 * <p>Each first use writes a value of its own. Infinispan retries a write whose topology changed under it (a member
 * left or joined), and in a non-transactional cache a retried {@code putIfAbsent} succeeds when the value present
 * equals the value it writes, taking it for its own earlier attempt that reached the new primary owner. A constant
 * marker would let every retried replay through; a claim unique to its caller makes that rule exact: only the
 * caller's own earlier attempt counts as its success.
 */
public final class InfinispanReplayStore implements ReplayStore {

    /** How long a key is remembered after its expiry: covers clock skew between the issuer and its clients. */
    public static final Duration GRACE = Duration.ofSeconds(60);

    private final Readiness ready;
    private final Cache<String, Long> cache;
    private final Clock clock;
    /**
     * The next claim: counts up from a random start, so claims of this node never repeat and claims of two nodes (or of
     * this node before and after a restart) meet with a chance of about (claims made) / 2^64.
     */
    private final AtomicLong claims = new AtomicLong(new SecureRandom().nextLong());

    InfinispanReplayStore(Cache<String, Long> cache, Clock clock, Readiness ready) {
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
        Long claim = claims.incrementAndGet();
        return Async.call(ready, () -> cache.putIfAbsentAsync(key, claim, lifespan, TimeUnit.MILLISECONDS)
                .thenApply(Objects::isNull));
    }
}
