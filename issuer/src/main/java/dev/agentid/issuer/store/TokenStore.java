package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Revocations: the only per-token state the issuer keeps, and only for tokens someone revoked. Nothing is stored when
 * a token is issued (its lineage travels in the token: {@code domain.Lineage}). A mark lives until the revoked
 * token's expiry plus a 5 minute grace: every descendant expires no later than its ancestor, so the mark outlives
 * everything it kills. Futures complete on the caller's Vert.x context when there is one.
 */
public interface TokenStore {

    /**
     * Marks the token revoked. Idempotent: revoking again keeps the first revocation. Nothing is stored if
     * {@code expiresAt} + 5 min is already past.
     *
     * @param root the root of the token's lineage (its first ancestor, or the token itself): where the status lists
     *     find its descendants
     */
    Future<Void> revoke(String jti, String root, Instant expiresAt);

    /** Which of {@code jtis} (a token and its ancestors) are revoked, in one batched lookup from memory. */
    Future<Set<String>> revokedAmong(Collection<String> jtis);

    /** As {@link #revokedAmong}, answered from this node's memory on the calling thread (a background worker's). */
    Set<String> revokedHere(Collection<String> jtis);

    /**
     * The revocations held on this node, jti to lineage root: a node that starts replays them against the tokens it
     * minted before it stopped. Blocking (iterates the in-memory entries); call it off the event loop.
     */
    Map<String, String> revocationsHere();

    /**
     * Calls {@code listener} with (jti, root) for each revocation written on any node of the cluster, on this node,
     * once the entry is here. The listener runs on an Infinispan thread and must only hand the event on.
     */
    void onRevocation(BiConsumer<String, String> listener);
}
