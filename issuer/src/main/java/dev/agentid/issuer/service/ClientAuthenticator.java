package dev.agentid.issuer.service;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.auth.JWTAuthenticationClaimsSet;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientAuthenticationVerifier;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientCredentialsSelector;
import com.nimbusds.oauth2.sdk.auth.verifier.Context;
import com.nimbusds.oauth2.sdk.auth.verifier.InvalidClientException;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import dev.agentid.issuer.OAuthException;
import dev.agentid.issuer.store.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.AgentStatus;
import dev.agentid.issuer.store.ReplayCache;
import dev.agentid.verifier.JcaKeys;
import io.vertx.core.Future;

import java.lang.reflect.Field;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * private_key_jwt client authentication (RFC 7523) of agents with the Nimbus
 * {@link ClientAuthenticationVerifier}: iss = sub = agent id, aud = the issuer (or an endpoint URL),
 * a short exp and a single-use jti, kept in the replay cache. The agent's record is fetched
 * asynchronously first so that the synchronous Nimbus selector never blocks.
 */
public final class ClientAuthenticator {

    private static final Logger LOG = Logger.getLogger(ClientAuthenticator.class.getName());
    /** A client assertion may not claim to live longer than this. */
    static final long MAX_ASSERTION_LIFETIME_SECONDS = 300;

    private final AgentRegistry agents;
    private final ReplayCache replay;
    private final Clock clock;
    private final ClientAuthenticationVerifier<AgentRecord> verifier;

    public ClientAuthenticator(AgentRegistry agents, ReplayCache replay, Clock clock, Set<Audience> acceptedAudiences) {
        this.agents = agents;
        this.replay = replay;
        this.clock = clock;
        this.verifier = useBouncyCastle(new ClientAuthenticationVerifier<>(new AgentKeys(), null, acceptedAudiences,
                null, MAX_ASSERTION_LIFETIME_SECONDS));
    }

    /**
     * The Nimbus verifier builds its verifiers with a private {@link DefaultJWSVerifierFactory} on the
     * JDK's EC code, which is several times slower than BouncyCastle on Java 17. Its JCA context is set
     * once here; if a future SDK version moves the field, verification still works on the JDK provider.
     */
    private static <T> ClientAuthenticationVerifier<T> useBouncyCastle(ClientAuthenticationVerifier<T> v) {
        try {
            Field field = ClientAuthenticationVerifier.class.getDeclaredField("jwsVerifierFactory");
            field.setAccessible(true);
            Object factory = field.get(v);
            if (factory instanceof DefaultJWSVerifierFactory) {
                ((DefaultJWSVerifierFactory) factory).getJCAContext()
                        .setProvider(BouncyCastleProviderSingleton.getInstance());
                return v;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // fall through
        }
        LOG.warning("client assertions are verified with the JDK's EC provider (BouncyCastle not applied)");
        return v;
    }

    /** Authenticates the agent behind a client assertion; fails with the exact invalid_client refusal. */
    public Future<AgentRecord> authenticate(ClientAuthentication auth) {
        if (auth == null) {
            return Future.failedFuture(
                    OAuthException.invalidClient("client authentication is required: use private_key_jwt"));
        }
        if (!(auth instanceof PrivateKeyJWT)) {
            return Future.failedFuture(
                    OAuthException.invalidClient("only private_key_jwt client authentication is supported"));
        }
        PrivateKeyJWT jwt = (PrivateKeyJWT) auth;
        String agentId = jwt.getClientID().getValue();
        return agents.find(agentId).compose(agent -> {
            if (agent == null) {
                return Future.failedFuture(OAuthException.invalidClient("client authentication failed",
                        "unknown agent"));
            }
            try {
                Context<AgentRecord> context = new Context<>();
                context.set(agent);
                verifier.verify(jwt, null, context);
            } catch (InvalidClientException | JOSEException e) {
                return Future.failedFuture(OAuthException.invalidClient("client authentication failed",
                        e.getMessage()));
            }
            JWTAuthenticationClaimsSet claims = jwt.getJWTAuthenticationClaimsSet();
            if (claims.getJWTID() == null || claims.getJWTID().getValue().isEmpty()) {
                return Future.failedFuture(OAuthException.invalidClient("client authentication failed",
                        "client assertion has no jti"));
            }
            String jti = claims.getJWTID().getValue();
            Instant expiresAt = claims.getExpirationTime().toInstant();
            return replay.firstUse("client_assertion:" + agentId + ":" + jti, expiresAt).compose(first -> {
                if (!first) {
                    return Future.failedFuture(
                            OAuthException.invalidClient("client assertion has already been used"));
                }
                if (agent.status() != AgentStatus.ACTIVE) {
                    return Future.failedFuture(
                            OAuthException.invalidClient("agent '" + agentId + "' is disabled"));
                }
                return Future.succeededFuture(agent);
            });
        });
    }

    /** Selects the registered agent's ES256 keys matching the assertion header. */
    private static final class AgentKeys implements ClientCredentialsSelector<AgentRecord> {

        @Override
        public List<Secret> selectClientSecrets(ClientID clientID, ClientAuthenticationMethod method,
                                                Context<AgentRecord> context) throws InvalidClientException {
            throw new InvalidClientException("client secrets are not supported");
        }

        @Override
        public List<? extends PublicKey> selectPublicKeys(ClientID clientID, ClientAuthenticationMethod method,
                                                          JWSHeader header, boolean forceRefresh,
                                                          Context<AgentRecord> context)
                throws InvalidClientException {
            AgentRecord agent = context.get();
            if (agent == null || !agent.agentId().equals(clientID.getValue())
                    || !ClientAuthenticationMethod.PRIVATE_KEY_JWT.equals(method)
                    || !JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
                throw InvalidClientException.BAD_ID;
            }
            List<PublicKey> keys = new ArrayList<>(2);
            for (JWK jwk : agent.jwks().getKeys()) {
                if (jwk instanceof ECKey && (header.getKeyID() == null || header.getKeyID().equals(jwk.getKeyID()))) {
                    PublicKey key = JcaKeys.publicKey(jwk);   // converted once, a BouncyCastle key
                    if (key != null) {
                        keys.add(key);
                    }
                }
            }
            return keys;
        }
    }
}
