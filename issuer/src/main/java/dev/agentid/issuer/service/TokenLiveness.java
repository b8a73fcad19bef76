package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.domain.TokenRecord;
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

/**
 * Is a verified token of ours still alive? Costs a number of lookups proportional to the chain depth
 * and independent of how many tokens descend from a revoked one: the token's lineage record, one
 * batched lookup of the revocation marks of the token and its recorded ancestors, and the records of
 * the chain's agents (kill switch).
 */
public final class TokenLiveness {

    public enum State { ACTIVE, UNKNOWN, REVOKED, ANCESTOR_REVOKED, AGENT_DISABLED, PARTNER_STATUS_UNKNOWN }

    /**
     * The status of a token's ancestors at partner organisations (identity chaining), from memory only:
     * {@link State#ACTIVE}, {@link State#ANCESTOR_REVOKED} or {@link State#PARTNER_STATUS_UNKNOWN} (fail closed).
     */
    public interface ExternalAncestors {
        State check(List<String> references, Instant issuedAt, Instant expiresAt);
    }

    /** The verdict; {@code agent} names the disabled agent for {@link State#AGENT_DISABLED}. */
    public record Verdict(State state, String agent, TokenRecord record) {
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
        List<String> ids = new ArrayList<>(chain.depth());
        for (Actor actor : chain.actors()) {
            if (issuer.equals(actor.issuer())) {
                ids.add(actor.subject());
            }
        }
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

    public Future<Verdict> check(VerifiedAgentToken token) {
        return chainAgents(token).compose(records -> check(token, records));
    }

    /** As {@link #check(VerifiedAgentToken)}, with the chain's agent records already fetched. */
    public Future<Verdict> check(VerifiedAgentToken token, Map<String, AgentRecord> chainAgents) {
        return tokens.find(token.jwtId()).compose(record -> {
            if (record == null) {
                return Future.succeededFuture(new Verdict(State.UNKNOWN, null, null));
            }
            List<String> lineage = new ArrayList<>(record.ancestors().size() + 1);
            lineage.addAll(record.ancestors());
            lineage.add(record.jti());
            return tokens.revokedAmong(lineage).map(revoked -> {
                if (revoked.contains(record.jti())) {
                    return new Verdict(State.REVOKED, null, record);
                }
                if (!revoked.isEmpty()) {
                    return new Verdict(State.ANCESTOR_REVOKED, null, record);
                }
                if (!record.externalStatus().isEmpty()) {
                    State partners = external.check(record.externalStatus(), record.issuedAt(), record.expiresAt());
                    if (partners != State.ACTIVE) {
                        return new Verdict(partners, null, record);
                    }
                }
                String disabled = disabledAgent(chainAgents, record.issuedAt());
                return disabled == null
                        ? new Verdict(State.ACTIVE, null, record)
                        : new Verdict(State.AGENT_DISABLED, disabled, record);
            });
        });
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
