package dev.agentid.issuer.federation;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Verifies the proof that an identity provider authenticated a human (a chain grant's {@code sub_proof}, profile
 * section 6.11): implemented by the human-principals component ({@code federation.idp}), which holds the IdPs this
 * issuer configured, so that federation does not depend on it. Blocking on a key-cache miss.
 */
public interface HumanProofs {

    /**
     * @param proof the id_token
     * @param idp the issuer that must have signed it
     * @param audiences its {@code aud} must contain one of these (the partner's clients at the IdP)
     * @param maxAge the oldest its {@code iat} may be
     * @return the principal it proves ({@code <idp>#<sub>}) and its {@code exp}
     */
    Proven verify(String proof, String idp, Set<String> audiences, Duration maxAge) throws ProofException;

    /** A verified proof: the principal {@code <idp>#<sub>} and until when the proof holds. */
    record Proven(String principal, Instant expiresAt) {
    }

    /** Why a proof was refused, as the refusal rows group it. */
    final class ProofException extends Exception {

        /** INVALID: F34; WRONG_AUDIENCE: F35; STALE: F36; UNAVAILABLE: F37. */
        public enum Kind {
            INVALID, WRONG_AUDIENCE, STALE, UNAVAILABLE
        }

        private final Kind kind;

        public ProofException(Kind kind, String detail) {
            super(detail, null, false, false);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }
}
