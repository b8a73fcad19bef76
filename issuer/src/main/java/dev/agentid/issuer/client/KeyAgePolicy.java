package dev.agentid.issuer.client;

/**
 * Credential hygiene at client authentication: whether an agent's registered key is too old to authenticate with
 * (row T26). Answered from memory, without blocking: the request path asks it once per client assertion.
 */
public interface KeyAgePolicy {

    /** No key is ever too old. */
    KeyAgePolicy NONE = (agentId, kid) -> false;

    /** True when {@code agentId}'s key {@code kid} (null: a key without kid) may no longer authenticate. */
    boolean refuses(String agentId, String kid);
}
