package dev.agentid.issuer.client;

import dev.agentid.verifier.Jose;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
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
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * {@code private_key_jwt} client authentication (RFC 7523 section 2.2 and 3, spec section 6.2) of agents. The Nimbus
 * SDK has parsed the request ({@link PrivateKeyJWT}: assertion type, {@code client_id} = {@code iss}); here, in this
 * order, each failure {@code invalid_client} "client authentication failed" (T09) with the reason only logged:
 * the agent is registered; the header is ES256 and one of the agent's registered keys ({@code kid}) verifies the
 * signature (BouncyCastle); {@code iss} = {@code sub} = the agent id; {@code aud} is the issuer identifier as its
 * one value (draft-ietf-oauth-rfc7523bis: no array with other members, no endpoint URL); {@code exp} is present,
 * not passed and at most {@link #MAX_ASSERTION_LIFETIME} ahead; {@code nbf} and {@code iat} are not in the future
 * beyond the clock skew; a {@code jti} is present. Then the {@code jti} is single use until {@code exp}, in the
 * cluster-wide replay cache (T10). The agent's record is fetched asynchronously first; nothing here blocks.
 */
public final class PrivateKeyJwtAuthenticator {

    private static final Logger LOG = Logger.getLogger(PrivateKeyJwtAuthenticator.class.getName());
    /** A client assertion may not claim to live longer than this. */
    static final Duration MAX_ASSERTION_LIFETIME = Duration.ofSeconds(300);

    private final AgentRegistry agents;
    private final ReplayStore replay;
    private final Clock clock;
    private final Duration skew;
    private final String issuer;

    /**
     * @param issuer the issuer identifier: the one accepted {@code aud}
     * @param skew how far a client's clock may be off ({@code exp}, {@code nbf}, {@code iat})
     */
    public PrivateKeyJwtAuthenticator(AgentRegistry agents, ReplayStore replay, Clock clock, Duration skew,
                                      String issuer) {
        this.agents = Objects.requireNonNull(agents);
        this.replay = Objects.requireNonNull(replay);
        this.clock = Objects.requireNonNull(clock);
        this.skew = Objects.requireNonNull(skew);
        this.issuer = Objects.requireNonNull(issuer);
    }

    /** The agent behind a client assertion (not yet checked for being active). */
    public Future<AgentRecord> authenticate(PrivateKeyJWT auth) {
        String agentId = auth.getClientID().getValue();
        return agents.find(agentId).compose(agent -> {
            String refused = agent == null ? "unknown agent" : refusal(auth.getClientAssertion(), agent);
            if (refused != null) {
                LOG.fine(() -> "client assertion of '" + agentId + "' refused: " + refused);
                return Future.failedFuture(OAuthException.invalidClient(ClientAuthenticator.FAILED, refused));
            }
            JWTClaimsSet claims = claims(auth.getClientAssertion());
            return replay.firstUse("client_assertion:" + agentId + ":" + claims.getJWTID(),
                    claims.getExpirationTime().toInstant()).compose(first -> first
                    ? Future.succeededFuture(agent)
                    : Future.failedFuture(OAuthException.invalidClient("client assertion has already been used")));
        });
    }

    /** Why the assertion does not authenticate {@code agent}, or null when it does (all but single use). */
    String refusal(SignedJWT assertion, AgentRecord agent) {
        if (!signedByAgent(assertion, agent)) {
            return "the client assertion is not signed with a registered ES256 key of the agent";
        }
        JWTClaimsSet claims = claims(assertion);
        if (claims == null) {
            return "the client assertion claims are not a JWT claims set";
        }
        if (!agent.agentId().equals(claims.getIssuer()) || !agent.agentId().equals(claims.getSubject())) {
            return "the client assertion iss and sub must both be the agent id";
        }
        List<String> aud = claims.getAudience();
        if (aud.size() != 1 || !issuer.equals(aud.get(0))) {
            return "the client assertion aud must be " + issuer + " alone, not " + aud;
        }
        return timeRefusal(claims, clock.instant());
    }

    private String timeRefusal(JWTClaimsSet claims, Instant now) {
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return "the client assertion has no exp";
        }
        if (exp.toInstant().plus(skew).isBefore(now)) {
            return "the client assertion has expired";
        }
        if (exp.toInstant().isAfter(now.plus(MAX_ASSERTION_LIFETIME).plus(skew))) {
            return "the client assertion lives longer than " + MAX_ASSERTION_LIFETIME.toSeconds() + " s";
        }
        if (claims.getNotBeforeTime() != null && Jose.inFuture(claims.getNotBeforeTime().toInstant(), now, skew)) {
            return "the client assertion is not yet valid (nbf)";
        }
        if (claims.getIssueTime() != null && Jose.inFuture(claims.getIssueTime().toInstant(), now, skew)) {
            return "the client assertion was issued in the future (iat)";
        }
        if (claims.getJWTID() == null || claims.getJWTID().isEmpty()) {
            return "the client assertion has no jti";
        }
        return null;
    }

    /** ES256 by one of the agent's registered EC keys (the one its kid names, when it names one). */
    private static boolean signedByAgent(SignedJWT assertion, AgentRecord agent) {
        JWSHeader header = assertion.getHeader();
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
            return false;
        }
        for (JWK jwk : agent.jwks().getKeys()) {
            if (jwk instanceof ECKey && (header.getKeyID() == null || header.getKeyID().equals(jwk.getKeyID()))
                    && JcaKeys.publicKey(jwk) instanceof ECPublicKey
                    && Jose.verifies(assertion, JcaKeys.publicKey(jwk))) {
                return true;
            }
        }
        return false;
    }


    private static JWTClaimsSet claims(SignedJWT assertion) {
        try {
            return assertion.getJWTClaimsSet();
        } catch (ParseException e) {
            return null;
        }
    }
}
