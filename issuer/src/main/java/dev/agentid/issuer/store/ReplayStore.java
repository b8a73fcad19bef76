package dev.agentid.issuer.store;

import io.vertx.core.Future;
import java.time.Instant;

/** One-time use of keys (e.g. client assertion or DPoP proof ids) until they expire. */
public interface ReplayStore {

    /**
     * {@code true} exactly once per key until {@code expiresAt} (atomic put-if-absent; the key is remembered until
     * {@code expiresAt} + 60 s). {@code false} for a key seen before, and for a key whose {@code expiresAt} + 60 s is
     * already past (it could no longer be remembered).
     */
    Future<Boolean> firstUse(String key, Instant expiresAt);
}
