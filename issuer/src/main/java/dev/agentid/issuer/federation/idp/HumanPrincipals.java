package dev.agentid.issuer.federation.idp;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.idp.HumanTokenException.Reason;
import dev.agentid.issuer.domain.AgentRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Human principals: a delegation chain may start from a human's token issued by a trusted OpenID Provider
 * (the {@code identity_providers} of the trust file). The human becomes {@code sub} (as
 * {@code <idp issuer>#<idp sub>}) and the exchanging agent the first actor, if the agent's registration lists
 * the human in {@code acts_for.users} or shares a group with her ({@code acts_for.groups}, through the IdP's
 * groups claim).
 *
 * <p>{@link #update} (re)loads the providers: OpenID Connect discovery of each, blocking, so the trust file loader
 * calls it off the event loop. An IdP whose discovery fails stays configured but unavailable (its tokens are
 * refused with H11) and is discovered again by {@link #retryUnavailable()} on every {@link #watch} tick. Verifiers
 * of providers whose configuration did not change are kept (with their cached keys).
 */
public final class HumanPrincipals implements dev.agentid.issuer.federation.HumanProofs {

    public static final String ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

    private static final Logger LOG = Logger.getLogger(HumanPrincipals.class.getName());

    private final Clock clock;
    private final Duration skew;
    /** Issuer to its verifier, or to null while its discovery has not succeeded. Replaced whole. */
    private volatile Map<String, Entry> providers = Map.of();
    /** The trust file entries last applied or refused. */
    private List<JsonObject> seen = List.of();

    private record Entry(IdentityProvider idp, IdentityProviderVerifier verifier) {
    }

    private final dev.agentid.issuer.federation.OutboundFetcher fetcher;
    private final java.util.concurrent.atomic.AtomicBoolean polling = new java.util.concurrent.atomic.AtomicBoolean();

    public HumanPrincipals(dev.agentid.issuer.federation.OutboundFetcher fetcher, Clock clock, Duration skew) {
        this.fetcher = fetcher;
        this.clock = clock;
        this.skew = skew;
    }

    /**
     * (Re)loads from the trust file's {@code identity_providers} entries. Blocking: call off the event loop.
     *
     * @throws IllegalArgumentException for an invalid entry (at startup the issuer does not start)
     */
    public synchronized void update(List<JsonObject> identityProviders) {
        List<IdentityProvider> parsed = IdentityProvider.parseAll(identityProviders);
        seen = List.copyOf(identityProviders);
        updateProviders(parsed);
    }

    /** (Re)loads these providers. Blocking (discovery): call off the event loop. */
    public synchronized void updateProviders(List<IdentityProvider> next) {
        Map<String, Entry> old = providers;
        Map<String, Entry> built = new LinkedHashMap<>();
        for (IdentityProvider idp : next) {
            Entry previous = old.get(idp.issuer());
            if (previous != null && previous.idp().equals(idp) && previous.verifier() != null) {
                built.put(idp.issuer(), previous);
            } else {
                built.put(idp.issuer(), new Entry(idp, discover(idp)));
            }
        }
        providers = Map.copyOf(built);
        for (Entry e : old.values()) {
            if (e.verifier() != null && built.get(e.idp().issuer()) != e) {
                e.verifier().close();
            }
        }
    }

    /** Discovers again every provider whose discovery failed. Blocking. */
    public synchronized void retryUnavailable() {
        Map<String, Entry> current = providers;
        if (current.values().stream().allMatch(e -> e.verifier() != null)) {
            return;
        }
        Map<String, Entry> next = new LinkedHashMap<>(current);
        current.forEach((issuer, e) -> {
            if (e.verifier() == null) {
                next.put(issuer, new Entry(e.idp(), discover(e.idp())));
            }
        });
        providers = Map.copyOf(next);
    }

    /**
     * Follows the trust file: every {@code interval}, on a worker thread, applies {@code source}'s entries when they
     * changed ({@link #sync}) and retries failed discoveries. Stops with the Vert.x instance.
     */
    public void watch(Vertx vertx, Duration interval, Supplier<List<JsonObject>> source) {
        // one poll at a time: an IdP that hangs holds at most one worker thread, for at most the fetch deadline
        // (discovery goes through the bounded OutboundFetcher), instead of one more waiting thread per tick
        vertx.setPeriodic(interval.toMillis(), id -> {
            if (!polling.compareAndSet(false, true)) {
                return;
            }
            vertx.executeBlocking(() -> {
                sync(source.get());
                return null;
            }, false).onComplete(r -> polling.set(false))
                    .onFailure(e -> LOG.warning("identity providers not refreshed: " + e.getMessage()));
        });
    }

    /**
     * Applies the trust file's {@code identity_providers} entries if they differ from the last ones seen; a bad
     * entry is logged once and the providers in force are kept. Otherwise retries failed discoveries. Blocking.
     */
    public synchronized void sync(List<JsonObject> entries) {
        if (entries.equals(seen)) {
            retryUnavailable();
            return;
        }
        seen = List.copyOf(entries);
        try {
            update(entries);
            LOG.info("identity providers: " + issuers());
        } catch (IllegalArgumentException e) {
            LOG.warning("identity_providers not reloaded (keeping " + issuers() + "): " + e.getMessage());
        }
    }

    private IdentityProviderVerifier discover(IdentityProvider idp) {
        try {
            IdentityProviderVerifier verifier = IdentityProviderVerifier.discover(idp, fetcher, clock, skew);
            LOG.info("identity provider " + idp.issuer() + ": id_token algorithms " + verifier.idTokenAlgorithms());
            return verifier;
        } catch (IOException | RuntimeException e) {
            LOG.warning("identity provider " + idp.issuer() + " is unavailable: discovery failed: " + e.getMessage());
            return null;
        }
    }

    /**
     * The discovery document of a configured provider whose discovery succeeded, else null: the web console's
     * sign-in takes the authorization and token endpoints from it.
     */
    public com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata metadata(String issuer) {
        Entry entry = providers.get(issuer);
        return entry == null || entry.verifier() == null ? null : entry.verifier().metadata();
    }

    /** Whether the provider is configured and its discovery has succeeded. */
    public boolean available(String issuer) {
        Entry entry = providers.get(issuer);
        return entry != null && entry.verifier() != null;
    }

    /** The configured identity providers' issuers. */
    public List<String> issuers() {
        return List.copyOf(providers.keySet());
    }

    /**
     * Whether the token claims (unverified) to come from a configured identity provider: the token endpoint
     * sends an access_token/jwt subject token to the human path when it does.
     */
    public boolean issuedByIdentityProvider(String token) {
        if (providers.isEmpty()) {
            return false;
        }
        try {
            String iss = SignedJWT.parse(token).getJWTClaimsSet().getIssuer();
            return iss != null && providers.containsKey(iss);
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    /** Verifies a human's token. Blocking on a key-cache miss: see {@link #verifyOffLoop}. */
    public HumanToken verify(String token, HumanToken.Kind kind) throws HumanTokenException {
        Signed signed = signed(token);
        return signed.verifier().verify(signed.jwt(), kind);
    }

    /**
     * Verifies a Security Event Token pushed by a trusted IdP ({@link IdentityProviderVerifier#verifySecurityEvent}),
     * at most {@code maxAge} old. Blocking on a key-cache miss: call it on a worker.
     */
    public SecurityEventToken verifySecurityEvent(String set, Duration maxAge) throws HumanTokenException {
        Signed signed = signed(set);
        return signed.verifier().verifySecurityEvent(signed.jwt(), maxAge);
    }

    /** A parsed JWT and the verifier of the trusted IdP its {@code iss} names. */
    private record Signed(SignedJWT jwt, IdentityProviderVerifier verifier) {
    }

    private Signed signed(String token) throws HumanTokenException {
        SignedJWT jwt;
        String iss;
        try {
            jwt = SignedJWT.parse(token);
            iss = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            throw new HumanTokenException(Reason.MALFORMED, null, "not a signed JWT");
        }
        Entry entry = iss == null ? null : providers.get(iss);
        if (entry == null) {
            throw new HumanTokenException(Reason.UNTRUSTED_ISSUER, iss, "not a trusted identity provider");
        }
        if (entry.verifier() == null) {
            throw new HumanTokenException(Reason.UNAVAILABLE, iss, "discovery has not succeeded");
        }
        return new Signed(jwt, entry.verifier());
    }

    /**
     * Verifies the id_token that proves IdP {@code idp} authenticated a human (a chain grant's {@code sub_proof}):
     * signed by {@code idp} (its {@code iss} must be exactly it), an id_token, {@code aud} containing one of
     * {@code audiences}, unexpired and at most {@code maxAge} old. Blocking on a key-cache miss.
     */
    public HumanToken verifyProof(String token, String idp, java.util.Set<String> audiences, Duration maxAge)
            throws HumanTokenException {
        SignedJWT jwt;
        String iss;
        try {
            jwt = SignedJWT.parse(token);
            iss = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            throw new HumanTokenException(Reason.MALFORMED, idp, "not a signed JWT");
        }
        if (!idp.equals(iss)) {
            throw new HumanTokenException(Reason.UNTRUSTED_ISSUER, idp, "iss " + iss + " is not " + idp);
        }
        Entry entry = providers.get(idp);
        if (entry == null || entry.verifier() == null) {
            throw new HumanTokenException(Reason.UNAVAILABLE, idp, "not configured, or discovery has not succeeded");
        }
        return entry.verifier().verifyProof(jwt, audiences, maxAge);
    }

    /** {@link #verifyProof}, its refusals grouped as the federation's rows (F34–F37). */
    @Override
    public Proven verify(String proof, String idp, java.util.Set<String> audiences, Duration maxAge)
            throws ProofException {
        try {
            HumanToken human = verifyProof(proof, idp, audiences, maxAge);
            return new Proven(human.principal(), human.expiresAt());
        } catch (HumanTokenException e) {
            ProofException.Kind kind;
            switch (e.reason()) {
                case WRONG_AUDIENCE:
                    kind = ProofException.Kind.WRONG_AUDIENCE;
                    break;
                case EXPIRED:
                    kind = ProofException.Kind.STALE;
                    break;
                case UNAVAILABLE:
                    kind = ProofException.Kind.UNAVAILABLE;
                    break;
                default:
                    kind = ProofException.Kind.INVALID;
            }
            throw new ProofException(kind, e.reason() + ": " + e.getMessage());
        }
    }

    /**
     * {@link #verify(String, HumanToken.Kind)} on the caller's Vert.x worker pool (the IdP's keys may have to be fetched), every refusal
     * already the table's {@link OAuthException}.
     */
    public Future<HumanToken> verifyOffLoop(String token, HumanToken.Kind kind) {
        Context context = Vertx.currentContext();
        if (context == null) {
            try {
                return Future.succeededFuture(verify(token, kind));
            } catch (HumanTokenException e) {
                return Future.failedFuture(refusal(e));
            }
        }
        return context.executeBlocking(() -> {
            try {
                return verify(token, kind);
            } catch (HumanTokenException e) {
                throw refusal(e);
            }
        }, false);
    }

    /** The refusal rows H02–H11 (spec/refusals/token-endpoint.json). */
    public static OAuthException refusal(HumanTokenException e) {
        String detail = "human subject_token refused (" + e.reason() + "): " + e.getMessage();
        switch (e.reason()) {
            case MALFORMED:
                return new OAuthException("invalid_request", 400, "subject_token is malformed", detail);
            case UNTRUSTED_ISSUER:
                return new OAuthException("invalid_request", 400,
                        "subject_token was not issued by a trusted identity provider", detail);
            case BAD_SIGNATURE:
                return new OAuthException("invalid_request", 400, "subject_token signature is invalid", detail);
            case WRONG_TYPE:
                return new OAuthException("invalid_request", 400, e.getMessage().startsWith("id_token")
                        ? "subject_token is not an id_token: its typ must be absent or JWT"
                        : "subject_token is not an at+jwt access token", detail);
            case WRONG_AUDIENCE:
                return new OAuthException("invalid_request", 400, "subject_token is not intended for this issuer",
                        detail);
            case EXPIRED:
                return new OAuthException("invalid_request", 400, "subject_token has expired", detail);
            case NOT_YET_VALID:
                return new OAuthException("invalid_request", 400, "subject_token is not yet valid", detail);
            case INVALID_CLAIMS:
                return new OAuthException("invalid_request", 400, "subject_token has invalid claims", detail);
            case UNAVAILABLE:
                return new OAuthException("temporarily_unavailable", 503,
                        "identity provider '" + e.issuer() + "' is unavailable", detail);
            default:
                throw new IllegalStateException(e.reason().name());
        }
    }

    /**
     * H01: the client must list the human in {@code acts_for.users}, or share one of her groups in
     * {@code acts_for.groups}.
     */
    public static void requireMayActFor(AgentRecord client, HumanToken human) {
        if (client.actsForUsers().contains(human.principal())) {
            return;
        }
        for (String group : human.groups()) {
            if (client.actsForGroups().contains(group)) {
                return;
            }
        }
        throw OAuthException.invalidRequest("agent '" + client.agentId() + "' may not act for user '"
                + human.principal() + "'");
    }
}
