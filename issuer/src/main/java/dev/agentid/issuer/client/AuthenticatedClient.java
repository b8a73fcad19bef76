package dev.agentid.issuer.client;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.verifier.Attestation;

/**
 * Who called, as the client-authentication stage ({@link ClientAuthenticator}) established it: the one value every
 * endpoint works with after that stage.
 *
 * @param agent the authenticated agent (active); null only for {@link Method#ADMIN}
 * @param method how it authenticated
 * @param attestation the summary of the client attestation the agent presented (its actor level's {@code att}), or
 *     null when it presented none
 */
public record AuthenticatedClient(AgentRecord agent, Method method, Attestation attestation) {

    /** The ways a caller can authenticate. */
    public enum Method {
        /** RFC 7523 section 2.2 client assertion signed with a registered key. */
        PRIVATE_KEY_JWT,
        /** RFC 8705 section 2.1: the TLS client certificate from the agent CA with the agent's SAN URI. */
        TLS_CLIENT_AUTH,
        /** The admin bearer token (introspection and revocation only). */
        ADMIN
    }

    static final AuthenticatedClient ADMIN = new AuthenticatedClient(null, Method.ADMIN, null);

    public boolean admin() {
        return method == Method.ADMIN;
    }
}
