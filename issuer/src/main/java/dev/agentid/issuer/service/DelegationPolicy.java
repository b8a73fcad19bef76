package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The token-exchange and client-credentials policy of the profile (spec §"Token-exchange policy"):
 * who may act, cycles, depth, scope, audience and lifetime. Pure functions of their inputs; every
 * refusal is the exact error of the refusal table.
 */
public final class DelegationPolicy {

    private final int globalMaxDepth;
    private final Duration maxTokenLifetime;

    public DelegationPolicy(int globalMaxDepth, Duration maxTokenLifetime) {
        this.globalMaxDepth = globalMaxDepth;
        this.maxTokenLifetime = maxTokenLifetime;
    }

    /** X14: only when the subject token's current actor lists the client in its delegates. */
    public void requireMayAct(AgentRecord currentActor, AgentRecord client) {
        if (!currentActor.delegates().contains(client.agentId())) {
            throw OAuthException.invalidRequest(
                    "agent '" + client.agentId() + "' may not act for agent '" + currentActor.agentId() + "'");
        }
    }

    /** X15: an agent appears at most once in a chain. */
    public void requireNotInChain(boolean clientInChain, AgentRecord client) {
        if (clientInChain) {
            throw OAuthException.invalidRequest(
                    "agent '" + client.agentId() + "' is already in the delegation chain");
        }
    }

    /** X16: the new depth is bounded by every agent of the new chain and by the global cap. */
    public void requireDepth(int newDepth, Collection<AgentRecord> newChainAgents) {
        int limit = globalMaxDepth;
        for (AgentRecord agent : newChainAgents) {
            limit = Math.min(limit, agent.maxDelegationDepth());
        }
        if (newDepth > limit) {
            throw OAuthException.invalidRequest(
                    "delegation depth " + newDepth + " exceeds the limit of " + limit);
        }
    }

    /** The depth limit of a chain of these agents: their smallest max_delegation_depth and the global cap. */
    public int depthLimit(Collection<AgentRecord> chainAgents) {
        int limit = globalMaxDepth;
        for (AgentRecord agent : chainAgents) {
            limit = Math.min(limit, agent.maxDelegationDepth());
        }
        return limit;
    }

    /** X17–X19: requested ⊆ subject ∩ registered; the default is that intersection, in subject order. */
    public List<String> exchangeScope(Collection<String> subjectScopes, AgentRecord client, List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            List<String> granted = new ArrayList<>();
            for (String s : subjectScopes) {
                if (client.scopes().contains(s)) {
                    granted.add(s);
                }
            }
            if (granted.isEmpty()) {
                throw OAuthException.invalidScope("no scope remains: the subject_token's scope and agent '"
                        + client.agentId() + "''s scopes do not intersect");
            }
            return granted;
        }
        for (String s : requested) {
            if (!subjectScopes.contains(s)) {
                throw OAuthException.invalidScope("scope '" + s + "' exceeds the subject_token's scope");
            }
            if (!client.scopes().contains(s)) {
                throw OAuthException.invalidScope(
                        "scope '" + s + "' is not registered for agent '" + client.agentId() + "'");
            }
        }
        return requested;
    }

    /** C01: requested ⊆ registered; the default is everything registered. */
    public List<String> clientCredentialsScope(AgentRecord agent, List<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return agent.scopes();
        }
        for (String s : requested) {
            if (!agent.scopes().contains(s)) {
                throw OAuthException.invalidScope(
                        "scope '" + s + "' is not registered for agent '" + agent.agentId() + "'");
            }
        }
        return requested;
    }

    /** C02–C04 / X20: exactly one audience, one of the agent's; its single audience by default. */
    public String audience(AgentRecord agent, List<String> requested) {
        if (requested.size() > 1) {
            throw OAuthException.invalidTarget("exactly one audience or resource may be requested");
        }
        if (requested.isEmpty()) {
            if (agent.audiences().size() == 1) {
                return agent.audiences().get(0);
            }
            throw OAuthException.invalidTarget("audience or resource is required");
        }
        String audience = requested.get(0);
        if (!agent.audiences().contains(audience)) {
            throw OAuthException.invalidTarget(
                    "audience '" + audience + "' is not allowed for agent '" + agent.agentId() + "'");
        }
        return audience;
    }

    /** Lifetime only shrinks: min(now + the agent's ttl, the parent's exp, now + the global cap). */
    public Instant expiry(Instant now, AgentRecord agent, Instant parentExpiry) {
        Instant exp = now.plusSeconds(Math.min(agent.tokenTtlSeconds(), maxTokenLifetime.toSeconds()));
        if (parentExpiry != null && parentExpiry.isBefore(exp)) {
            exp = parentExpiry;
        }
        return exp;
    }
}
