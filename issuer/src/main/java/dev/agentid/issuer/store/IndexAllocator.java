package dev.agentid.issuer.store;

import io.vertx.core.Future;

/**
 * Hands out indices (e.g. status-list positions) that are unique across the whole cluster and across restarts: each
 * call reserves a block of consecutive indices with a compare-and-set on the replicated, persisted
 * {@link StoreConfiguration#STATUS_ALLOC} cache. Indices are never handed out twice; a block reserved by a node that
 * then crashes is simply skipped. Futures complete on the caller's Vert.x context when there is one.
 */
public interface IndexAllocator {

    /**
     * Reserves {@code count} consecutive indices of {@code list} and returns the first; the first call for a list
     * returns 0.
     *
     * @throws IllegalArgumentException if {@code count} is not positive
     */
    Future<Long> reserve(String list, int count);

    /** The first index the next reservation of {@code list} would get (0 before the first), from this node's copy. */
    long nextFree(String list);
}
