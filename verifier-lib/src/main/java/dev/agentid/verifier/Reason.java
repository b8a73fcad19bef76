package dev.agentid.verifier;

/**
 * Stable failure reason codes of token verification. Callers branch on these; the names never change
 * meaning. The profile (spec/agent-token-profile.md, section "Verification") defines each one.
 */
public enum Reason {
    /** Not a compact JWS of three strict base64url parts, or a part is not the expected JSON. */
    MALFORMED(Family.INVALID_TOKEN),
    /** The serialized token is longer than the configured cap; nothing was parsed. */
    TOKEN_TOO_LARGE(Family.INVALID_TOKEN),
    /** The JWS {@code alg} is not on the allowlist (this includes {@code none} and every MAC). */
    UNSUPPORTED_ALGORITHM(Family.INVALID_TOKEN),
    /** The JWS {@code typ} header is not {@code at+jwt}. */
    WRONG_TYPE(Family.INVALID_TOKEN),
    /** The {@code iss} claim names no trusted issuer. */
    UNTRUSTED_ISSUER(Family.INVALID_TOKEN),
    /** The trusted issuer publishes no key matching the header's {@code kid} and {@code alg}. */
    UNKNOWN_KEY(Family.INVALID_TOKEN),
    /** The signature does not verify with the issuer's key. */
    BAD_SIGNATURE(Family.INVALID_TOKEN),
    /** A required claim is absent. */
    MISSING_CLAIM(Family.INVALID_TOKEN),
    /** A claim has the wrong JSON type or an illegal value. */
    INVALID_CLAIM(Family.INVALID_TOKEN),
    /** {@code exp} is in the past (beyond the allowed clock skew). */
    EXPIRED(Family.INVALID_TOKEN),
    /** {@code iat} is in the future (beyond the allowed clock skew). */
    ISSUED_IN_FUTURE(Family.INVALID_TOKEN),
    /** {@code nbf} is in the future (beyond the allowed clock skew). */
    NOT_YET_VALID(Family.INVALID_TOKEN),
    /** None of the token's audiences is accepted by this verifier. */
    AUDIENCE_MISMATCH(Family.INVALID_TOKEN),
    /** {@code client_id} differs from the current actor ({@code act.sub}). */
    CLIENT_ID_MISMATCH(Family.INVALID_TOKEN),
    /** An {@code act} level lacks {@code sub}/{@code iss}, or a member has the wrong type. */
    CHAIN_MALFORMED(Family.INVALID_TOKEN),
    /** The chain holds more actors than allowed. */
    CHAIN_TOO_DEEP(Family.INVALID_TOKEN),
    /** The same agent (issuer and agent id) appears twice in the chain. */
    CHAIN_CYCLE(Family.INVALID_TOKEN),
    /**
     * Chain evidence (profile section 6.12): an organisation boundary of the chain has no receipt, the
     * {@code act_ev} claim is not an array of compact JWS strings, or it holds more receipts than the chain
     * has boundaries.
     */
    CHAIN_EVIDENCE_MISSING(Family.INVALID_TOKEN),
    /** Chain evidence: the receipt of a hop is signed by an issuer this verifier does not trust. */
    CHAIN_EVIDENCE_UNTRUSTED(Family.INVALID_TOKEN),
    /** Chain evidence: a receipt is not a compact JWS, its {@code typ} is not {@code chain-receipt+jwt}, or its signature does not verify with its issuer's keys. */
    CHAIN_EVIDENCE_BAD_SIGNATURE(Family.INVALID_TOKEN),
    /**
     * Chain evidence: a verified receipt does not match the chain: its {@code iss}/{@code aud} are not the
     * issuers of the hop, its {@code chn} is not the hash of {@code sub} and the levels it covers (a forged
     * subject, level or {@code att}), or its {@code prv} is not the hash of the previous receipt.
     */
    CHAIN_EVIDENCE_MISMATCH(Family.INVALID_TOKEN),
    /** The token, an ancestor, or an agent of its chain has been revoked. */
    REVOKED(Family.INVALID_TOKEN),
    /** A derived token names another principal than the token it was derived from. */
    SUBJECT_CHANGED(Family.INVALID_TOKEN),
    /** A derived token holds a scope its parent did not hold. */
    SCOPE_WIDENED(Family.INVALID_TOKEN),
    /** A derived token expires after its parent. */
    LIFETIME_EXTENDED(Family.INVALID_TOKEN),
    /** A derived token's chain is not its parent's chain with exactly one new current actor. */
    CHAIN_NOT_EXTENDED(Family.INVALID_TOKEN),
    /**
     * A DPoP proof (RFC 9449) is missing where the verifier was asked to check one, or is not a valid proof
     * for this request: not a signed JWT of type {@code dpop+jwt}, an algorithm not allowed, no public
     * {@code jwk}, a bad signature, a missing claim, {@code htm}/{@code htu} for another method or URI,
     * {@code iat} outside the window, or {@code ath} not the hash of the presented token. A resource
     * server answers {@code error="invalid_dpop_proof"}.
     */
    DPOP_PROOF_INVALID(Family.INVALID_TOKEN),
    /** The DPoP proof ({@code jti} of that key) was already used. Answered like {@link #DPOP_PROOF_INVALID}. */
    DPOP_PROOF_REPLAYED(Family.INVALID_TOKEN),
    /**
     * The server requires a DPoP nonce and the proof has none, or one no longer valid. A resource server
     * answers {@code error="use_dpop_nonce"} with a fresh {@code DPoP-Nonce} header.
     */
    DPOP_NONCE_REQUIRED(Family.INVALID_TOKEN),
    /**
     * The sender did not prove possession of the key the token is bound to ({@code cnf}): a DPoP-bound
     * token without a proof, with a proof by another key, or with the {@code Bearer} scheme; a
     * certificate-bound token over a connection without that client certificate; a token without
     * {@code cnf.jkt} presented with the {@code DPoP} scheme; a confirmation method the verifier cannot
     * check. A resource server answers {@code error="invalid_token"}.
     */
    BINDING_MISMATCH(Family.INVALID_TOKEN),
    /** The DPoP replay cache could not be consulted (full or unreachable). Not a verdict on the proof. */
    REPLAY_CHECK_UNAVAILABLE(Family.UNAVAILABLE),
    /** The issuer's keys (or another verification input) could not be fetched. Not a verdict on the token. */
    KEY_SOURCE_UNAVAILABLE(Family.UNAVAILABLE);

    /** "The token is bad" versus "we could not decide". */
    public enum Family { INVALID_TOKEN, UNAVAILABLE }

    private final Family family;

    Reason(Family family) {
        this.family = family;
    }

    public Family family() {
        return family;
    }
}
