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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The status lists of partner organisations (draft-ietf-oauth-status-list), for the partner-issued ancestors (grants)
 * of this issuer's tokens. A background job ({@link #refresh()}, every {@code period}, on a worker thread) fetches
 * every list a live token depends on, validates it with verifier-lib's {@link StatusListToken} and that partner's own
 * keys ({@code typ statuslist+jwt}, {@code iss} if present the partner, {@code sub} the uri, {@code iat}, {@code exp},
 * {@code ttl}) and keeps the bits in memory. The request path only reads
 * that memory ({@link #status}): it never fetches.
 *
 * <p><b>Fail closed.</b> A cached list is usable until {@code fetchedAt + ttl + period + clockSkew} (and never past its
 * own {@code exp}); after that, or when a list that a token needs was never fetched and the token is older than
 * {@link #pendingGrace()}, the token's partner status is {@link Status#UNKNOWN} and the token is treated as inactive.
 */
public final class PartnerStatusLists implements TokenLiveness.ExternalAncestors {

    public enum Status { VALID, REVOKED, UNKNOWN }

    private static final Logger LOG = Logger.getLogger(PartnerStatusLists.class.getName());
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_LIST_BYTES = 16 * 1024 * 1024;
    private static final long MAX_BODY_CHARS = 1024 * 1024;
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
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final Map<String, Cached> lists = new ConcurrentHashMap<>();
    private final Map<String, Interest> interest = new ConcurrentHashMap<>();
    private volatile Runnable onRevocation = () -> { };
    private volatile Vertx vertx;
    private long timer = -1;

    public PartnerStatusLists(TrustedPartners partners, Clock clock, Duration period, Duration clockSkew) {
        this.partners = partners;
        this.clock = clock;
        this.period = period;
        this.clockSkew = clockSkew;
    }

    /** Called (on the job's thread) when a fetched list newly marks an index: the issuer's status job rescans. */
    public void onRevocation(Runnable callback) {
        this.onRevocation = callback;
    }

    /** How long a token whose partner list was never fetched yet counts as unrevoked after it was issued. */
    public Duration pendingGrace() {
        return period.multipliedBy(2).plus(HTTP_TIMEOUT);
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
        if (cached != null && cached.list().status(ref.idx()) != StatusList.VALID) {
            return Status.REVOKED;   // bits are never cleared: a revocation seen once stays
        }
        if (cached != null && now.isBefore(cached.usableUntil())) {
            return ref.idx() < cached.list().size() ? Status.VALID : Status.UNKNOWN;
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
            return cached != null && cached.list().status(ref.idx()) != StatusList.VALID;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    /** Keeps {@code ref}'s list refreshed until {@code until}; a list not seen before is fetched soon. */
    public void follow(ExternalStatus ref, Instant until) {
        Interest before = interest.get(ref.uri());
        if (before == null || before.until().isBefore(until)) {
            interest.put(ref.uri(), new Interest(ref.issuer(), until));
        }
        if (before == null && !lists.containsKey(ref.uri())) {
            Vertx v = vertx;
            if (v != null) {
                v.executeBlocking(() -> {
                    fetch(ref.uri(), ref.issuer());
                    return null;
                }, false);
            }
        }
    }

    // ---- the background job ----

    /**
     * Refreshes now and every period. Lists are followed as tokens that need them are minted or checked
     * ({@link #follow}); the status lists re-follow the partner ancestors of the tokens minted here after a restart.
     */
    public void start(Vertx vertx) {
        this.vertx = vertx;
        vertx.executeBlocking(() -> {
            refresh();
            return null;
        }, false).onFailure(e -> LOG.log(Level.WARNING, "partner status lists: first refresh failed", e));
        timer = vertx.setPeriodic(period.toMillis(), id -> vertx.executeBlocking(() -> {
            refresh();
            return null;
        }, false).onFailure(e -> LOG.log(Level.WARNING, "partner status list refresh failed", e)));
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

    /** One pass: fetches every followed list. Blocking (HTTP): never call it on an event loop. */
    public synchronized void refresh() {
        Instant now = clock.instant();
        interest.entrySet().removeIf(e -> e.getValue().until().plus(clockSkew).isBefore(now));
        lists.keySet().removeIf(uri -> !interest.containsKey(uri));
        for (Map.Entry<String, Interest> e : interest.entrySet()) {
            fetch(e.getKey(), e.getValue().issuer());
        }
    }

    private void fetch(String uri, String issuer) {
        JWKSource<SecurityContext> keys = partners.keys(issuer);
        if (keys == null) {
            LOG.warning("status list " + uri + ": partner " + issuer + " is not trusted or not discovered");
            return;
        }
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(HTTP_TIMEOUT)
                    .header("Accept", StatusListToken.MEDIA_TYPE).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("answered " + response.statusCode());
            }
            if (response.body().length() > MAX_BODY_CHARS) {
                throw new IOException("is larger than " + MAX_BODY_CHARS + " bytes");
            }
            Instant now = clock.instant();
            Cached next = verify(response.body().trim(), uri, issuer, keys, now);
            Cached previous = lists.put(uri, next);
            if (newlyMarked(previous, next)) {
                onRevocation.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | TokenVerificationException e) {
            LOG.warning("status list " + uri + " of partner " + issuer + " not refreshed: " + e.getMessage());
        }
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
