package dev.agentid.keys;

/** The state of a key at a given instant, derived from the timestamps of the ring. */
public enum KeyState {
    /** Not yet active: published (so caches see it early) but not signing. */
    PENDING,
    /** The one key that signs now. */
    ACTIVE,
    /** Superseded by a later key; still published because tokens it signed may still be valid. */
    RETIRED,
    /** Superseded long enough ago that every token it signed has expired; unpublished, prunable. */
    EXPIRED
}
