package dev.agentid.issuer.store;

import io.vertx.core.Future;
import org.infinispan.Cache;
import org.infinispan.context.Flag;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;

/** A {@link SharedMap} on one of the caches of {@link StoreConfiguration#CACHES}. */
final class InfinispanSharedMap<K, V> implements SharedMap<K, V> {

    private final Cache<K, V> cache;
    private final Cache<K, V> reads;
    private final Readiness ready;

    InfinispanSharedMap(Cache<K, V> cache, Readiness ready) {
        this.cache = Objects.requireNonNull(cache);
        this.reads = StoreConfiguration.reads(cache);
        this.ready = Objects.requireNonNull(ready);
    }

    @Override
    public V get(K key) {
        return reads.get(key);
    }

    @Override
    public boolean putIfAbsent(K key, V value) {
        return cache.putIfAbsent(key, value) == null;
    }

    @Override
    public boolean replace(K key, V expected, V value) {
        return cache.replace(key, expected, value);
    }

    @Override
    public void remove(K key) {
        cache.remove(key);
    }

    @Override
    public Future<V> getAsync(K key) {
        return Async.call(() -> reads.getAsync(key));
    }

    @Override
    public Future<Void> putAsync(K key, V value) {
        return Async.call(ready, () -> cache.putAsync(key, value)).mapEmpty();
    }

    @Override
    public Future<Void> putIfAbsentAsync(K key, V value) {
        return Async.call(ready, () -> cache.putIfAbsentAsync(key, value)).mapEmpty();
    }

    @Override
    public Future<Boolean> putIfAbsentAsync(K key, V value, java.time.Duration lifespan) {
        return Async.call(ready, () -> cache.putIfAbsentAsync(key, value, lifespan.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS)).map(previous -> previous == null);
    }

    @Override
    public Future<Boolean> replaceAsync(K key, V expected, V value, java.time.Duration lifespan) {
        return Async.call(ready, () -> cache.replaceAsync(key, expected, value, lifespan.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    @Override
    public Set<K> localKeys() {
        return local().keySet();
    }

    @Override
    public Collection<V> localValues() {
        return local().values();
    }

    @SuppressWarnings("unchecked")
    private Cache<K, V> local() {
        return (Cache<K, V>) cache.getAdvancedCache().withFlags(Flag.CACHE_MODE_LOCAL);
    }
}
