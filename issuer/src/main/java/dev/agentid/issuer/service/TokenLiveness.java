package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.store.TokenStore;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Is a verified token of ours still alive? Decided from the token itself plus the small replicated state, with a
 * number of in-memory lookups proportional to the chain depth and independent of how many tokens exist: the lineage
 * the token carries ({@link Lineage}: its ancestors' jtis, its millisecond mint time, its partner ancestors' status
 * references), one batched lookup of the revocation marks of the token and its ancestors, the records of the chain's
 * agents (kill switch), and the partner status lists held in memory. No record of the token is kept anywhere
 * (spec/agent-token-profile.md section 7.2).
 */
public final class TokenLiveness {

    public enum State { ACTIVE, MALFORMED_LINEAGE, REVOKED, ANCESTOR_REVOKED, AGENT_DISABLED, PARTNER_STATUS_UNKNOWN }

    /**
     * The status of a token's ancestors at partner organisations (identity chaining), from memory only:
     * {@link State#ACTIVE}, {@link State#ANCESTOR_REVOKED} or {@link State#PARTNER_STATUS_UNKNOWN} (fail closed).
     */
    public interface ExternalAncestors {
        State check(List<String> references, Instant issuedAt, Instant expiresAt);
    }

    /**
     * The verdict; {@code agent} names the disabled agent for {@link State#AGENT_DISABLED}; {@code lineage} is the
     * token's lineage (null when it is malformed).
     */
    public record Verdict(State state, String agent, Lineage lineage) {
        public boolean active() {
            return state == State.ACTIVE;
        }
    }

    private final TokenStore tokens;
    private final AgentRegistry agents;
    private final String issuer;
    private final ExternalAncestors external;

    public TokenLiveness(TokenStore tokens, AgentRegistry agents, String issuer, ExternalAncestors external) {
        this.tokens = tokens;
        this.agents = agents;
        this.issuer = issuer;
        this.external = external;
    }

    /** Records of this issuer's agents in the token's chain, current first; absent agents map to null. */
    public Future<Map<String, AgentRecord>> chainAgents(VerifiedAgentToken token) {
        return chainAgents(token.chain());
    }

    /** Records of this issuer's agents in a chain (a partner's too: A → B → A), in chain order; absent: null. */
    public Future<Map<String, AgentRecord>> chainAgents(DelegationChain chain) {
        List<String> ids = localAgents(chain);
        List<Future<AgentRecord>> lookups = new ArrayList<>(ids.size());
        for (String id : ids) {
            lookups.add(agents.find(id));
        }
        return Future.all(lookups).map(done -> {
            Map<String, AgentRecord> byId = new LinkedHashMap<>();
            for (int i = 0; i < ids.size(); i++) {
                byId.put(ids.get(i), lookups.get(i).result());
            }
            return byId;
        });
    }

    /** This issuer's agent ids in a chain, current first. */
    public List<String> localAgents(DelegationChain chain) {
        List<String> ids = new ArrayList<>(chain.depth());
        for (Actor actor : chain.actors()) {
            if (issuer.equals(actor.issuer())) {
                ids.add(actor.subject());
            }
        }
        return ids;
    }

    public Future<Verdict> check(VerifiedAgentToken token) {
        return chainAgents(token).compose(records -> check(token, records));
    }

    /** As {@link #check(VerifiedAgentToken)}, with the chain's agent records already fetched. */
    public Future<Verdict> check(VerifiedAgentToken token, Map<String, AgentRecord> chainAgents) {
        Lineage lineage;
        try {
            lineage = Lineage.of(token.claims());
        } catch (IllegalArgumentException malformed) {
            return Future.succeededFuture(new Verdict(State.MALFORMED_LINEAGE, null, null));
        }
        return tokens.revokedAmong(lineage.selfAndAncestors()).map(revoked ->
                decide(lineage, revoked, chainAgents, token.expiresAt(), external));
    }

    /**
     * The rule itself, pure: revoked itself, then a revoked ancestor, then a partner ancestor revoked or unknown, then
     * an unknown or disabled agent of the chain (killed at or after the token's mint time, or deregistered).
     */
    public static Verdict decide(Lineage lineage, Set<String> revoked, Map<String, AgentRecord> chainAgents,
                                 Instant expiresAt, ExternalAncestors external) {
        if (revoked.contains(lineage.jti())) {
            return new Verdict(State.REVOKED, null, lineage);
        }
        if (!revoked.isEmpty()) {
            return new Verdict(State.ANCESTOR_REVOKED, null, lineage);
        }
        if (!lineage.external().isEmpty()) {
            State partners = external.check(lineage.external(), lineage.mintedAt(), expiresAt);
            if (partners != State.ACTIVE) {
                return new Verdict(partners, null, lineage);
            }
        }
        String disabled = disabledAgent(chainAgents, lineage.mintedAt());
        return disabled == null
                ? new Verdict(State.ACTIVE, null, lineage)
                : new Verdict(State.AGENT_DISABLED, disabled, lineage);
    }

    /**
     * The first agent of the chain that is unknown or disabled for a token issued at {@code tokenIssuedAt}
     * ({@link AgentRecord#disabledFor}; null: a token about to be issued), or null.
     */
    public static String disabledAgent(Map<String, AgentRecord> chainAgents, Instant tokenIssuedAt) {
        for (Map.Entry<String, AgentRecord> e : chainAgents.entrySet()) {
            if (e.getValue() == null || e.getValue().disabledFor(tokenIssuedAt)) {
                return e.getKey();
            }
        }
        return null;
    }

}
