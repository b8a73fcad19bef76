package dev.agentid.verifier.binding;

import java.time.Instant;

/**
 * Remembers which DPoP proofs were used, so that each is accepted once (RFC 9449 section 11.1).
 *
 * <p>The default, {@link InMemoryReplayCache}, protects one process. A resource server that runs as
 * several instances behind a load balancer MUST plug in one shared by all instances (for example an
 * entry in a clustered cache with an expiry, or Redis {@code SET key 1 NX PXAT expiresAt}); otherwise a
 * proof replayed to another instance is accepted there.
 *
 * <p>Implementations must be thread-safe, and {@link #firstUse} atomic: of two concurrent calls with the
 * same id, exactly one returns true.
 */
public interface ReplayCache {

    /**
     * Records {@code id} as used until {@code expiresAt}.
     *
     * @param id        an opaque, fixed-length identifier of the proof (the verifier hashes the key
     *                  thumbprint and the {@code jti})
     * @param expiresAt after this instant the id may be forgotten: the proof is refused by its age anyway
     * @return true if the id was not recorded yet (first use), false if it was (a replay)
     * @throws RuntimeException if the cache cannot answer (full, unreachable). The verifier then fails with
     *         {@link dev.agentid.verifier.Reason#REPLAY_CHECK_UNAVAILABLE}: it never accepts a proof it
     *         could not check.
     */
    boolean firstUse(String id, Instant expiresAt);
}
