package dev.agentid.issuer.token;

import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Jose;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This issuer's own tokens, verified at most once each: a token handed back again (an agent exchanges the same subject
 * token many times) is recognised by the SHA-256 of its compact serialization and its verified claims are reused. Only
 * what cannot change is reused: the signature and the claims' syntax, checked against the very same bytes with the very
 * same keys (one cache per key-ring snapshot, so a retired key's tokens are verified afresh against the new ring). The
 * checks that depend on the time ({@code exp}, {@code iat}, {@code nbf}, each with the clock skew, in the verifier's
 * order) run on every call; revocation and the lineage are the caller's, on every request, as before. Refused tokens
 * are not remembered. Bounded: when full, it starts over.
 */
final class VerifiedTokenCache {

    /** Each entry holds a token's parsed claims and chain (a few KB): the bound keeps the heap cost to some MB. */
    static final int MAX_ENTRIES = 4_096;

    private final AgentTokenVerifier verifier;
    private final Clock clock;
    private final Duration clockSkew;
    private final Map<Digest, VerifiedAgentToken> verified = new ConcurrentHashMap<>();

    VerifiedTokenCache(AgentTokenVerifier verifier, Clock clock, Duration clockSkew) {
        this.verifier = verifier;
        this.clock = clock;
        this.clockSkew = clockSkew;
    }

    /** What {@link AgentTokenVerifier#verify} answers for {@code token}: the same result, the same refusal. */
    VerifiedAgentToken verify(String token) throws TokenVerificationException {
        if (token == null) {
            return verifier.verify(null);
        }
        Digest digest = Digest.of(token);
        VerifiedAgentToken known = verified.get(digest);
        if (known != null) {
            try {
                requireCurrent(known);
                return known;
            } catch (TokenVerificationException e) {
                verified.remove(digest);
                throw e;
            }
        }
        VerifiedAgentToken fresh = verifier.verify(token);
        if (verified.size() >= MAX_ENTRIES) {
            verified.clear();
        }
        verified.put(digest, fresh);
        return fresh;
    }

    /** The verifier's time checks (AgentTokenVerifier: exp, then iat, then nbf), against the clock now. */
    private void requireCurrent(VerifiedAgentToken token) throws TokenVerificationException {
        Instant now = clock.instant();
        if (Jose.expired(token.expiresAt(), now, clockSkew)) {
            throw new TokenVerificationException(Reason.EXPIRED, "the token expired at " + token.expiresAt());
        }
        if (Jose.inFuture(token.issuedAt(), now, clockSkew)) {
            throw new TokenVerificationException(Reason.ISSUED_IN_FUTURE,
                    "the token is issued in the future (" + token.issuedAt() + ")");
        }
        Date nbf = token.claims().getNotBeforeTime();
        if (nbf != null && Jose.inFuture(nbf.toInstant(), now, clockSkew)) {
            throw new TokenVerificationException(Reason.NOT_YET_VALID, "the token is not valid before "
                    + nbf.toInstant());
        }
    }

    int size() {
        return verified.size();
    }

    /** SHA-256 of a token's UTF-8 bytes, as four longs (equals and hashCode over the whole digest). */
    record Digest(long a, long b, long c, long d) {

        private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });

        static Digest of(String token) {
            ByteBuffer hash = ByteBuffer.wrap(SHA256.get().digest(token.getBytes(StandardCharsets.UTF_8)));
            return new Digest(hash.getLong(), hash.getLong(), hash.getLong(), hash.getLong());
        }
    }
}
