package dev.agentid.verifier.binding;

/**
 * Server-provided DPoP nonces (RFC 9449 section 9). With a nonce source configured, a
 * {@link DpopProofVerifier} requires every proof to carry a {@code nonce} the source accepts; otherwise it
 * fails with {@link dev.agentid.verifier.Reason#DPOP_NONCE_REQUIRED}, and the resource server answers
 * {@code 401} with {@code WWW-Authenticate: DPoP error="use_dpop_nonce"} and a {@code DPoP-Nonce} header
 * holding {@link #currentNonce()}. Implementations must be thread-safe; several resource-server instances
 * must share the nonces (or derive them from a shared secret).
 */
public interface NonceSource {

    /** The nonce to send in the {@code DPoP-Nonce} response header now. */
    String currentNonce();

    /** Whether a nonce from a proof is acceptable now. */
    boolean isValid(String nonce);
}
