package dev.agentid.issuer.binding;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The token endpoint's step after client authentication: what the new token is bound to (its {@code cnf} claim,
 * RFC 7800), for the agent that asked for it.
 *
 * <ul>
 *   <li>A {@code DPoP} header: the proof is verified ({@link TokenEndpointDpop}) and the token is bound to the proof
 *       key, {@code cnf: {"jkt": <RFC 7638 thumbprint>}}, {@code token_type DPoP} (RFC 9449 section 5).</li>
 *   <li>No proof, and the agent registered {@code dpop_bound_access_tokens}: refused (D13).</li>
 *   <li>The agent registered {@code tls_client_certificate_bound_access_tokens}: the token is bound to the client
 *       certificate of this TLS connection, {@code cnf: {"x5t#S256": ...}} (RFC 8705 section 3), which must be the
 *       agent's own (M02, M03); a DPoP proof is refused for such an agent (M04): one token, one binding.</li>
 *   <li>Otherwise a bearer token (empty {@code cnf}).</li>
 * </ul>
 *
 * <p>In a token exchange the binding is always the presenter's, never copied from the subject token. A bound subject
 * token is exchanged only with proof of possession of its key (spec 5.6.4, D14 and M05:
 * {@link dev.agentid.issuer.service.BoundSubjectTokens}).
 */
public final class SenderBinding {

    public static final String JKT = "jkt";
    public static final String X5T_S256 = "x5t#S256";

    private final TokenEndpointDpop dpop;
    private final ClientCertificates certificates;

    /**
     * @param certificates the agent CA's client certificates (certificate-bound tokens), or null when the issuer
     *     does not request client certificates
     */
    public SenderBinding(TokenEndpointDpop dpop, ClientCertificates certificates) {
        this.dpop = Objects.requireNonNull(dpop);
        this.certificates = certificates;
    }

    /**
     * This binding for requests to another endpoint of the issuer (the backchannel authentication endpoint): DPoP
     * proofs must name that endpoint as {@code htu}.
     */
    public SenderBinding at(java.net.URI endpoint) {
        return new SenderBinding(dpop.at(endpoint), certificates);
    }

    /**
     * The {@code cnf} of the token about to be issued to {@code agent}.
     *
     * @param dpopHeaders the values of the request's {@code DPoP} headers (empty if none)
     * @param certificate the client certificate of the request's TLS connection, or null
     */
    public Future<Map<String, Object>> confirmation(AgentRecord agent, List<String> dpopHeaders,
                                                    X509Certificate certificate) {
        if (!dpopHeaders.isEmpty()) {
            if (agent.tlsClientCertificateBoundAccessTokens()) {
                return Future.failedFuture(OAuthException.invalidRequest("agent '" + agent.agentId()
                        + "' has certificate-bound tokens: send no DPoP proof"));
            }
            return dpop.verify(dpopHeaders).map(jkt -> Map.<String, Object>of(JKT, jkt));
        }
        if (agent.dpopBoundAccessTokens()) {
            return Future.failedFuture(TokenEndpointDpop.refusal("agent '" + agent.agentId()
                    + "' must present a DPoP proof"));
        }
        if (agent.tlsClientCertificateBoundAccessTokens()) {
            if (certificate == null || certificates == null) {
                return Future.failedFuture(OAuthException.invalidRequest("agent '" + agent.agentId()
                        + "' must present its client certificate: its tokens are certificate-bound"));
            }
            if (!certificates.identifies(certificate, agent)) {
                return Future.failedFuture(OAuthException.invalidRequest(
                        "the client certificate does not name agent '" + agent.agentId() + "'"));
            }
            return Future.succeededFuture(Map.of(X5T_S256, ClientCertificates.thumbprint(certificate)));
        }
        return Future.succeededFuture(Map.of());
    }

    /** RFC 9449 section 5: a DPoP-bound token is of type DPoP; every other token (certificate-bound too) Bearer. */
    public static String tokenType(Map<String, Object> confirmation) {
        return confirmation.containsKey(JKT) ? "DPoP" : "Bearer";
    }

    /**
     * Adds the binding members to RFC 8414 metadata: {@code dpop_signing_alg_values_supported} (RFC 9449
     * section 5.1), and with mutual TLS {@code tls_client_certificate_bound_access_tokens} and
     * {@code tls_client_auth} among the authentication methods of the token, introspection and revocation endpoints,
     * which share one client-authentication stage (RFC 8705 section 3.3, 2.1).
     */
    public JsonObject advertise(JsonObject metadata) {
        metadata.put("dpop_signing_alg_values_supported", new JsonArray().add("ES256"));
        if (certificates != null) {
            metadata.put("tls_client_certificate_bound_access_tokens", true);
            for (String endpoint : List.of("token", "introspection", "revocation")) {
                JsonArray methods = metadata.getJsonArray(endpoint + "_endpoint_auth_methods_supported");
                if (methods == null) {
                    methods = new JsonArray();
                    metadata.put(endpoint + "_endpoint_auth_methods_supported", methods);
                }
                if (!methods.contains("tls_client_auth")) {
                    methods.add("tls_client_auth");
                }
            }
        }
        return metadata;
    }
}
