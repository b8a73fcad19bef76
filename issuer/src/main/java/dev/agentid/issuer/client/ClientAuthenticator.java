package dev.agentid.issuer.client;

import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.TLSClientAuthentication;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.domain.AgentRecord;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * The one client-authentication stage of the token, introspection and revocation endpoints. In order:
 * <ol>
 *   <li>the method: {@code private_key_jwt} ({@link PrivateKeyJwtAuthenticator}, T07–T11), {@code tls_client_auth}
 *       ({@link TlsClientAuthenticator}, M01), or at introspection and revocation the admin bearer token; any other
 *       method is refused (T08);</li>
 *   <li>attestation-based client authentication ({@link ClientAttestationVerifier}, A01–A08): the agent's client
 *       attestation and its proof of possession, required when the agent's registration says so.</li>
 * </ol>
 * The result is one {@link AuthenticatedClient}; every failure is the exact {@code invalid_client} (or
 * {@code invalid_client_attestation}) refusal, 401.
 */
public final class ClientAuthenticator {

    /** T07: the token endpoint's answer to a request without client authentication. */
    static final String REQUIRED = "client authentication is required: use private_key_jwt";
    /** T08. */
    static final String UNSUPPORTED = "only private_key_jwt client authentication is supported";
    static final String FAILED = "client authentication failed";

    /** Which endpoint asks: the admin may introspect and revoke, never take tokens. */
    public enum Endpoint { TOKEN, INTROSPECTION, REVOCATION }

    /**
     * What a request presents for client authentication.
     *
     * @param authentication the client authentication as the Nimbus SDK parsed it from the request (a
     *     {@link TLSClientAuthentication} when the TLS connection carried a client certificate), or null
     * @param authorization the {@code Authorization} header, or null
     * @param attestation the values of the {@code OAuth-Client-Attestation} header
     * @param attestationPop the values of the {@code OAuth-Client-Attestation-PoP} header
     * @param remote the caller's address (the admin token's wrong guesses are counted per address, R03)
     */
    public record Presented(ClientAuthentication authentication, String authorization, List<String> attestation,
                            List<String> attestationPop, SocketAddress remote) {
    }

    private final PrivateKeyJwtAuthenticator privateKeyJwt;
    private final TlsClientAuthenticator tls;
    private final ClientAttestationVerifier attestations;
    private final AdminToken admin;

    /**
     * @param tls {@code tls_client_auth}, or null when the issuer does not request client certificates
     */
    public ClientAuthenticator(PrivateKeyJwtAuthenticator privateKeyJwt, TlsClientAuthenticator tls,
                               ClientAttestationVerifier attestations, AdminToken admin) {
        this.privateKeyJwt = privateKeyJwt;
        this.tls = tls;
        this.attestations = attestations;
        this.admin = admin;
    }

    /**
     * The refusal of a request whose client assertion the Nimbus SDK could not parse, naming the check that failed
     * (T22–T25); a generic {@code invalid_client} when the request holds no client assertion.
     */
    public OAuthException unparsable(java.util.Map<String, List<String>> params, String parseMessage) {
        OAuthException described = privateKeyJwt.unparsable(params, parseMessage);
        return described != null ? described : OAuthException.invalidClient(FAILED, parseMessage);
    }

    /** Whether {@code tls_client_auth} is offered (the listener requests client certificates of the agent CA). */
    public boolean mutualTls() {
        return tls != null;
    }

    /** The stage: method, then client attestation. */
    public Future<AuthenticatedClient> authenticate(Presented presented, Endpoint endpoint) {
        ClientAuthentication auth = presented.authentication();
        if (auth == null && endpoint != Endpoint.TOKEN && presented.authorization() != null) {
            return switch (admin.presentHeader(presented.authorization(), presented.remote())) {
                case ADMIN -> Future.succeededFuture(AuthenticatedClient.ADMIN);
                case LOCKED_OUT -> Future.failedFuture(admin.lockedOut(presented.remote()));   // R03
                default -> Future.failedFuture(OAuthException.invalidClient(FAILED));
            };
        }
        return method(auth, endpoint).compose(client -> requireActive(client.agent(), client.method()))
                .compose(client -> attestations
                .verify(client.agent(), presented.attestation(), presented.attestationPop())   // A01–A08
                .map(summary -> new AuthenticatedClient(client.agent(), client.method(), summary)));
    }

    private Future<AuthenticatedClient> method(ClientAuthentication auth, Endpoint endpoint) {
        if (auth == null) {
            return Future.failedFuture(OAuthException.invalidClient(endpoint == Endpoint.TOKEN ? REQUIRED : FAILED));
        }
        if (auth instanceof PrivateKeyJWT) {
            return privateKeyJwt.authenticate((PrivateKeyJWT) auth).map(agent -> agent(agent,
                    AuthenticatedClient.Method.PRIVATE_KEY_JWT));
        }
        if (auth instanceof TLSClientAuthentication) {
            if (tls == null) {
                return Future.failedFuture(OAuthException.invalidClient(FAILED, "tls_client_auth is not configured"));
            }
            return tls.authenticate((TLSClientAuthentication) auth).map(agent -> agent(agent,
                    AuthenticatedClient.Method.TLS_CLIENT_AUTH));
        }
        return Future.failedFuture(OAuthException.invalidClient(UNSUPPORTED));
    }

    /** T11: a killed agent authenticates no more. */
    private static Future<AuthenticatedClient> requireActive(AgentRecord agent, AuthenticatedClient.Method method) {
        if (agent.disabledFor(null)) {
            return Future.failedFuture(OAuthException.invalidClient("agent '" + agent.agentId() + "' is disabled"));
        }
        return Future.succeededFuture(new AuthenticatedClient(agent, method, null));
    }

    private static AuthenticatedClient agent(AgentRecord agent, AuthenticatedClient.Method method) {
        return new AuthenticatedClient(agent, method, null);
    }
}
