package dev.agentid.issuer.monitor;

import java.util.Set;

/**
 * Per-agent event counts in one-second slots over the last {@link #SECONDS} seconds: what the rate detectors read.
 * {@link LocalCounters} counts this node's events; {@link ClusterCounters} adds the other nodes' published counts, so
 * that an agent's rate is judged over the whole cluster. Used by the monitor thread only.
 */
public interface Counters {

    /** Slots kept: one minute for the baselines' last complete minute, plus the current one, plus margin. */
    int SECONDS = 128;

    enum Metric {
        /** Tokens issued to the agent. */
        ISSUED,
        /** Refusals of the agent's authenticated requests. */
        REFUSED_AUTHENTICATED,
        /** Refusals of requests that named the agent without authenticating as it. */
        REFUSED_UNAUTHENTICATED,
        /** Authenticated refusals for scopes or audiences beyond the registration (invalid_scope, invalid_target). */
        PROBES,
        /** Delegates this agent delegated to that it had not delegated to in the last minute. */
        FAN_OUT
    }

    /** Counts one event of this node. */
    void add(String agent, Metric metric, long second);

    /** The count over the seconds {@code from..to} (inclusive), over every node this instance knows of. */
    long sum(String agent, Metric metric, long from, long to);

    /** Agents with a count in a second at or after {@code since}, on any node. */
    Set<String> active(long since);

    /** Before an evaluation at {@code now}: exchange counts with the other nodes (a no-op on one node). */
    default void exchange(long now) {
    }

    /**
     * Records that the agent used {@code item} (a scope, an audience, ...: {@code kind} says which) and answers whether
     * no node had seen it before: first-time-seen is judged over the cluster. Called only when this node sees the
     * item for the first time.
     */
    default boolean firstInCluster(String agent, String kind, String item) {
        return true;
    }

    /**
     * Claims the one response to an alert ({@code key}: agent and detector) for this node: true once in the cluster
     * per cooldown, so that an agent judged by every node is suspended and reported once.
     */
    default boolean claim(String key) {
        return true;
    }
}
