package dev.agentid.issuer.store;

import io.vertx.core.Future;

import java.util.Collection;
import java.util.Set;

/**
 * A map shared by every node (replicated, persisted when clustered), for features that keep their own state (the
 * status lists). The asynchronous writes are refused with {@link StoreUnavailableException} when this node may not
 * answer, like every built-in store's writes; an asynchronous read answers from this node's copy (a served status
 * list is signed and carries its own lifetime). The synchronous operations are for background jobs off the event
 * loop. Futures complete on the caller's Vert.x context.
 */
public interface SharedMap<K, V> {

    V get(K key);

    /** True if {@code key} had no value and now has {@code value}. */
    boolean putIfAbsent(K key, V value);

    /** Compare-and-set: true if {@code key} held {@code expected} and now holds {@code value}. */
    boolean replace(K key, V expected, V value);

    void remove(K key);

    Future<V> getAsync(K key);

    Future<Void> putAsync(K key, V value);

    Future<Void> putIfAbsentAsync(K key, V value);

    /** True if {@code key} had no value and now has {@code value}, which expires after {@code lifespan}. */
    Future<Boolean> putIfAbsentAsync(K key, V value, java.time.Duration lifespan);

    /**
     * Compare-and-set: true if {@code key} held {@code expected} and now holds {@code value}, which expires after
     * {@code lifespan}.
     */
    Future<Boolean> replaceAsync(K key, V expected, V value, java.time.Duration lifespan);

    /** This node's copy of the keys, without remote calls (a scan: off the event loop). */
    Set<K> localKeys();

    /** This node's copy of the values, without remote calls (a scan: off the event loop). */
    Collection<V> localValues();
}
