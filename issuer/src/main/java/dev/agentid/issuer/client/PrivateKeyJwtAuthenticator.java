package dev.agentid.issuer.client;

import dev.agentid.verifier.Jose;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.ReplayStore;
import dev.agentid.verifier.JcaKeys;
import io.vertx.core.Future;

import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code private_key_jwt} client authentication (RFC 7523 section 2.2 and 3, spec section 6.2) of agents. The Nimbus
 * SDK has parsed the request ({@link PrivateKeyJWT}: assertion type, {@code client_id} = {@code iss}); what it cannot
 * parse is described by {@link #unparsable}. Here, in this order, each failure {@code invalid_client} 401 with its own
 * {@code error_description} (RFC 7521 section 4.2.1 allows the reason) and its refusal-table row:
 * the header is ES256 (T24); {@code iss} = {@code sub} = the {@code client_id} (T22); {@code aud} is the issuer
 * identifier as its one value (T19: draft-ietf-oauth-rfc7523bis, no array with other members, no endpoint URL);
 * {@code exp} and {@code jti} are present (T23); {@code exp} is not passed (T15) and at most the configured maximum
 * lifetime ahead (T18); {@code nbf} (T16) and {@code iat} (T17) are not in the future beyond the clock skew; and
 * last, one of the agent's registered keys verifies the signature: the key its {@code kid} names (T20) or, without a
 * {@code kid}, any of them (T09). Then the {@code jti} is single use (T10) in the cluster-wide replay cache.
 *
 * <p>No answer says whether an agent exists (T21): every check before the signature reads only the assertion, so it
 * is answered the same for every {@code client_id}; an unknown {@code client_id} is answered exactly as a registered
 * agent whose key does not verify the assertion (T20 with a {@code kid}, T09 without). Only the log, at INFO, names
 * T21. The agent's record is fetched asynchronously; nothing here blocks.
 */
public final class PrivateKeyJwtAuthenticator {

    /** The default of {@code ISSUER_MAX_ASSERTION_LIFETIME_SECONDS}: a client assertion may not live longer. */
    public static final Duration DEFAULT_MAX_ASSERTION_LIFETIME = Duration.ofSeconds(300);
    /** The only {@code client_assertion_type} (RFC 7523 section 2.2). */
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private final AgentRegistry agents;
    private final ReplayStore replay;
    private final Clock clock;
    private final Duration skew;
    private final String issuer;
    private final Duration maxLifetime;
    private final KeyAgePolicy keyAges;

    public PrivateKeyJwtAuthenticator(AgentRegistry agents, ReplayStore replay, Clock clock, Duration skew,
                                      String issuer) {
        this(agents, replay, clock, skew, issuer, DEFAULT_MAX_ASSERTION_LIFETIME);
    }

    /**
     * @param issuer the issuer identifier: the one accepted {@code aud}
     * @param skew how far a client's clock may be off ({@code exp}, {@code nbf}, {@code iat})
     * @param maxLifetime how far after its arrival an assertion's {@code exp} may be (plus the skew)
     */
    public PrivateKeyJwtAuthenticator(AgentRegistry agents, ReplayStore replay, Clock clock, Duration skew,
                                      String issuer, Duration maxLifetime) {
        this(agents, replay, clock, skew, issuer, maxLifetime, KeyAgePolicy.NONE);
    }

    /** @param keyAges which registered keys are too old to authenticate with (T26) */
    public PrivateKeyJwtAuthenticator(AgentRegistry agents, ReplayStore replay, Clock clock, Duration skew,
                                      String issuer, Duration maxLifetime, KeyAgePolicy keyAges) {
        this.agents = Objects.requireNonNull(agents);
        this.replay = Objects.requireNonNull(replay);
        this.clock = Objects.requireNonNull(clock);
        this.skew = Objects.requireNonNull(skew);
        this.issuer = Objects.requireNonNull(issuer);
        this.maxLifetime = Objects.requireNonNull(maxLifetime);
        this.keyAges = Objects.requireNonNull(keyAges);
    }

    /** A refusal: its row, public description and private detail. */
    record Refusal(String row, String description, String detail) {
        OAuthException exception(String clientId) {
            return OAuthException.invalidClient(row, clientId, description, detail);
        }
    }

    /** The agent behind a client assertion (not yet checked for being active). */
    public Future<AgentRecord> authenticate(PrivateKeyJWT auth) {
        String agentId = auth.getClientID().getValue();
        SignedJWT assertion = auth.getClientAssertion();
        Refusal early = assertionRefusal(assertion, agentId);
        if (early != null) {
            return Future.failedFuture(early.exception(agentId));
        }
        return agents.find(agentId).compose(agent -> {
            Refusal refused = agent == null ? unknownClient(assertion, agentId) : keyRefusal(assertion, agent);
            if (refused != null) {
                return Future.failedFuture(refused.exception(agentId));
            }
            JWTClaimsSet claims = claims(assertion);
            // remembered for as long as the assertion is accepted: until exp plus the clock skew (and the store's
            // own grace); exp itself is at most the maximum lifetime (plus skew) ahead, so the mark outlives it
            return replay.firstUse("client_assertion:" + agentId + ":" + claims.getJWTID(),
                    claims.getExpirationTime().toInstant().plus(skew)).compose(first -> first
                    ? Future.succeededFuture(agent)
                    : Future.failedFuture(OAuthException.invalidClient("T10", agentId,
                    "client assertion has already been used", null)));
        });
    }

    /** The checks that read the assertion alone (T24, T22, T19, T23, T15–T18): the same for every client_id. */
    Refusal assertionRefusal(SignedJWT assertion, String clientId) {
        if (!JWSAlgorithm.ES256.equals(assertion.getHeader().getAlgorithm())) {
            return new Refusal("T24", "the client assertion must be signed with ES256", null);
        }
        JWTClaimsSet claims = claims(assertion);
        if (claims == null) {
            return new Refusal("T23", MALFORMED, "claims are not a JSON object");
        }
        return claimsRefusal(claims, clientId);
    }

    static final String IDENTITY = "the client assertion iss and sub must both be the agent id of the client";
    static final String MALFORMED = "client_assertion is not a signed JWT (JWS compact serialization)";

    private Refusal claimsRefusal(JWTClaimsSet claims, String clientId) {
        if (claims.getIssuer() == null || claims.getSubject() == null || !claims.getIssuer().equals(clientId)
                || !claims.getSubject().equals(clientId)) {
            return new Refusal("T22", IDENTITY, null);
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.size() != 1 || !issuer.equals(aud.get(0))) {
            return new Refusal("T19", "the client assertion aud must be the issuer identifier '" + issuer
                    + "' as a single string", "aud was " + aud);
        }
        if (claims.getExpirationTime() == null) {
            return new Refusal("T23", "the client assertion has no exp", null);
        }
        if (claims.getJWTID() == null || claims.getJWTID().isEmpty()) {
            return new Refusal("T23", "the client assertion has no jti", null);
        }
        return timeRefusal(claims, clock.instant());
    }

    private Refusal timeRefusal(JWTClaimsSet claims, Instant now) {
        Instant exp = claims.getExpirationTime().toInstant();
        if (exp.plus(skew).isBefore(now)) {
            return new Refusal("T15", "the client assertion has expired", "exp " + exp + ", now " + now);
        }
        if (exp.isAfter(now.plus(maxLifetime).plus(skew))) {
            return new Refusal("T18", "the client assertion lives too long: exp may be at most "
                    + maxLifetime.toSeconds() + " s after the issuer receives it", "exp " + exp + ", now " + now);
        }
        if (claims.getNotBeforeTime() != null && Jose.inFuture(claims.getNotBeforeTime().toInstant(), now, skew)) {
            return new Refusal("T16", "the client assertion is not yet valid (nbf is in the future)", null);
        }
        if (claims.getIssueTime() != null && Jose.inFuture(claims.getIssueTime().toInstant(), now, skew)) {
            return new Refusal("T17", "the client assertion was issued in the future (iat)", null);
        }
        return null;
    }

    /**
     * T20 or T09: the kid names none of the agent's keys, or none of its keys verifies the signature; T26: the key
     * that verifies it is older than the key-age policy allows.
     */
    private Refusal keyRefusal(SignedJWT assertion, AgentRecord agent) {
        String kid = assertion.getHeader().getKeyID();
        boolean named = false;
        for (JWK jwk : agent.jwks().getKeys()) {
            if (jwk instanceof ECKey && (kid == null || kid.equals(jwk.getKeyID()))) {
                named = true;
                if (JcaKeys.publicKey(jwk) instanceof ECPublicKey
                        && Jose.verifies(assertion, JcaKeys.publicKey(jwk))) {
                    return keyAges.refuses(agent.agentId(), jwk.getKeyID()) ? tooOld(agent.agentId(), jwk.getKeyID())
                            : null;
                }
            }
        }
        return named || kid == null ? badSignature(agent.agentId(), null) : unknownKid(agent.agentId(), null);
    }

    /** T26: a registered key, but older than ISSUER_KEY_REFUSE_AFTER_DAYS: the agent must rotate it. */
    private static Refusal tooOld(String clientId, String kid) {
        return new Refusal("T26", "the key '" + (kid == null ? "(no kid)" : kid) + "' of client '" + clientId
                + "' is older than the key-age policy allows: register a new key", null);
    }

    /** T21: told apart from T20 and T09 in the log only. */
    private static Refusal unknownClient(SignedJWT assertion, String clientId) {
        Refusal answer = assertion.getHeader().getKeyID() == null ? badSignature(clientId, "unknown client")
                : unknownKid(clientId, "unknown client");
        return new Refusal("T21", answer.description(), answer.detail());
    }

    private static Refusal badSignature(String clientId, String detail) {
        return new Refusal("T09", "the client assertion signature does not verify with a registered key of client '"
                + clientId + "'", detail);
    }

    private static Refusal unknownKid(String clientId, String detail) {
        return new Refusal("T20", "the client assertion kid names no registered key of client '" + clientId + "'",
                detail);
    }

    /**
     * The refusal of a client assertion that the Nimbus SDK could not parse (T25, T23, T22, T19, T24), described
     * from the raw form parameters in the order of {@link #authenticate}; null when the parameters hold no
     * {@code client_assertion} or {@code client_assertion_type} (another method, or none).
     */
    public OAuthException unparsable(Map<String, List<String>> params, String parseMessage) {
        String type = first(params, "client_assertion_type");
        String raw = first(params, "client_assertion");
        String clientId = first(params, "client_id");
        if (type == null && raw == null) {
            return null;
        }
        if (type == null || !type.equals(JWT_BEARER)) {
            // RFC 6749 section 5.2: an unsupported authentication method is invalid_client
            return OAuthException.invalidClient("T25", clientId, "client_assertion_type must be " + JWT_BEARER,
                    parseMessage);
        }
        SignedJWT assertion;
        try {
            assertion = raw == null ? null : SignedJWT.parse(raw);
        } catch (ParseException e) {
            assertion = null;
        }
        JWTClaimsSet claims = assertion == null ? null : claims(assertion);
        if (claims == null) {
            return OAuthException.invalidClient("T23", clientId, MALFORMED, parseMessage);
        }
        String named = clientId != null ? clientId : claims.getIssuer();
        Refusal r = assertionRefusal(assertion, named == null ? "" : named);
        if (r == null && clientId != null && !clientId.equals(claims.getIssuer())) {
            r = new Refusal("T22", IDENTITY, null);
        }
        return r != null ? r.exception(named) : OAuthException.invalidClient("T23", named, MALFORMED, parseMessage);
    }

    private static String first(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static JWTClaimsSet claims(SignedJWT assertion) {
        try {
            return assertion.getJWTClaimsSet();
        } catch (ParseException e) {
            return null;
        }
    }
}
