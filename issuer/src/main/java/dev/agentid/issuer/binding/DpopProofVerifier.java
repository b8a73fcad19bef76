package dev.agentid.issuer.binding;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.dpop.JWKThumbprintConfirmation;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPIssuer;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPTokenRequestVerifier;
import com.nimbusds.oauth2.sdk.dpop.verifiers.InvalidDPoPProofException;
import com.nimbusds.openid.connect.sdk.Nonce;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.store.ReplayCache;
import io.vertx.core.Future;

import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * DPoP proofs (RFC 9449) at the token endpoint, verified by the Nimbus OAuth SDK's
 * {@link DPoPTokenRequestVerifier}: {@code typ dpop+jwt}, ES256 only, the public {@code jwk} of the header verifies
 * the signature, {@code htm} = POST, {@code htu} = the token endpoint as the issuer identifies it
 * ({@code <issuer>/oauth2/token}), {@code jti} and {@code iat} present, {@code iat} within {@link #maxAgeSeconds} in
 * the past and the clock skew in the future, no {@code nonce} (this issuer does not issue DPoP nonces). The proof's
 * {@code jti} is then single-use, cluster-wide, in the issuer's replay cache ({@link ReplayCacheProofUse}).
 *
 * <p>The SDK decides; when it refuses, {@link #explain} re-reads the proof to name the first rule it breaks, so that
 * every refusal has a stable, precise {@code error_description} (the refusal table, rows D01–D12). The explanation
 * never accepts anything the SDK refused.
 *
 * <p>The SDK checks {@code iat} against the system clock (its claims verifier has no clock to inject); the replay
 * window and the explanations use the issuer's clock. They are the same clock in production.
 */
public final class DpopProofVerifier {

    /** The request header (RFC 9449 section 4.1). */
    public static final String HEADER = "DPoP";
    /** The only proof algorithm accepted (and advertised in {@code dpop_signing_alg_values_supported}). */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256);
    /** The RFC 9449 error code. */
    public static final String INVALID_DPOP_PROOF = "invalid_dpop_proof";
    static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");
    /** A proof is fresh for this long after its {@code iat} (and the clock skew on top). */
    static final long DEFAULT_MAX_AGE_SECONDS = 60;

    private final URI endpoint;
    private final ReplayCache replay;
    private final Clock clock;
    private final long skewSeconds;
    private final long maxAgeSeconds;

    /**
     * @param endpoint the token endpoint URL as the issuer identifies it: proofs must name it as {@code htu}
     * @param clockSkew how far in the future a proof's {@code iat} may be
     */
    public DpopProofVerifier(URI endpoint, ReplayCache replay, Clock clock, Duration clockSkew) {
        this.endpoint = Objects.requireNonNull(endpoint);
        this.replay = Objects.requireNonNull(replay);
        this.clock = Objects.requireNonNull(clock);
        this.skewSeconds = clockSkew.toSeconds();
        this.maxAgeSeconds = Math.max(DEFAULT_MAX_AGE_SECONDS, skewSeconds);
    }

    /**
     * Verifies the {@code DPoP} header values of a token request made by {@code clientId}; the result is the proof
     * key's confirmation ({@code cnf.jkt}). Fails with {@code invalid_dpop_proof} (400).
     */
    public Future<JWKThumbprintConfirmation> verify(List<String> headerValues, String clientId) {
        if (headerValues.size() != 1) {
            return Future.failedFuture(refusal("only one DPoP header is allowed"));
        }
        SignedJWT proof;
        try {
            proof = SignedJWT.parse(headerValues.get(0).trim());
        } catch (ParseException e) {
            return Future.failedFuture(refusal("DPoP proof is not a signed JWT"));
        }
        Instant now = clock.instant();
        JWK jwk = proof.getHeader().getJWK();
        String thumbprint;
        try {
            thumbprint = jwk == null ? "-" : jwk.computeThumbprint().toString();
        } catch (JOSEException e) {
            thumbprint = "-";
        }
        ReplayCacheProofUse use = new ReplayCacheProofUse(replay, thumbprint,
                latest(now, proof).plusSeconds(maxAgeSeconds + skewSeconds));
        JWKThumbprintConfirmation confirmation;
        try {
            confirmation = new DPoPTokenRequestVerifier(ALGORITHMS, endpoint, skewSeconds, maxAgeSeconds, use)
                    .verify(new DPoPIssuer(clientId), proof, (Nonce) null);
        } catch (InvalidDPoPProofException | JOSEException | RuntimeException e) {
            return Future.failedFuture(refusal(explain(proof, now)));
        }
        return use.commit().compose(first -> first
                ? Future.succeededFuture(confirmation)
                : Future.failedFuture(refusal("DPoP proof has already been used")));
    }

    /** The proof's iat when it is later than now (a client clock ahead by less than the skew). */
    private static Instant latest(Instant now, SignedJWT proof) {
        try {
            JWTClaimsSet claims = proof.getJWTClaimsSet();
            if (claims.getIssueTime() != null && claims.getIssueTime().toInstant().isAfter(now)) {
                return claims.getIssueTime().toInstant();
            }
        } catch (ParseException e) {
            // the verifier refuses it
        }
        return now;
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
        if (!signatureVerifies(proof, (ECKey) jwk)) {
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

    private static boolean signatureVerifies(SignedJWT proof, ECKey jwk) {
        try {
            ECDSAVerifier verifier = new ECDSAVerifier(jwk);
            verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            return proof.verify(verifier);
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }

    static OAuthException refusal(String description) {
        return new OAuthException(INVALID_DPOP_PROOF, 400, description, null);
    }
}
