package dev.agentid.issuer.attestation;

import dev.agentid.issuer.domain.OAuthException;

/**
 * The attestation rows (A01–A08) of the token endpoint's refusal table
 * (spec/refusals/token-endpoint.json). Error codes are those of
 * draft-ietf-oauth-attestation-based-client-auth section 7.4; the status is 401, as for
 * {@code invalid_client}, because they are failures of client authentication.
 */
public final class AttestationRefusals {

    /** The draft's code for an attestation or proof of possession that could not be verified. */
    public static final String INVALID_CLIENT_ATTESTATION = "invalid_client_attestation";
    /** The draft's code for an attestation that is not fresh enough. */
    public static final String USE_FRESH_ATTESTATION = "use_fresh_attestation";

    private AttestationRefusals() {
    }

    /** A01: the agent's registration requires an attestation and the request carries none. */
    static OAuthException required(String agent) {
        return invalid("agent '" + agent + "' must present a client attestation", null);
    }

    /** A02: a header missing or repeated, not a JWT, wrong typ or alg, claims missing or of the wrong type. */
    static OAuthException invalid(String detail) {
        return invalid("client attestation is invalid", detail);
    }

    /** A03: iss is not a trusted attester, or the signature does not verify with its keys or roots. */
    static OAuthException untrusted(String detail) {
        return invalid("client attestation is not signed by a trusted attester", detail);
    }

    /** A04: exp has passed, or iat is older than the configured maximum age. */
    static OAuthException stale(String detail) {
        return new OAuthException(USE_FRESH_ATTESTATION, 401, "client attestation is expired or too old", detail);
    }

    /** A05: sub is not the authenticated agent. */
    static OAuthException otherAgent(String agent) {
        return invalid("client attestation was not issued to agent '" + agent + "'", null);
    }

    /** A06: the proof of possession is not a valid PoP JWT signed with the attestation's cnf key for us. */
    static OAuthException badProof(String detail) {
        return invalid("client attestation proof of possession is invalid", detail);
    }

    /** A07: the proof of possession's jti was seen before. */
    static OAuthException replayedProof() {
        return invalid("client attestation proof of possession has already been used", null);
    }

    /** A08: a measurement is not among the values the agent's registration pins. */
    static OAuthException unpinned(String measurement, String agent) {
        return invalid("attested " + measurement + " is not allowed for agent '" + agent + "'", null);
    }

    private static OAuthException invalid(String description, String detail) {
        return new OAuthException(INVALID_CLIENT_ATTESTATION, 401, description, detail);
    }
}
