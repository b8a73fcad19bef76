package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link SharedMap} that passes every call to another one: tests extend it to make one operation behave as a
 * troubled store does (a retried conditional write, a refused write) and leave the rest to the real map.
 */
public abstract class ForwardingSharedMap<K, V> implements SharedMap<K, V> {

    protected final SharedMap<K, V> map;

    protected ForwardingSharedMap(SharedMap<K, V> map) {
        this.map = Objects.requireNonNull(map);
    }

    @Override
    public V get(K key) {
        return map.get(key);
    }

    @Override
    public boolean putIfAbsent(K key, V value) {
        return map.putIfAbsent(key, value);
    }

    @Override
    public boolean replace(K key, V expected, V value) {
        return map.replace(key, expected, value);
    }

    @Override
    public void remove(K key) {
        map.remove(key);
    }

    @Override
    public Future<V> getAsync(K key) {
        return map.getAsync(key);
    }

    @Override
    public Future<Void> putAsync(K key, V value) {
        return map.putAsync(key, value);
    }

    @Override
    public Future<Void> putIfAbsentAsync(K key, V value) {
        return map.putIfAbsentAsync(key, value);
    }

    @Override
    public Future<Boolean> putIfAbsentAsync(K key, V value, Duration lifespan) {
        return map.putIfAbsentAsync(key, value, lifespan);
    }

    @Override
    public Future<Boolean> replaceAsync(K key, V expected, V value, Duration lifespan) {
        return map.replaceAsync(key, expected, value, lifespan);
    }

    @Override
    public Set<K> localKeys() {
        return map.localKeys();
    }

    @Override
    public Collection<V> localValues() {
        return map.localValues();
    }
}
