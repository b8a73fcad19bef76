package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.verifier.binding.Confirmation;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;

import java.util.Optional;

/**
 * D14, M05 (spec section 5.6.4): a sender-constrained subject token is exchanged only by the holder of its key.
 * Exchanging a token is a use of it, and RFC 9449 section 7 / RFC 8705 section 3 allow a bound token to be used only
 * with proof of possession of the key it is bound to; otherwise a stolen bound token would still buy a fresh token
 * from any registered delegate of its current actor.
 *
 * <ul>
 *   <li>{@code cnf.x5t#S256}: the request arrives over mutual TLS with exactly that client certificate (M05);</li>
 *   <li>{@code cnf.jkt}: the request's DPoP proof (verified at the binding step, D01–D13) is signed with exactly that
 *       key (D14). The new token is then bound to the same key: its holder stays the holder.</li>
 * </ul>
 *
 * A bearer subject token needs no proof. Pure and thread-safe.
 */
public final class BoundSubjectTokens {

    static final String DPOP_BOUND = "subject_token is DPoP-bound: the request's DPoP proof must be signed with its key";
    static final String CERTIFICATE_BOUND =
            "subject_token is certificate-bound: the request must present its client certificate";

    private BoundSubjectTokens() {
    }

    /** Refuses unless the presenter proved possession of the subject token's key (or the token is a bearer token). */
    public static void requirePossession(VerifiedAgentToken subject, Presenter presenter) {
        Confirmation cnf;
        try {
            cnf = subject.confirmation();
        } catch (TokenVerificationException e) {
            throw OAuthException.invalidRequest(TokenService.subjectTokenRefusal(e.reason()));
        }
        Optional<String> certificate = cnf.certificateThumbprint();
        if (certificate.isPresent() && !certificate.get().equals(presenter.certificateThumbprint())) {
            throw new OAuthException("invalid_request", 400, CERTIFICATE_BOUND,
                    "no matching client certificate from agent '" + presenter.agent().agentId() + "'");
        }
        Optional<String> key = cnf.jwkThumbprint();
        if (key.isPresent() && !key.get().equals(presenter.confirmation().get(Confirmation.JKT))) {
            throw new OAuthException("invalid_request", 400, DPOP_BOUND,
                    "no DPoP proof with the subject token's key from agent '" + presenter.agent().agentId() + "'");
        }
    }
}
