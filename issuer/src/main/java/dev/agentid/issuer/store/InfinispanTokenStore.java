package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.TokenRecord;

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
import org.infinispan.AdvancedCache;
import org.infinispan.Cache;
import org.infinispan.context.Flag;

/**
 * {@link TokenStore} over two caches: {@code tokens} (jti to {@link TokenRecord}) and {@code revoked} (jti to
 * {@link Revocation}). Every entry gets an Infinispan lifespan of the token's expiry plus {@link #GRACE}.
 */
public final class InfinispanTokenStore implements TokenStore {

    /** How long lineage and revocations outlive the token: covers verifiers whose clocks run behind. */
    public static final Duration GRACE = Duration.ofMinutes(5);

    private final Readiness ready;
    private final Cache<String, TokenRecord> tokens;
    private final AdvancedCache<String, TokenRecord> tokenWrites;
    private final Cache<String, Revocation> revoked;
    private final Clock clock;

    InfinispanTokenStore(Cache<String, TokenRecord> tokens, Cache<String, Revocation> revoked, Clock clock,
                         Readiness ready) {
        this.ready = Objects.requireNonNull(ready);
        this.tokens = Objects.requireNonNull(tokens);
        this.tokenWrites = tokens.getAdvancedCache().withFlags(Flag.IGNORE_RETURN_VALUES);
        this.revoked = Objects.requireNonNull(revoked);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override
    public Future<Void> recordIssued(TokenRecord token) {
        long lifespan = lifespanMillis(token.expiresAt());
        if (lifespan <= 0) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(null));
        }
        return Async.call(ready, () -> tokenWrites.putAsync(token.jti(), token, lifespan, TimeUnit.MILLISECONDS)
                .thenApply(previous -> null));
    }

    @Override
    public Future<TokenRecord> find(String jti) {
        return Async.call(ready, () -> tokens.getAsync(jti)
                .thenApply(token -> token == null || !token.expiresAt().isAfter(clock.instant()) ? null : token));
    }

    @Override
    public Future<Void> revoke(String jti, Instant expiresAt) {
        Objects.requireNonNull(jti, "jti");
        long lifespan = lifespanMillis(expiresAt);
        if (lifespan <= 0) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(null));
        }
        Revocation revocation = new Revocation(clock.instant(), expiresAt);
        return Async.call(ready, () -> revoked.putIfAbsentAsync(jti, revocation, lifespan, TimeUnit.MILLISECONDS)
                .thenApply(previous -> null));
    }

    @Override
    public Future<Set<String>> revokedAmong(Collection<String> jtis) {
        if (jtis.isEmpty()) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(Set.of()));
        }
        return Async.call(ready, () -> revoked.getAllAsync(new HashSet<>(jtis)).thenApply(found -> {
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
    public Future<Map<String, Long>> liveTokenCounts(Instant now) {
        Objects.requireNonNull(now, "now");
        return Async.blocking(ready, () -> {
            Map<String, Long> counts = new HashMap<>();
            for (TokenRecord token : tokens.values()) {
                if (token.expiresAt().isAfter(now)) {
                    for (String actor : new HashSet<>(token.actors())) {
                        counts.merge(actor, 1L, Long::sum);
                    }
                }
            }
            return Map.copyOf(counts);
        });
    }

    private long lifespanMillis(Instant expiresAt) {
        return Duration.between(clock.instant(), expiresAt.plus(GRACE)).toMillis();
    }
}
