package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.TokenRecord;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * Issued tokens' lineage and revocations. Entries live until the token's expiry plus a 5 minute grace, after which the
 * token is rejected on {@code exp} anyway. Futures complete on the caller's Vert.x context when there is one.
 */
public interface TokenStore {

    /**
     * Records an issued token; the entry lives until {@code expiresAt} + 5 min (nothing is stored if that is already
     * past).
     */
    Future<Void> recordIssued(TokenRecord token);

    /** The token's record, or a {@code null} result if unknown or expired. */
    Future<TokenRecord> find(String jti);

    /**
     * Marks the token revoked until {@code expiresAt} + 5 min. Idempotent: revoking again keeps the first revocation.
     * Nothing is stored if {@code expiresAt} + 5 min is already past.
     */
    Future<Void> revoke(String jti, Instant expiresAt);

    /** Which of {@code jtis} (a token and its ancestors) are revoked, in one batched lookup. */
    Future<Set<String>> revokedAmong(Collection<String> jtis);

    /**
     * Agent id to the number of recorded tokens unexpired at {@code now} whose actors contain it (admin inventory).
     * Scans; runs off the event loop.
     */
    Future<Map<String, Long>> liveTokenCounts(Instant now);
}
