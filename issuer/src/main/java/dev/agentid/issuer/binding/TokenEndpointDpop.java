package dev.agentid.issuer.binding;

import dev.agentid.verifier.Jose;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.store.ReplayStore;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.binding.DpopProof;
import dev.agentid.verifier.binding.DpopProofVerifier;
import io.vertx.core.Future;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * DPoP proofs (RFC 9449) at the token endpoint, verified by verifier-lib's {@link DpopProofVerifier} (BouncyCastle,
 * the same verifier resource servers use): {@code typ dpop+jwt}, ES256 only, the public {@code jwk} of the header
 * verifies the signature, {@code htm} = POST, {@code htu} = the token endpoint as the issuer identifies it
 * ({@code <issuer>/oauth2/token}), {@code jti} and {@code iat} present; here in addition {@code iat} within
 * {@link #maxAgeSeconds} in the past and the clock skew in the future, and no {@code nonce} (this issuer does not
 * issue DPoP nonces). The proof's {@code jti} is then single-use per key, cluster-wide, in the issuer's asynchronous
 * replay cache (verifier-lib's own, synchronous, single-use check is given a cache that accepts every proof).
 *
 * <p>When a proof is refused, {@link #explain} re-reads it to name the first rule it breaks, so that every refusal
 * has a stable, precise {@code error_description} (the refusal table, rows D01–D12). The explanation never accepts
 * anything the verifier refused.
 */
public final class TokenEndpointDpop {

    /** The request header (RFC 9449 section 4.1). */
    public static final String HEADER = "DPoP";
    /** The only proof algorithm accepted (and advertised in {@code dpop_signing_alg_values_supported}). */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256);
    /** The RFC 9449 error code. */
    public static final String INVALID_DPOP_PROOF = "invalid_dpop_proof";
    static final JOSEObjectType DPOP_JWT = DpopProofVerifier.DPOP_JWT;
    /** A proof is fresh for this long after its {@code iat} (and the clock skew on top). */
    static final long DEFAULT_MAX_AGE_SECONDS = 60;

    private final URI endpoint;
    private final ReplayStore replay;
    private final Clock clock;
    private final long skewSeconds;
    private final long maxAgeSeconds;
    private final DpopProofVerifier proofs;

    /** The same checks (and the same single-use marks) for proofs sent to another endpoint of this issuer. */
    public TokenEndpointDpop at(URI otherEndpoint) {
        return new TokenEndpointDpop(otherEndpoint, replay, clock, Duration.ofSeconds(skewSeconds));
    }

    /**
     * @param endpoint the token endpoint URL as the issuer identifies it: proofs must name it as {@code htu}
     * @param clockSkew how far in the future a proof's {@code iat} may be
     */
    public TokenEndpointDpop(URI endpoint, ReplayStore replay, Clock clock, Duration clockSkew) {
        this.endpoint = Objects.requireNonNull(endpoint);
        this.replay = Objects.requireNonNull(replay);
        this.clock = Objects.requireNonNull(clock);
        this.skewSeconds = clockSkew.toSeconds();
        this.maxAgeSeconds = Math.max(DEFAULT_MAX_AGE_SECONDS, skewSeconds);
        this.proofs = DpopProofVerifier.builder()
                .allowedAlgorithms(JWSAlgorithm.ES256)
                .window(Duration.ofSeconds(maxAgeSeconds))   // at least the skew; the future bound is checked here
                .clock(clock)
                .replayCache((id, expiresAt) -> true)       // single use: the cluster-wide cache, below
                .build();
    }

    /**
     * Verifies the {@code DPoP} header values of a token request; the result is the proof key's RFC 7638 thumbprint,
     * the new token's {@code cnf.jkt}. Fails with {@code invalid_dpop_proof} (400).
     */
    public Future<String> verify(List<String> headerValues) {
        if (headerValues.size() != 1) {
            return Future.failedFuture(refusal("only one DPoP header is allowed"));
        }
        String value = headerValues.get(0).trim();
        Instant now = clock.instant();
        DpopProof verified;
        try {
            verified = proofs.verify(value, "POST", endpoint, null);
        } catch (TokenVerificationException | RuntimeException e) {
            return Future.failedFuture(refused(value, now));
        }
        if (verified.nonce() != null || verified.issuedAt().isAfter(now.plusSeconds(skewSeconds))
                || !endpoint.toString().equals(verified.targetUri())) {
            return Future.failedFuture(refused(value, now));
        }
        Instant latest = verified.issuedAt().isAfter(now) ? verified.issuedAt() : now;
        return replay.firstUse("dpop:" + verified.jwkThumbprint() + ":" + sha256(verified.jwtId()),
                        latest.plusSeconds(maxAgeSeconds + skewSeconds))
                .compose(first -> first
                        ? Future.succeededFuture(verified.jwkThumbprint())
                        : Future.failedFuture(refusal("DPoP proof has already been used")));
    }

    /** The refusal of a proof, naming the first rule it breaks (parsed again only for a refused proof). */
    private OAuthException refused(String value, Instant now) {
        try {
            return refusal(explain(SignedJWT.parse(value), now));
        } catch (ParseException e) {
            return refusal("DPoP proof is not a signed JWT");
        }
    }

    /** Proof ids are chosen by clients; hashing bounds the key size. */
    private static String sha256(String value) {
        try {
            return Base64URL.encode(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8))).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first RFC 9449 section 4.3 rule the refused proof breaks, in the SDK's order of checks. */
    String explain(SignedJWT proof, Instant now) {
        if (!DPOP_JWT.equals(proof.getHeader().getType())) {
            return "DPoP proof typ must be dpop+jwt";
        }
        if (!ALGORITHMS.contains(proof.getHeader().getAlgorithm())) {
            return "DPoP proof must be signed with ES256";
        }
        JWK jwk = proof.getHeader().getJWK();
        if (!(jwk instanceof ECKey) || jwk.isPrivate()) {
            return "DPoP proof header must carry the signer's public EC jwk";
        }
        if (!Jose.verifies(proof, (ECKey) jwk)) {
            return "DPoP proof signature does not verify with its jwk";
        }
        JWTClaimsSet claims;
        try {
            claims = proof.getJWTClaimsSet();
        } catch (ParseException e) {
            return "DPoP proof is not a signed JWT";
        }
        if (!"POST".equals(claims.getClaim("htm"))) {
            return "DPoP proof htm must be POST";
        }
        if (!endpoint.toString().equals(claims.getClaim("htu"))) {
            return "DPoP proof htu must be " + endpoint;
        }
        if (claims.getJWTID() == null || claims.getJWTID().isEmpty()) {
            return "DPoP proof has no jti";
        }
        if (claims.getClaim("nonce") != null) {
            return "DPoP proof carries a nonce that this server did not issue";
        }
        return "DPoP proof iat must be within " + maxAgeSeconds + " seconds of the server's time";
    }


    static OAuthException refusal(String description) {
        return new OAuthException(INVALID_DPOP_PROOF, 400, description, null);
    }
}
