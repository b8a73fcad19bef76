package dev.agentid.verifier.binding;

import com.nimbusds.jose.util.X509CertUtils;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that the sender of a request holds the key its token is bound to (spec/agent-token-profile.md,
 * section "Sender-constrained tokens"). Call it for every request, after
 * {@link dev.agentid.verifier.AgentTokenVerifier#verify(String)}:
 *
 * <pre>{@code
 * VerifiedAgentToken token = tokens.verify(request.accessToken());
 * VerifiedBinding binding = bindings.verify(token, request);
 * }</pre>
 *
 * <ul>
 *   <li>{@code cnf.jkt} (DPoP, RFC 9449): the token must come with {@code Authorization: DPoP} and a valid
 *       DPoP proof ({@link DpopProofVerifier}, with {@code ath} for this token) signed by the key whose RFC
 *       7638 thumbprint is {@code cnf.jkt}. A missing proof, a proof by another key, or the {@code Bearer}
 *       scheme is {@link Reason#BINDING_MISMATCH}; a bad proof is {@link Reason#DPOP_PROOF_INVALID},
 *       {@link Reason#DPOP_PROOF_REPLAYED} or {@link Reason#DPOP_NONCE_REQUIRED}.</li>
 *   <li>{@code cnf.x5t#S256} (mutual TLS, RFC 8705): the TLS connection must have presented the client
 *       certificate with that SHA-256 thumbprint; none or another is {@link Reason#BINDING_MISMATCH}. The
 *       TLS stack must have validated the certificate chain; only the thumbprint is compared here.</li>
 *   <li>no {@code cnf}: a bearer token. Presented with {@code Authorization: DPoP} it is refused with
 *       {@link Reason#BINDING_MISMATCH} (no scheme confusion), and always so when
 *       {@link Builder#requireBoundTokens()} is set.</li>
 *   <li>a {@code cnf} with a confirmation method other than these two: {@link Reason#BINDING_MISMATCH},
 *       since the binding cannot be checked; a malformed {@code cnf}: {@link Reason#INVALID_CLAIM}.</li>
 * </ul>
 *
 * The certificate check comes before the DPoP proof, so a refused request never consumes a proof.
 * Immutable and thread-safe.
 */
public final class BindingVerifier {

    private static final Set<String> KNOWN_METHODS = Set.of(Confirmation.JKT, Confirmation.X5T_S256);

    private final DpopProofVerifier dpop;
    private final boolean requireBound;

    private BindingVerifier(DpopProofVerifier dpop, boolean requireBound) {
        this.dpop = dpop;
        this.requireBound = requireBound;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param token   the verified token of {@code request}
     * @param request what the request presented; for a DPoP-bound token it must carry the method and URI
     * @throws TokenVerificationException with the reasons listed on the class
     * @throws IllegalArgumentException if a DPoP-bound token is checked without the request's method and URI
     */
    public VerifiedBinding verify(VerifiedAgentToken token, PresentedRequest request) throws TokenVerificationException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(request, "request");
        Confirmation cnf = token.confirmation();
        if (!cnf.isBound()) {
            if (requireBound) {
                throw mismatch("this resource server accepts sender-constrained tokens only; the token has no cnf");
            }
            if (request.scheme() == PresentedRequest.Scheme.DPOP) {
                throw mismatch("a token without cnf.jkt was presented with the DPoP scheme");
            }
            return VerifiedBinding.BEARER;
        }
        for (String method : cnf.methods()) {
            if (!KNOWN_METHODS.contains(method)) {
                throw mismatch("the token is bound with the confirmation method '" + method
                        + "', which this verifier cannot check");
            }
        }

        String certificateThumbprint = null;
        if (cnf.certificateThumbprint().isPresent()) {
            String expected = cnf.certificateThumbprint().get();
            X509Certificate certificate = request.clientCertificate();
            if (certificate == null) {
                throw mismatch("the token is bound to a TLS client certificate (x5t#S256); the connection presented none");
            }
            String presented = X509CertUtils.computeSHA256Thumbprint(certificate).toString();
            if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.US_ASCII),
                    expected.getBytes(StandardCharsets.US_ASCII))) {
                throw mismatch("the token is bound to certificate " + expected + "; the connection presented "
                        + presented);
            }
            certificateThumbprint = presented;
        }

        DpopProof proof = null;
        if (cnf.jwkThumbprint().isPresent()) {
            if (request.scheme() != PresentedRequest.Scheme.DPOP) {
                throw mismatch("a DPoP-bound token (cnf.jkt) must be presented with the DPoP scheme, not Bearer");
            }
            if (request.dpopProof() == null) {
                throw mismatch("a DPoP-bound token (cnf.jkt) was presented without a DPoP proof");
            }
            if (request.method() == null || request.uri() == null) {
                throw new IllegalArgumentException("checking a DPoP proof needs the request's method and URI");
            }
            proof = dpop.verify(request.dpopProof(), request.method(), request.uri(), request.accessToken(),
                    cnf.jwkThumbprint().get());
        } else if (request.scheme() == PresentedRequest.Scheme.DPOP) {
            throw mismatch("a token without cnf.jkt was presented with the DPoP scheme");
        }
        return new VerifiedBinding(proof, certificateThumbprint);
    }

    /** The DPoP proof verifier in use (for its {@link DpopProofVerifier#nonceSource()}). */
    public DpopProofVerifier dpopProofVerifier() {
        return dpop;
    }

    private static TokenVerificationException mismatch(String message) {
        return new TokenVerificationException(Reason.BINDING_MISMATCH, message);
    }

    /** Builds a {@link BindingVerifier}. Defaults: a default {@link DpopProofVerifier}, bearer tokens allowed. */
    public static final class Builder {

        private DpopProofVerifier dpop;
        private boolean requireBound;

        private Builder() {
        }

        /** The DPoP proof verifier (its algorithms, window, clock, replay cache and nonces). */
        public Builder dpop(DpopProofVerifier verifier) {
            this.dpop = Objects.requireNonNull(verifier, "verifier");
            return this;
        }

        /** Refuses tokens without {@code cnf} ({@link Reason#BINDING_MISMATCH}). */
        public Builder requireBoundTokens() {
            this.requireBound = true;
            return this;
        }

        public BindingVerifier build() {
            return new BindingVerifier(dpop != null ? dpop : DpopProofVerifier.builder().build(), requireBound);
        }
    }
}
