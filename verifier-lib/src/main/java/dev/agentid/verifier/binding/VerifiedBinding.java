package dev.agentid.verifier.binding;

import java.util.Optional;

/**
 * What {@link BindingVerifier} established about a token's sender: the DPoP proof that matched
 * {@code cnf.jkt} and/or the certificate thumbprint that matched {@code cnf.x5t#S256}; both empty for a
 * bearer token the verifier accepted. Immutable.
 *
 * @param dpopProof             the verified proof of a DPoP-bound token, or null
 * @param certificateThumbprint the matched {@code x5t#S256} of a certificate-bound token, or null
 */
public record VerifiedBinding(DpopProof dpopProof, String certificateThumbprint) {

    /** A bearer token: nothing to confirm. */
    public static final VerifiedBinding BEARER = new VerifiedBinding(null, null);

    /** Whether the token was sender-constrained and its sender proved possession of the key. */
    public boolean isBound() {
        return dpopProof != null || certificateThumbprint != null;
    }

    public Optional<DpopProof> proof() {
        return Optional.ofNullable(dpopProof);
    }

    public Optional<String> certificate() {
        return Optional.ofNullable(certificateThumbprint);
    }
}
