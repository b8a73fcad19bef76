package dev.agentid.verifier.status;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.Resource;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status check of a verified token (draft-ietf-oauth-status-list, "Validation Rules"; profile section 7.1):
 * fetch the list named by {@code status.status_list.uri} (https, or http to a loopback address, and only under the
 * token's own issuer), verify it with that issuer's keys, check {@code typ statuslist+jwt}, {@code sub == uri},
 * {@code iat}, {@code exp}, decompress it with a size bound, and read the token's {@code idx}. A set status is
 * {@link Reason#REVOKED}; an {@code idx} outside the list is {@link Reason#INVALID_CLAIM}. Lists are cached per URI
 * for their {@code ttl} (capped by the policy). Thread-safe.
 */
public final class StatusListCheck {

    /** Verifies a status list token's signature with the keys of {@code issuer}; used for nothing else. */
    @FunctionalInterface
    public interface SignatureVerifier {
        void verify(String issuer, JWSObject jws) throws TokenVerificationException;
    }

    public static final String MEDIA_TYPE = StatusListToken.MEDIA_TYPE;

    private record Cached(StatusList list, Instant until, TokenVerificationException failure) {
    }

    private final StatusListPolicy policy;
    private final Clock clock;
    private final Duration clockSkew;
    private final SignatureVerifier signatures;
    private final DefaultResourceRetriever retriever;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public StatusListCheck(StatusListPolicy policy, Clock clock, Duration clockSkew, SignatureVerifier signatures) {
        this.policy = policy;
        this.clock = clock;
        this.clockSkew = clockSkew;
        this.signatures = signatures;
        this.retriever = new DefaultResourceRetriever(policy.connectTimeoutMillis(), policy.readTimeoutMillis(),
                policy.maxTokenBytes());
        this.retriever.setHeaders(Map.of("Accept", List.of(MEDIA_TYPE)));
    }

    /** Checks the token's status; returns normally if it is VALID (or, fail-open, if the list is unreachable). */
    public void check(VerifiedAgentToken token) throws TokenVerificationException {
        Object status = token.claim("status");
        if (status == null) {
            if (policy.requiresStatus()) {
                throw fail(Reason.MISSING_CLAIM, "the status claim is missing");
            }
            return;
        }
        if (!(status instanceof Map) || !(((Map<?, ?>) status).get("status_list") instanceof Map)) {
            throw fail(Reason.INVALID_CLAIM, "the status claim has no status_list object");
        }
        Map<?, ?> ref = (Map<?, ?>) ((Map<?, ?>) status).get("status_list");
        Object idxValue = ref.get("idx");
        Object uriValue = ref.get("uri");
        if (!(idxValue instanceof Number) || !(uriValue instanceof String)) {
            throw fail(Reason.INVALID_CLAIM, "status_list needs an integer idx and a string uri");
        }
        double idxNumber = ((Number) idxValue).doubleValue();
        if (idxNumber < 0 || idxNumber != Math.rint(idxNumber) || idxNumber > Integer.MAX_VALUE) {
            throw fail(Reason.INVALID_CLAIM, "status_list.idx is not a non-negative integer");
        }
        long idx = (long) idxNumber;
        String uri = (String) uriValue;
        requireFetchable(uri, token.issuer());

        StatusList list;
        try {
            list = list(uri, token.issuer());
        } catch (Unreachable e) {
            if (policy.isFailOpen()) {
                return;
            }
            throw e.reason;
        }
        if (idx >= list.size()) {
            throw fail(Reason.INVALID_CLAIM, "status_list.idx " + idx + " is outside the list of " + list.size());
        }
        int value = list.status(idx);
        if (value != StatusList.VALID) {
            throw fail(Reason.REVOKED, "the status list marks the token with status " + value);
        }
    }

    /** The list could not be fetched: an outage, which a fail-open policy tolerates. */
    private static final class Unreachable extends Exception {
        final TokenVerificationException reason;

        Unreachable(TokenVerificationException reason) {
            super(null, null, false, false);
            this.reason = reason;
        }
    }

    private StatusList list(String uri, String issuer) throws TokenVerificationException, Unreachable {
        Instant now = clock.instant();
        Cached cached = fresh(uri, now);
        if (cached == null) {
            synchronized (locks.computeIfAbsent(uri, k -> new Object())) {
                cached = fresh(uri, now);
                if (cached == null) {
                    cached = fetch(uri, issuer, now);
                    evictIfFull(now);
                    cache.put(uri, cached);
                }
            }
        }
        if (cached.failure != null) {
            if (cached.failure.reason() == Reason.KEY_SOURCE_UNAVAILABLE && cached.list == null
                    && cached.failure.getCause() instanceof IOException) {
                throw new Unreachable(cached.failure);
            }
            throw cached.failure;
        }
        return cached.list;
    }

    private Cached fresh(String uri, Instant now) {
        Cached cached = cache.get(uri);
        return cached != null && now.isBefore(cached.until) ? cached : null;
    }

    private void evictIfFull(Instant now) {
        if (cache.size() < policy.maxCachedLists()) {
            return;
        }
        cache.values().removeIf(c -> !now.isBefore(c.until));
        Iterator<String> it = cache.keySet().iterator();
        while (cache.size() >= policy.maxCachedLists() && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    private Cached fetch(String uri, String issuer, Instant now) {
        Instant retry = now.plus(policy.retryAfterFailure());
        String body;
        try {
            Resource resource = retriever.retrieveResource(new URL(uri));
            body = resource.getContent();
        } catch (IOException e) {
            return new Cached(null, retry, new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE,
                    "the status list " + uri + " could not be fetched: " + e.getMessage(), e));
        }
        try {
            return verified(body.trim(), uri, issuer, now);
        } catch (TokenVerificationException e) {
            return new Cached(null, retry, e);
        }
    }

    private Cached verified(String body, String uri, String issuer, Instant now) throws TokenVerificationException {
        StatusListToken token = StatusListToken.validate(body, uri, issuer, signatures, now, clockSkew,
                policy.maxListBytes());
        return new Cached(token.list(), token.cacheUntil(now, policy.defaultCacheTime(), policy.maxCacheTime()), null);
    }

    /** The uri must be https (or http to a loopback literal/localhost) and lie under the token's issuer. */
    private static void requireFetchable(String uri, String issuer) throws TokenVerificationException {
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw fail(Reason.INVALID_CLAIM, "status_list.uri is not a URI");
        }
        String scheme = parsed.getScheme();
        String host = parsed.getHost();
        boolean secure = "https".equalsIgnoreCase(scheme) || ("http".equalsIgnoreCase(scheme) && isLoopback(host));
        String prefix = issuer.endsWith("/") ? issuer : issuer + "/";
        if (!secure || host == null || parsed.getRawUserInfo() != null || parsed.getRawFragment() != null
                || !uri.startsWith(prefix) || uri.contains("/../") || uri.contains("/./")) {
            throw fail(Reason.INVALID_CLAIM, "status_list.uri " + uri + " is not an https URI under the issuer "
                    + issuer);
        }
    }

    private static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static TokenVerificationException fail(Reason reason, String message) {
        return new TokenVerificationException(reason, message);
    }
}
