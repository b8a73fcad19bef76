package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.infinispan.Cache;
import org.infinispan.context.Flag;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryCreated;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryModified;
import org.infinispan.notifications.cachelistener.event.CacheEntryEvent;

/**
 * {@link AgentRegistry} over the {@code agents} cache (agent id to {@link AgentRecord}, kept as heap objects so the
 * parsed key set is reused across requests).
 */
public final class InfinispanAgentRegistry implements AgentRegistry {

    /** Attempts of the compare-and-set loop in {@link #setStatus} before giving up under contention. */
    private static final int MAX_STATUS_ATTEMPTS = 16;

    private final Readiness ready;
    private final Cache<String, AgentRecord> cache;
    private final Cache<String, AgentRecord> reads;

    InfinispanAgentRegistry(Cache<String, AgentRecord> cache, Readiness ready) {
        this.ready = Objects.requireNonNull(ready);
        this.cache = Objects.requireNonNull(cache);
        this.reads = StoreConfiguration.reads(cache);
    }

    @Override
    public Future<Boolean> register(AgentRecord agent) {
        return Async.call(ready, () -> cache.putIfAbsentAsync(agent.agentId(), agent).thenApply(Objects::isNull));
    }

    @Override
    public Future<AgentRecord> find(String agentId) {
        return Async.call(ready, () -> reads.getAsync(agentId));
    }

    @Override
    public Future<List<AgentRecord>> list() {
        return Async.blocking(ready, () -> {
            List<AgentRecord> all = new ArrayList<>(cache.values());
            all.sort(Comparator.comparing(AgentRecord::agentId));
            return List.copyOf(all);
        });
    }

    @Override
    public Future<AgentRecord> setStatus(String agentId, AgentStatus status, Instant at) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(at, "at");
        return Async.call(ready, () -> setStatus(agentId, status, at, 1));
    }

    // Read, then conditional replace: a lost race re-reads. Unlike compute(), this sends no function over the wire
    // once the cache is clustered.
    private CompletionStage<AgentRecord> setStatus(String agentId, AgentStatus status, Instant at, int attempt) {
        return reads.getAsync(agentId).thenCompose(current -> {
            if (current == null || current.status() == status || current.deregistered()) {
                return CompletableFuture.completedFuture(current);
            }
            AgentRecord next = current.withStatus(status, at);
            return cache.replaceAsync(agentId, current, next).thenCompose(replaced -> {
                if (replaced) {
                    return CompletableFuture.completedFuture(next);
                }
                if (attempt >= MAX_STATUS_ATTEMPTS) {
                    return CompletableFuture.failedFuture(
                            new IllegalStateException("agent status changed concurrently " + attempt + " times"));
                }
                return setStatus(agentId, status, at, attempt + 1);
            });
        });
    }

    @Override
    public Future<Boolean> replace(AgentRecord current, AgentRecord next) {
        if (!current.agentId().equals(next.agentId())) {
            throw new IllegalArgumentException("replace keeps the agent id");
        }
        return Async.call(ready, () -> cache.replaceAsync(current.agentId(), current, next));
    }

    @Override
    public Future<Map<String, AgentStatus>> statuses(Collection<String> agentIds) {
        if (agentIds.isEmpty()) {
            return Async.call(ready, () -> CompletableFuture.completedFuture(Map.of()));
        }
        return Async.call(ready, () -> reads.getAllAsync(new HashSet<>(agentIds)).thenApply(found -> {
            Map<String, AgentStatus> statuses = new HashMap<>();
            found.forEach((id, agent) -> {
                if (agent != null) {
                    statuses.put(id, agent.status());
                }
            });
            return Map.copyOf(statuses);
        }));
    }

    @Override
    public AgentRecord findHere(String agentId) {
        return cache.getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_CACHE_LOAD).get(agentId);
    }

    @Override
    public Collection<AgentRecord> agentsHere() {
        return new ArrayList<>(cache.getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_CACHE_LOAD)
                .values());
    }

    @Override
    public void onChange(Consumer<AgentRecord> listener) {
        cache.addListener(new Changed(listener));
    }

    /** Fires on every node (the cache is replicated), for local and remote writes. */
    @Listener(sync = true, observation = Listener.Observation.POST)
    public static final class Changed {
        private final Consumer<AgentRecord> listener;

        Changed(Consumer<AgentRecord> listener) {
            this.listener = listener;
        }

        @CacheEntryCreated
        @CacheEntryModified
        public void changed(CacheEntryEvent<String, AgentRecord> event) {
            if (event.getValue() != null) {
                listener.accept(event.getValue());
            }
        }
    }
}
