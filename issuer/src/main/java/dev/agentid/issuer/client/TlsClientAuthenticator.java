package dev.agentid.issuer.client;

import dev.agentid.issuer.binding.ClientCertificates;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.auth.TLSClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientAuthenticationVerifier;
import com.nimbusds.oauth2.sdk.auth.verifier.ClientCredentialsSelector;
import com.nimbusds.oauth2.sdk.auth.verifier.Context;
import com.nimbusds.oauth2.sdk.auth.verifier.InvalidClientException;
import com.nimbusds.oauth2.sdk.auth.verifier.PKIClientX509CertificateBindingVerifier;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import io.vertx.core.Future;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code tls_client_auth} (RFC 8705 section 2.1) with the Nimbus {@link ClientAuthenticationVerifier}: the client
 * certificate of the TLS connection chains to the agent CA and carries the agent's registered
 * {@code tls_client_auth_san_uri}. Only agents that registered a SAN URI may authenticate this way. The agent's
 * record is fetched asynchronously first, so that the synchronous Nimbus binding verifier never blocks.
 */
public final class TlsClientAuthenticator {

    private final AgentRegistry agents;
    private final ClientCertificates certificates;
    private final ClientAuthenticationVerifier<AgentRecord> verifier;

    public TlsClientAuthenticator(AgentRegistry agents, ClientCertificates certificates) {
        this.agents = Objects.requireNonNull(agents);
        this.certificates = Objects.requireNonNull(certificates);
        // the SDK wants an expected audience for JWT assertions; this verifier never accepts one (NoCredentials)
        this.verifier = new ClientAuthenticationVerifier<>(new NoCredentials(), new AgentSanUri(),
                Set.of(new Audience("urn:agentid:tls_client_auth")));
    }

    /** The agent authenticated by its certificate (not yet checked for being active); else invalid_client (M01). */
    public Future<AgentRecord> authenticate(TLSClientAuthentication auth) {
        String agentId = auth.getClientID().getValue();
        return agents.find(agentId).compose(agent -> {
            if (agent == null) {
                return Future.failedFuture(OAuthException.invalidClient(ClientAuthenticator.FAILED, "unknown agent"));
            }
            try {
                Context<AgentRecord> context = new Context<>();
                context.set(agent);
                verifier.verify(auth, null, context);
            } catch (InvalidClientException | JOSEException e) {
                return Future.failedFuture(OAuthException.invalidClient(ClientAuthenticator.FAILED, e.getMessage()));
            }
            return Future.succeededFuture(agent);
        });
    }

    /** The registered SAN URI names the certificate's agent, and the agent CA issued the certificate. */
    private final class AgentSanUri implements PKIClientX509CertificateBindingVerifier<AgentRecord> {
        @Override
        public void verifyCertificateBinding(ClientID clientID, X509Certificate certificate,
                                             Context<AgentRecord> context) throws InvalidClientException {
            AgentRecord agent = context.get();
            if (agent == null || !agent.agentId().equals(clientID.getValue())) {
                throw InvalidClientException.BAD_ID;
            }
            if (agent.tlsClientAuthSanUri() == null) {
                throw new InvalidClientException("agent did not register tls_client_auth_san_uri");
            }
            if (!certificates.identifies(certificate, agent)) {
                throw new InvalidClientException("client certificate is not the agent's or not from the agent CA");
            }
        }
    }

    /** tls_client_auth only: no secrets, no assertion keys. */
    private static final class NoCredentials implements ClientCredentialsSelector<AgentRecord> {
        @Override
        public List<Secret> selectClientSecrets(ClientID clientID, ClientAuthenticationMethod method,
                                                Context<AgentRecord> context) throws InvalidClientException {
            throw InvalidClientException.NOT_REGISTERED_FOR_AUTH_METHOD;
        }

        @Override
        public List<? extends PublicKey> selectPublicKeys(ClientID clientID, ClientAuthenticationMethod method,
                                                          JWSHeader header, boolean forceRefresh,
                                                          Context<AgentRecord> context)
                throws InvalidClientException {
            throw InvalidClientException.NOT_REGISTERED_FOR_AUTH_METHOD;
        }
    }
}
