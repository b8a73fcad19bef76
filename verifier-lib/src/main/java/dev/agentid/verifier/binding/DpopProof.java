package dev.agentid.verifier.binding;

import com.nimbusds.jose.jwk.JWK;
import java.time.Instant;
import java.util.Optional;

/**
 * A DPoP proof that passed {@link DpopProofVerifier}: its signature by the embedded key, its type,
 * algorithm, method, URI, age, access-token hash, nonce and single use were checked. Immutable.
 *
 * @param publicKey     the public JWK of the header, which signed the proof
 * @param jwkThumbprint its RFC 7638 SHA-256 thumbprint (base64url), the value a bound token's
 *                      {@code cnf.jkt} must equal
 * @param jwtId         the proof's {@code jti}
 * @param issuedAt      the proof's {@code iat}
 * @param method        the proof's {@code htm}
 * @param targetUri     the proof's {@code htu} as sent
 * @param nonce         the proof's {@code nonce}, or null
 */
public record DpopProof(JWK publicKey, String jwkThumbprint, String jwtId, Instant issuedAt, String method,
                        String targetUri, String nonce) {

    /** The server-provided nonce the proof carried, if any. */
    public Optional<String> nonceValue() {
        return Optional.ofNullable(nonce);
    }
}
