package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.verifier.Attestation;

import java.util.Map;

/**
 * The agent presenting a token request, as the token endpoint established it: who it is (client
 * authentication), and what the new token is bound to (the {@code cnf} claim: a DPoP key thumbprint
 * or a client-certificate thumbprint), if anything. The token service mints for the presenter: a
 * delegated token is bound to the new actor's key, never to the previous actor's.
 *
 * @param agent the authenticated agent
 * @param confirmation the {@code cnf} claim of the new token (RFC 7800), empty for a bearer token
 * @param attestation the summary of the client attestation the agent presented (its actor level's
 *     {@code att}), or null when it presented none
 * @param certificateThumbprint the {@code x5t#S256} of the client certificate of the request's TLS connection, or
 *     null
 */
public record Presenter(AgentRecord agent, Map<String, Object> confirmation, Attestation attestation,
                        String certificateThumbprint) {

    public Presenter {
        confirmation = Map.copyOf(confirmation);
    }

    /** A presenter whose connection shows no client certificate. */
    public Presenter(AgentRecord agent, Map<String, Object> confirmation, Attestation attestation) {
        this(agent, confirmation, attestation, null);
    }

    /**
     * The same presenter over a connection that showed this client certificate ({@code x5t#S256}, RFC 8705 section
     * 3.1; null: none), whatever the new token's binding: it proves possession of a certificate-bound subject token
     * ({@link BoundSubjectTokens}).
     */
    public Presenter withCertificate(String thumbprint) {
        return new Presenter(agent, confirmation, attestation, thumbprint);
    }
}
