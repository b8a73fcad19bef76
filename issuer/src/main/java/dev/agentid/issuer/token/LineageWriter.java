package dev.agentid.issuer.token;

import dev.agentid.issuer.domain.TokenRecord;
import dev.agentid.issuer.store.TokenStore;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one writer of lineage records, for access tokens and chain grants alike: a token's parent (the subject token
 * it was exchanged from, when that is ours), the parent's ancestors and the parent, and this issuer's own agents of
 * its chain (a partner's agent is not one of ours). Revocation and the kill switch read these records.
 */
public final class LineageWriter {

    private final String issuer;
    private final TokenStore tokens;

    public LineageWriter(String issuer, TokenStore tokens) {
        this.issuer = issuer;
        this.tokens = tokens;
    }

    /**
     * Records a token.
     *
     * @param parent the lineage record of the token it derives from, or null for a root of our lineage
     * @param expiresAt how long the record must live (a grant's: as long as anything minted from it may)
     * @param statusIndex its status-list index, or null
     * @param externalStatus status references of ancestors at partner organisations
     */
    public Future<Void> record(String jti, TokenRecord parent, DelegationChain chain, String subject,
                               Instant expiresAt, Instant issuedAt, Long statusIndex, List<String> externalStatus) {
        List<String> ancestors = new ArrayList<>();
        if (parent != null) {
            ancestors.addAll(parent.ancestors());
            ancestors.add(parent.jti());
        }
        List<String> actors = new ArrayList<>(chain.depth());
        for (Actor actor : chain.actors()) {
            if (issuer.equals(actor.issuer())) {
                actors.add(actor.subject());
            }
        }
        return tokens.recordIssued(new TokenRecord(jti, parent == null ? null : parent.jti(), List.copyOf(ancestors),
                List.copyOf(actors), subject, expiresAt, issuedAt, statusIndex, externalStatus));
    }
}
