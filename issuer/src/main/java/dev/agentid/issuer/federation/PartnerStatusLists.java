package dev.agentid.issuer.federation;

import dev.agentid.verifier.Jose;
import java.util.Set;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEProcessor;
import com.nimbusds.jose.proc.SecurityContext;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.status.StatusList;
import dev.agentid.verifier.status.StatusListToken;
import io.vertx.core.Vertx;
import java.util.Arrays;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The status lists of partner organisations (draft-ietf-oauth-status-list), for the partner-issued ancestors (grants)
 * of this issuer's tokens. A background job ({@link #refresh()}, every {@code period}, on a worker thread) fetches
 * every list a live token depends on, validates it with verifier-lib's {@link StatusListToken} and that partner's own
 * keys ({@code typ statuslist+jwt}, {@code iss} if present the partner, {@code sub} the uri, {@code iat}, {@code exp},
 * {@code ttl}) and keeps the bits in memory. The request path only reads
 * that memory ({@link #status}): it never fetches. Fetches run on the {@link OutboundFetcher} (deadline including
 * the body, streaming size cap), never on the Vert.x worker pool, and no lock is held across them: a partner that
 * hangs or floods only makes its own lists unavailable.
 *
 * <p><b>Fail closed.</b> A cached list is usable until {@code fetchedAt + ttl + period + clockSkew} (and never past its
 * own {@code exp}); after that, or when a list that a token needs was never fetched and the token is older than
 * {@link #pendingGrace()}, the token's partner status is {@link Status#UNKNOWN} and the token is treated as inactive.
 */
public final class PartnerStatusLists implements TokenLiveness.ExternalAncestors {

    public enum Status { VALID, REVOKED, UNKNOWN }

    private static final Logger LOG = Logger.getLogger(PartnerStatusLists.class.getName());
    private static final int MAX_LIST_BYTES = 16 * 1024 * 1024;
    /** The largest status-list token fetched: counted while it streams in, never buffered beyond. */
    static final int MAX_BODY_BYTES = 1024 * 1024;
    /** Distinct lists followed per partner, and in all: a partner cannot make us follow lists without bound. */
    static final int MAX_LISTS_PER_PARTNER = 16;
    static final int MAX_LISTS = 256;
    /** A list's ttl is honoured up to this long (a partner cannot make us trust a stale list for days). */
    private static final Duration MAX_TTL = Duration.ofMinutes(10);

    private record Cached(StatusList list, Instant fetchedAt, Instant usableUntil) {
    }

    private record Interest(String issuer, Instant until) {
    }

    private final TrustedPartners partners;
    private final Clock clock;
    private final Duration period;
    private final Duration clockSkew;
    private final OutboundFetcher fetcher;
    private final Duration maxFollow;
    private final Map<String, Cached> lists = new ConcurrentHashMap<>();
    /** Lists being fetched now: at most one fetch per list at a time. */
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    /** Lists whose last fetch failed (hang, flood, error) and that have no usable copy: the partner is unavailable. */
    private final Map<String, Instant> failed = new ConcurrentHashMap<>();
    private final Map<String, Interest> interest = new ConcurrentHashMap<>();
    private volatile Runnable onRevocation = () -> { };
    private volatile Vertx vertx;
    private long timer = -1;

    /**
     * @param maxFollow the longest a list is followed for one token (the issuer's longest token lifetime): a
     *     partner's {@code max_exp} far in the future does not keep us fetching
     */
    public PartnerStatusLists(TrustedPartners partners, OutboundFetcher fetcher, Clock clock, Duration period,
                              Duration clockSkew, Duration maxFollow) {
        this.partners = partners;
        this.fetcher = fetcher;
        this.maxFollow = maxFollow;
        this.clock = clock;
        this.period = period;
        this.clockSkew = clockSkew;
    }

    /**
     * The partner lists followed now, for an operator (the web console's cluster view): each list's uri and partner,
     * when it was last fetched, until when that copy is usable, and since when fetching it fails (null: it does not).
     */
    public List<Map<String, Object>> followed() {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Interest> e : new java.util.TreeMap<>(interest).entrySet()) {
            Map<String, Object> list = new java.util.LinkedHashMap<>();
            Cached cached = lists.get(e.getKey());
            Instant failing = failed.get(e.getKey());
            list.put("uri", e.getKey());
            list.put("issuer", e.getValue().issuer());
            list.put("fetched_at", cached == null ? null : cached.fetchedAt().toString());
            list.put("usable_until", cached == null ? null : cached.usableUntil().toString());
            list.put("failing_since", failing == null ? null : failing.toString());
            out.add(list);
        }
        return out;
    }

    /** Called (on the job's thread) when a fetched list newly marks an index: the issuer's status job rescans. */
    public void onRevocation(Runnable callback) {
        this.onRevocation = callback;
    }

    /** How long a token whose partner list was never fetched yet counts as unrevoked after it was issued. */
    public Duration pendingGrace() {
        return period.multipliedBy(2).plus(fetcher.deadline());
    }

    /** The longest a list is followed for one token, and the latest {@code max_exp} accepted from now. */
    public Duration maxFollow() {
        return maxFollow;
    }

    /** The refresh period of the job. */
    public Duration period() {
        return period;
    }

    // ---- request path: memory only ----

    /** The status of one partner-issued ancestor of a token issued at {@code tokenIssuedAt}. */
    public Status status(ExternalStatus ref, Instant tokenIssuedAt) {
        Instant now = clock.instant();
        Cached cached = lists.get(ref.uri());
        if (cached != null && ref.idx() >= cached.list().size()) {
            return Status.UNKNOWN;   // an index the list does not have: fail closed, never an exception
        }
        if (cached != null && cached.list().status(ref.idx()) != StatusList.VALID) {
            return Status.REVOKED;   // bits are never cleared: a revocation seen once stays
        }
        if (cached != null && now.isBefore(cached.usableUntil())) {
            return Status.VALID;
        }
        if (cached == null && (!interest.containsKey(ref.uri()) || failed.containsKey(ref.uri()))) {
            return Status.UNKNOWN;   // not followed (over the caps, partner not trusted) or the partner failed us
        }
        if (cached == null && now.isBefore(tokenIssuedAt.plus(pendingGrace()))) {
            return Status.VALID;     // just issued; the job fetches the list within a period
        }
        return Status.UNKNOWN;
    }

    @Override
    public TokenLiveness.State check(List<String> references, Instant issuedAt, Instant expiresAt) {
        TokenLiveness.State state = TokenLiveness.State.ACTIVE;
        for (String encoded : references) {
            ExternalStatus ref;
            try {
                ref = ExternalStatus.decode(encoded);
            } catch (IllegalArgumentException e) {
                return TokenLiveness.State.PARTNER_STATUS_UNKNOWN;
            }
            follow(ref, expiresAt);
            Status status = status(ref, issuedAt);
            if (status == Status.REVOKED) {
                return TokenLiveness.State.ANCESTOR_REVOKED;
            }
            if (status == Status.UNKNOWN) {
                state = TokenLiveness.State.PARTNER_STATUS_UNKNOWN;
            }
        }
        return state;
    }

    /** True only when a fetched list marks the reference (the issuer's status job sets bits only on certainty). */
    public boolean revoked(String encoded) {
        try {
            ExternalStatus ref = ExternalStatus.decode(encoded);
            Cached cached = lists.get(ref.uri());
            return cached != null && ref.idx() < cached.list().size()
                    && cached.list().status(ref.idx()) != StatusList.VALID;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    /**
     * Keeps {@code ref}'s list refreshed until {@code until} (at most the longest token lifetime from now); a list
     * not seen before is fetched soon. A list outside its partner's {@code status_list_prefix}, of a partner no
     * longer trusted, or beyond {@link #MAX_LISTS_PER_PARTNER} / {@link #MAX_LISTS} is not followed: its tokens
     * count as {@link Status#UNKNOWN} (fail closed).
     */
    public void follow(ExternalStatus ref, Instant until) {
        Partner partner = partners.partner(ref.issuer());
        if (partner == null || !partner.statusListAllowed(ref.uri())) {
            return;
        }
        Instant cap = clock.instant().plus(maxFollow);
        Instant bounded = until.isAfter(cap) ? cap : until;
        boolean[] added = new boolean[1];
        synchronized (interest) {   // memory only: the caps are checked and the entry added atomically
            Interest before = interest.get(ref.uri());
            if (before == null) {
                if (interest.size() >= MAX_LISTS || interest.values().stream()
                        .filter(i -> i.issuer().equals(ref.issuer())).count() >= MAX_LISTS_PER_PARTNER) {
                    LOG.warning("partner " + ref.issuer() + ": status list " + ref.uri()
                            + " not followed (too many lists); its tokens fail closed");
                    return;
                }
                added[0] = true;
            }
            if (before == null || before.until().isBefore(bounded)) {
                interest.put(ref.uri(), new Interest(ref.issuer(), bounded));
            }
        }
        if (added[0] && !lists.containsKey(ref.uri()) && vertx != null) {
            fetch(ref.uri(), ref.issuer());
        }
    }

    // ---- the background job ----

    /**
     * Refreshes now and every period. Lists are followed as tokens that need them are minted or checked
     * ({@link #follow}); the status lists re-follow the partner ancestors of the tokens minted here after a restart.
     */
    public void start(Vertx vertx) {
        this.vertx = vertx;
        // refreshAsync never blocks: it only starts fetches on the outbound fetcher's own executor
        refreshAsync();
        timer = vertx.setPeriodic(period.toMillis(), id -> {
            try {
                refreshAsync();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "partner status list refresh failed", e);
            }
        });
    }

    /** {@link #follow(ExternalStatus, Instant)} of a reference in its encoded form; an unreadable one is ignored. */
    public void follow(String encoded, Instant until) {
        try {
            follow(ExternalStatus.decode(encoded), until);
        } catch (IllegalArgumentException unreadable) {
            // the request path fails closed on it
        }
    }

    public void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * One pass: starts a fetch of every followed list (at most one in flight per list); the fetches run on the
     * {@link OutboundFetcher}, bounded by its deadline and size cap. Never blocks, holds no lock; the future
     * completes when every fetch of the pass has ended (it never fails).
     */
    public CompletableFuture<Void> refreshAsync() {
        Instant now = clock.instant();
        interest.entrySet().removeIf(e -> e.getValue().until().plus(clockSkew).isBefore(now));
        lists.keySet().removeIf(uri -> !interest.containsKey(uri));
        failed.keySet().removeIf(uri -> !interest.containsKey(uri));
        List<CompletableFuture<Void>> pass = new java.util.ArrayList<>();
        for (Map.Entry<String, Interest> e : interest.entrySet()) {
            pass.add(fetch(e.getKey(), e.getValue().issuer()));
        }
        return CompletableFuture.allOf(pass.toArray(new CompletableFuture[0]));
    }

    /** {@link #refreshAsync()}, waiting (at most the fetch deadline) for its end: operators and tests. */
    public void refresh() {
        try {
            refreshAsync().get(fetcher.deadline().toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning("partner status lists: refresh did not end: " + e);
        }
    }

    /** Fetches one list unless a fetch of it is in flight (then that one's future); never fails. */
    private CompletableFuture<Void> fetch(String uri, String issuer) {
        JWKSource<SecurityContext> keys = partners.keys(issuer);
        if (keys == null) {
            LOG.warning("status list " + uri + ": partner " + issuer + " is not trusted or not discovered");
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> running = inFlight.putIfAbsent(uri, done);
        if (running != null) {
            return running;
        }
        URI location;
        try {
            location = URI.create(uri);
        } catch (IllegalArgumentException e) {
            failed.put(uri, clock.instant());
            inFlight.remove(uri, done);
            done.complete(null);
            return done;
        }
        fetcher.fetch(location, StatusListToken.MEDIA_TYPE, MAX_BODY_BYTES).whenComplete((response, error) -> {
            try {
                if (error != null) {
                    throw error instanceof IOException ? (IOException) error
                            : error instanceof java.util.concurrent.TimeoutException
                            ? new IOException("no complete answer within " + fetcher.deadline().toMillis() + " ms")
                            : new IOException(String.valueOf(error));
                }
                if (response.status() != 200) {
                    throw new IOException("answered " + response.status());
                }
                Instant now = clock.instant();
                Cached next = verify(response.text().trim(), uri, issuer, keys, now);
                Cached previous = lists.put(uri, next);
                failed.remove(uri);
                if (newlyMarked(previous, next)) {
                    onRevocation.run();
                }
            } catch (IOException | TokenVerificationException | RuntimeException e) {
                Cached cached = lists.get(uri);
                if (cached == null || !clock.instant().isBefore(cached.usableUntil())) {
                    failed.put(uri, clock.instant());   // this partner is unavailable: its tokens fail closed
                }
                LOG.warning("status list " + uri + " of partner " + issuer + " not refreshed: " + e.getMessage());
            } finally {
                inFlight.remove(uri, done);
                done.complete(null);
            }
        });
        return done;
    }

    private Cached verify(String body, String uri, String issuer, JWKSource<SecurityContext> keys, Instant now)
            throws TokenVerificationException {
        StatusListToken token = StatusListToken.validate(body, uri, issuer, (iss, jws) -> verifySignature(jws, keys),
                now, clockSkew, MAX_LIST_BYTES);
        Instant until = token.cacheUntil(now, MAX_TTL, MAX_TTL).plus(period).plus(clockSkew);
        if (token.expiresAt() != null && token.expiresAt().plus(clockSkew).isBefore(until)) {
            until = token.expiresAt().plus(clockSkew);
        }
        return new Cached(token.list(), now, until);
    }

    private static void verifySignature(JWSObject jws, JWKSource<SecurityContext> keys)
            throws TokenVerificationException {
        DefaultJOSEProcessor<SecurityContext> processor = Jose.joseProcessor(keys,
                Set.of(new JOSEObjectType(StatusListToken.TYP)), JWSAlgorithm.ES256);
        try {
            processor.process(jws, null);
        } catch (BadJOSEException | JOSEException e) {
            throw new TokenVerificationException(Reason.BAD_SIGNATURE, e.getMessage());
        }
    }

    private static boolean newlyMarked(Cached previous, Cached next) {
        if (previous == null) {
            return !Arrays.equals(next.list().toBytes(), new byte[next.list().toBytes().length]);
        }
        return !Arrays.equals(previous.list().toBytes(), next.list().toBytes());
    }
}
