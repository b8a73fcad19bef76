package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.infinispan.Cache;
import org.infinispan.context.Flag;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryCreated;
import org.infinispan.notifications.cachelistener.event.CacheEntryCreatedEvent;

/**
 * {@link TokenStore} over the {@code revoked} cache (jti to {@link Revocation}; replicated, persistent). Every entry
 * gets an Infinispan lifespan of the token's expiry plus {@link #GRACE}.
 */
public final class InfinispanTokenStore implements TokenStore {

    /** How long a revocation outlives the token: covers verifiers whose clocks run behind. */
    public static final Duration GRACE = Duration.ofMinutes(5);

    private final Readiness ready;
    private final Cache<String, Revocation> revoked;
    private final Cache<String, Revocation> reads;
    private final Clock clock;

    InfinispanTokenStore(Cache<String, Revocation> revoked, Clock clock, Readiness ready) {
        this.ready = Objects.requireNonNull(ready);
        this.revoked = Objects.requireNonNull(revoked);
        this.reads = StoreConfiguration.reads(revoked);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override
    public Future<Void> revoke(String jti, String root, Instant expiresAt) {
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(root, "root");
        long lifespan = Duration.between(clock.instant(), expiresAt.plus(GRACE)).toMillis();
        if (lifespan <= 0) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(null));
        }
        Revocation revocation = new Revocation(clock.instant(), expiresAt, root);
        return Async.call(ready, () -> revoked.putIfAbsentAsync(jti, revocation, lifespan, TimeUnit.MILLISECONDS)
                .thenApply(previous -> null));
    }

    @Override
    public Future<Set<String>> revokedAmong(Collection<String> jtis) {
        if (jtis.isEmpty()) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(Set.of()));
        }
        return Async.call(ready, () -> reads.getAllAsync(new HashSet<>(jtis)).thenApply(found -> {
            Set<String> hits = new HashSet<>();
            found.forEach((jti, revocation) -> {
                if (revocation != null) {
                    hits.add(jti);
                }
            });
            return Set.copyOf(hits);
        }));
    }

    @Override
    public Set<String> revokedHere(Collection<String> jtis) {
        Set<String> hits = new HashSet<>();
        var local = revoked.getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_CACHE_LOAD);
        for (String jti : jtis) {
            if (local.get(jti) != null) {
                hits.add(jti);
            }
        }
        return hits;
    }

    @Override
    public Map<String, String> revocationsHere() {
        Map<String, String> here = new HashMap<>();
        revoked.getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_CACHE_LOAD).forEach((jti, r) ->
                here.put(jti, r.root() == null ? jti : r.root()));
        return here;
    }

    @Override
    public void onRevocation(BiConsumer<String, String> listener) {
        revoked.addListener(new Created(listener));
    }

    /** Fires on every node that holds the entry (all of them: the cache is replicated), for local and remote writes. */
    @Listener(sync = true, observation = Listener.Observation.POST)
    public static final class Created {
        private final BiConsumer<String, String> listener;

        Created(BiConsumer<String, String> listener) {
            this.listener = listener;
        }

        @CacheEntryCreated
        public void created(CacheEntryCreatedEvent<String, Revocation> event) {
            Revocation value = event.getValue();
            listener.accept(event.getKey(), value == null || value.root() == null ? event.getKey() : value.root());
        }
    }
}
