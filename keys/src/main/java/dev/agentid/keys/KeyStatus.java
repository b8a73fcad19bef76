package dev.agentid.keys;

import java.time.Instant;
import java.util.Optional;

/**
 * A key's state at an instant.
 *
 * @param key the key
 * @param state its state
 * @param supersededAt when a later key took over signing (empty while pending or active)
 * @param publishedUntil last instant the key is published (empty while pending or active)
 */
public record KeyStatus(ManagedKey key, KeyState state, Optional<Instant> supersededAt,
        Optional<Instant> publishedUntil) {

    /** Whether the key belongs in the public JWKS. */
    public boolean published() {
        return state != KeyState.EXPIRED;
    }
}
