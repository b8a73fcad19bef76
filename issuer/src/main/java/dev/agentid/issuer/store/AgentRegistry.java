package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Registered agents and their kill switch. Futures complete on the caller's Vert.x context when there is one. */
public interface AgentRegistry {

    /** Registers a new agent; {@code false} if the id already exists (atomic put-if-absent, nothing is overwritten). */
    Future<Boolean> register(AgentRecord agent);

    /** The agent, or a {@code null} result if unknown. */
    Future<AgentRecord> find(String agentId);

    /** Every registered agent, sorted by agent id. Scans; runs off the event loop. */
    Future<List<AgentRecord>> list();

    /**
     * Sets the agent's status and returns the stored record, or a {@code null} result if unknown. Setting the status
     * the agent already has changes nothing (the first {@code statusChangedAt} is kept), and so does any status for a
     * {@link AgentStatus#DEREGISTERED} agent (final): the record returned then still says deregistered.
     */
    Future<AgentRecord> setStatus(String agentId, AgentStatus status, Instant at);

    /**
     * Replaces {@code current} with {@code next} (same agent id) if the stored record still equals {@code current}
     * (compare and set); {@code false} when it changed meanwhile or is gone.
     */
    Future<Boolean> replace(AgentRecord current, AgentRecord next);

    /** The status of each known agent among {@code agentIds}, in one batched lookup; unknown ids are absent. */
    Future<Map<String, AgentStatus>> statuses(Collection<String> agentIds);

    /** The agent from this node's memory, on the calling thread (a background worker's), or null. */
    AgentRecord findHere(String agentId);

    /** The agents held on this node, from memory: a starting node's status lists replay kills with them. Blocking. */
    Collection<AgentRecord> agentsHere();

    /**
     * Calls {@code listener} with the new record whenever an agent is created or changed on any node of the cluster,
     * on this node, once the change is here. The listener runs on an Infinispan thread and must only hand it on.
     */
    void onChange(Consumer<AgentRecord> listener);
}
