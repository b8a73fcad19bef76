package dev.agentid.issuer.policy;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;

import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Function;

/**
 * Every delegation rule of the profile (spec §"Token-exchange policy"), each exactly once, for every grant:
 * who may act, cycles, depth, scope narrowing, audience and lifetime. Pure functions of their inputs. A rule that
 * several grants share takes the grant's refusal ({@link Refusal}): {@code invalid_request} for a token exchange,
 * {@code invalid_grant} for a partner's grant; scope refusals are always {@code invalid_scope}, audience refusals
 * {@code invalid_target}.
 */
public final class DelegationPolicy {

    /** How the calling grant refuses: the OAuth error code of that grant, with this description. */
    @FunctionalInterface
    public interface Refusal {
        OAuthException refuse(String description);
    }

    /**
     * One limit on the scope of a new token: the scopes it allows, and the description of the refusal of a scope
     * beyond it (given the scope).
     */
    public record ScopeBound(Collection<String> scopes, Function<String, String> beyond) {

        /** The scopes registered for an agent. */
        public static ScopeBound registered(AgentRecord agent) {
            return new ScopeBound(agent.scopes(),
                    s -> "scope '" + s + "' is not registered for agent '" + agent.agentId() + "'");
        }
    }

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

    /** X15, F17: an agent appears at most once in a chain. */
    public void requireNotInChain(DelegationChain chain, Actor client, Refusal refusal) {
        if (chain.contains(client)) {
            throw refusal.refuse("agent '" + client.subject() + "' is already in the delegation chain");
        }
    }

    /** The deepest a chain with these agents may become: the smallest of their limits and the global cap. */
    public int depthLimit(Collection<AgentRecord> chainAgents) {
        int limit = globalMaxDepth;
        for (AgentRecord agent : chainAgents) {
            if (agent != null) {
                limit = Math.min(limit, agent.maxDelegationDepth());
            }
        }
        return limit;
    }

    /** X16, F18: the new depth is bounded by every agent of the new chain and by the global cap. */
    public void requireDepth(int newDepth, Collection<AgentRecord> newChainAgents, Refusal refusal) {
        int limit = globalMaxDepth;
        for (AgentRecord agent : newChainAgents) {
            limit = Math.min(limit, agent.maxDelegationDepth());
        }
        if (newDepth > limit) {
            throw refusal.refuse("delegation depth " + newDepth + " exceeds the limit of " + limit);
        }
    }

    /**
     * Scope only narrows (C01, X17–X19, F19–F22, and a partner grant's scope): every requested scope lies within every bound, in the order
     * given (the first bound a scope exceeds names the refusal); without a request, the scopes of the first bound
     * that every other bound allows, in the first bound's order. When that default is empty and
     * {@code nothingLeft} is not null, it is refused with that description.
     */
    public List<String> narrowScope(List<String> requested, List<ScopeBound> bounds, String nothingLeft) {
        if (requested == null || requested.isEmpty()) {
            List<String> granted = new ArrayList<>();
            for (String s : bounds.get(0).scopes()) {
                if (withinAll(s, bounds)) {
                    granted.add(s);
                }
            }
            if (granted.isEmpty() && nothingLeft != null) {
                throw OAuthException.invalidScope(nothingLeft);
            }
            return List.copyOf(granted);
        }
        for (String s : requested) {
            for (ScopeBound bound : bounds) {
                if (!bound.scopes().contains(s)) {
                    throw OAuthException.invalidScope(bound.beyond().apply(s));
                }
            }
        }
        return List.copyOf(new LinkedHashSet<>(requested));
    }

    private static boolean withinAll(String scope, List<ScopeBound> bounds) {
        for (ScopeBound bound : bounds) {
            if (!bound.scopes().contains(scope)) {
                return false;
            }
        }
        return true;
    }

    /** C01: requested ⊆ registered; the default is everything registered. */
    public List<String> clientCredentialsScope(AgentRecord agent, List<String> requested) {
        return narrowScope(requested, List.of(ScopeBound.registered(agent)), null);
    }

    /** X17–X19: requested ⊆ subject ∩ registered; the default is that intersection, in subject order. */
    public List<String> exchangeScope(Collection<String> subjectScopes, AgentRecord client, List<String> requested) {
        return narrowScope(requested, List.of(
                new ScopeBound(subjectScopes, s -> "scope '" + s + "' exceeds the subject_token's scope"),
                ScopeBound.registered(client)),
                "no scope remains: the subject_token's scope and agent '" + client.agentId() + "''s scopes do not"
                        + " intersect");
    }

    /** C02–C04, X20: exactly one audience, one of the agent's; its single audience by default. */
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

    /**
     * {@link #expiry}, refused with {@code expired} when nothing is left of it (a parent within the clock skew of its
     * exp: H08, F10).
     */
    public Instant remainingExpiry(Instant now, AgentRecord agent, Instant parentExpiry, OAuthException expired) {
        Instant exp = expiry(now, agent, parentExpiry);
        if (!exp.isAfter(now)) {
            throw expired;
        }
        return exp;
    }
}
