package dev.agentid.verifier.status;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@code AgentTokenVerifier} checks a token's {@code status} claim against its issuer's Token Status List
 * (draft-ietf-oauth-status-list). Immutable; start from {@link #failClosed()} or {@link #failOpen()}.
 *
 * <p>Fail-closed: when the list cannot be fetched the token is refused with {@code KEY_SOURCE_UNAVAILABLE}.
 * Fail-open: such a token is accepted. Either way a fetched list that does not verify (signature, {@code typ},
 * {@code sub}, {@code exp}, encoding) refuses the token with {@code KEY_SOURCE_UNAVAILABLE}: fail-open tolerates
 * outages, never forgeries.
 */
public final class StatusListPolicy {

    private final boolean failOpen;
    private final boolean requireStatus;
    private final Duration maxCacheTime;
    private final Duration defaultCacheTime;
    private final Duration retryAfterFailure;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final int maxTokenBytes;
    private final int maxListBytes;
    private final int maxCachedLists;

    private StatusListPolicy(boolean failOpen, boolean requireStatus, Duration maxCacheTime, Duration defaultCacheTime,
                             Duration retryAfterFailure, int connectTimeoutMillis, int readTimeoutMillis,
                             int maxTokenBytes, int maxListBytes, int maxCachedLists) {
        this.failOpen = failOpen;
        this.requireStatus = requireStatus;
        this.maxCacheTime = maxCacheTime;
        this.defaultCacheTime = defaultCacheTime;
        this.retryAfterFailure = retryAfterFailure;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.maxTokenBytes = maxTokenBytes;
        this.maxListBytes = maxListBytes;
        this.maxCachedLists = maxCachedLists;
    }

    /** Refuse tokens whose status cannot be determined because the list cannot be fetched. */
    public static StatusListPolicy failClosed() {
        return new StatusListPolicy(false, true, Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofSeconds(5),
                2000, 2000, 1024 * 1024, 16 * 1024 * 1024, 256);
    }

    /** Accept tokens whose list cannot be fetched (an outage); still refuse on a list that does not verify. */
    public static StatusListPolicy failOpen() {
        return failClosed().copy(true, true);
    }

    /** Tokens without a {@code status} claim are accepted (by default they are refused with MISSING_CLAIM). */
    public StatusListPolicy allowTokensWithoutStatus() {
        return copy(failOpen, false);
    }

    /** Caps how long a list is cached, whatever its {@code ttl} says (default 1 hour). */
    public StatusListPolicy maxCacheTime(Duration max) {
        requirePositive(max, "maxCacheTime");
        return new StatusListPolicy(failOpen, requireStatus, max, defaultCacheTime, retryAfterFailure,
                connectTimeoutMillis, readTimeoutMillis, maxTokenBytes, maxListBytes, maxCachedLists);
    }

    /** After a failed fetch, how long to answer from that failure before fetching again (default 5 s). */
    public StatusListPolicy retryAfterFailure(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        return new StatusListPolicy(failOpen, requireStatus, maxCacheTime, defaultCacheTime, wait,
                connectTimeoutMillis, readTimeoutMillis, maxTokenBytes, maxListBytes, maxCachedLists);
    }

    /** HTTP connect and read timeouts (default 2 s each). */
    public StatusListPolicy timeouts(Duration connect, Duration read) {
        requirePositive(connect, "connect");
        requirePositive(read, "read");
        return new StatusListPolicy(failOpen, requireStatus, maxCacheTime, defaultCacheTime, retryAfterFailure,
                (int) connect.toMillis(), (int) read.toMillis(), maxTokenBytes, maxListBytes, maxCachedLists);
    }

    private StatusListPolicy copy(boolean open, boolean require) {
        return new StatusListPolicy(open, require, maxCacheTime, defaultCacheTime, retryAfterFailure,
                connectTimeoutMillis, readTimeoutMillis, maxTokenBytes, maxListBytes, maxCachedLists);
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    public boolean isFailOpen() {
        return failOpen;
    }

    public boolean requiresStatus() {
        return requireStatus;
    }

    public Duration maxCacheTime() {
        return maxCacheTime;
    }

    /** Cache time of a list without {@code ttl} (5 minutes, capped by {@link #maxCacheTime()}). */
    public Duration defaultCacheTime() {
        return defaultCacheTime;
    }

    public Duration retryAfterFailure() {
        return retryAfterFailure;
    }

    public int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    public int readTimeoutMillis() {
        return readTimeoutMillis;
    }

    /** The largest status list token fetched (1 MiB). */
    public int maxTokenBytes() {
        return maxTokenBytes;
    }

    /** The largest decompressed list accepted (16 MiB, 134 million 1-bit statuses): the decompression-bomb bound. */
    public int maxListBytes() {
        return maxListBytes;
    }

    /** Lists kept in the cache at most (256). */
    public int maxCachedLists() {
        return maxCachedLists;
    }
}
