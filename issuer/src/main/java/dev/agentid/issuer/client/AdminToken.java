package dev.agentid.issuer.client;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.TokenBuckets;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;

/**
 * The admin bearer token, compared in constant time, with a limit on wrong guesses per remote address (R03).
 *
 * <p>Every place that accepts the admin token (the admin API, approvals' break-glass, admin-bearer introspection and
 * revocation, the console's break-glass sign-in) presents it here with the caller's address. An address may present
 * {@link #FAILURE_BURST} wrong tokens at once and earns one more try every {@link #SECONDS_PER_FAILURE} seconds; an
 * address that has none left is locked out: its presentations are not compared at all (so the lockout cannot be
 * used to keep guessing) and are answered 429 with {@code Retry-After}, the right token included, until it has earned
 * a try again. A request without a bearer token guesses nothing and is not counted. The count is per node, like the
 * token endpoint's rate limits, and bounded like them ({@link TokenBuckets}): beyond {@link #MAX_ADDRESSES}
 * addresses the rest share one budget, so spreading guesses over many addresses neither fills the heap nor escapes
 * the limit.
 */
public final class AdminToken {

    /** Wrong tokens an address may present in a row before it is locked out. */
    public static final int FAILURE_BURST = 10;
    /** An address earns another try this often. */
    public static final int SECONDS_PER_FAILURE = 6;
    static final int MAX_ADDRESSES = 100_000;

    /** What a presentation came to. */
    public enum Outcome {
        /** The admin token. */
        ADMIN,
        /** No admin token: missing, not a bearer token, or wrong (counted by {@link #present}). */
        NOT_ADMIN,
        /** Not compared: the address presented too many wrong tokens ({@link #retryAfterMillis}). */
        LOCKED_OUT
    }

    private final byte[] token;
    private final TokenBuckets failures;

    public AdminToken(String token, Clock clock) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.failures = new TokenBuckets(1.0 / SECONDS_PER_FAILURE, FAILURE_BURST, MAX_ADDRESSES, clock);
    }

    /** {@code presented} (the token itself, or null) from {@code remote}; a wrong token is counted. */
    public Outcome present(String presented, SocketAddress remote) {
        Outcome outcome = judge(presented, remote);
        if (outcome == Outcome.NOT_ADMIN && presented != null && !presented.isEmpty()) {
            failed(remote);
        }
        return outcome;
    }

    /**
     * {@link #present} without counting a wrong token: for a caller that may take the value for something else
     * (approvals take a bearer token that is not the admin token for an id_token). It must call {@link #failed} when
     * the value turns out to be nothing it accepts.
     */
    public Outcome judge(String presented, SocketAddress remote) {
        if (presented == null || presented.isEmpty()) {
            return Outcome.NOT_ADMIN;
        }
        if (failures.waitMillis(address(remote)) > 0) {
            return Outcome.LOCKED_OUT;
        }
        return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8)) ? Outcome.ADMIN
                : Outcome.NOT_ADMIN;
    }

    /** An {@code Authorization} header value (or null) from {@code remote}: only a bearer token is a presentation. */
    public Outcome presentHeader(String header, SocketAddress remote) {
        String bearer = bearer(header);
        return bearer == null ? Outcome.NOT_ADMIN : present(bearer, remote);
    }

    /** Counts a wrong presentation that {@link #judge} could not tell from something else alone. */
    public void failed(SocketAddress remote) {
        failures.take(address(remote));
    }

    /** Milliseconds until {@code remote} may present a token again; 0 when it may now. */
    public long retryAfterMillis(SocketAddress remote) {
        return failures.waitMillis(address(remote));
    }

    /** {@code Retry-After} in whole seconds, at least 1, for a locked-out address. */
    public String retryAfterSeconds(SocketAddress remote) {
        return TokenBuckets.retryAfterSeconds(retryAfterMillis(remote));
    }

    /**
     * The {@code Authorization} header value that presents this token: for a node that asks its peers on behalf of a
     * caller who proved herself otherwise (a web console session). Never log it.
     */
    public String bearerHeader() {
        return "Bearer " + new String(token, StandardCharsets.UTF_8);
    }

    /** The token of a {@code Bearer} header value, or null. */
    public static String bearer(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return header.substring(7).trim();
    }

    private static String address(SocketAddress remote) {
        return RemoteAddress.key(remote);
    }

    /** R03's answer to a locked-out address (429; the caller adds {@code Retry-After}). */
    public static OAuthException lockout() {
        return new OAuthException("slow_down", 429, "too many wrong admin tokens from this address", null);
    }

    /** R03 as a failed future's cause, for endpoints whose failure handler sets {@code Retry-After} from it. */
    public LockedOut lockedOut(SocketAddress remote) {
        return new LockedOut(retryAfterMillis(remote));
    }

    /** A locked-out address's refusal, carrying the wait for {@code Retry-After}. */
    public static final class LockedOut extends RuntimeException {
        private final long waitMillis;

        LockedOut(long waitMillis) {
            super(null, null, false, false);
            this.waitMillis = waitMillis;
        }

        public OAuthException refusal() {
            return lockout();
        }

        public String retryAfterSeconds() {
            return TokenBuckets.retryAfterSeconds(waitMillis);
        }
    }
}
