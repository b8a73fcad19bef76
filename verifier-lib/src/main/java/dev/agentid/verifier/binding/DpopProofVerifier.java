package dev.agentid.verifier.binding;

import dev.agentid.verifier.Jose;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies DPoP proofs (RFC 9449 section 4.3) at a resource server.
 *
 * <pre>{@code
 * DpopProofVerifier dpop = DpopProofVerifier.builder()
 *         .replayCache(sharedReplayCache)      // several instances: share it
 *         .build();
 * DpopProof proof = dpop.verify(request.header("DPoP"), "GET", URI.create("https://api.example/orders"),
 *         accessToken);
 * }</pre>
 *
 * <p>Checks, in this order, each failure a {@link TokenVerificationException}: the proof is one compact
 * JWS no longer than the size cap ({@link Reason#DPOP_PROOF_INVALID} for this and every check up to the
 * nonce); {@code typ} is {@code dpop+jwt}; {@code alg} is on the allowlist (default ES256; never
 * {@code none} or a MAC); the header carries a public {@code jwk} (no private members) of a type that fits
 * {@code alg}; the signature verifies with that key; {@code jti}, {@code htm}, {@code htu} and {@code iat}
 * are present; {@code htm} equals the request method; {@code htu} equals the request URI, both without
 * query and fragment and normalized (RFC 3986 section 6); {@code iat} is within the window around now
 * (default 60 s either way); when an access token is presented, {@code ath} is the base64url SHA-256 of
 * it; with a {@link NonceSource}, {@code nonce} is one it accepts ({@link Reason#DPOP_NONCE_REQUIRED});
 * finally the proof was not used before ({@link Reason#DPOP_PROOF_REPLAYED}; a cache that cannot answer
 * gives {@link Reason#REPLAY_CHECK_UNAVAILABLE}). Single use is checked last, so a proof refused for
 * another reason does not consume its {@code jti}.
 *
 * <p>Thread-safe. It keeps the signature verifier of each proof key it has seen (bounded), not the proofs.
 */
public final class DpopProofVerifier {

    /** The {@code typ} of a DPoP proof. */
    public static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");

    private static final Set<JWSAlgorithm> SUPPORTED = Set.of(
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final int MIN_RSA_BITS = 2048;

    private final Set<JWSAlgorithm> algorithms;
    private final Duration window;
    private final int maxProofLength;
    private final Clock clock;
    private final ReplayCache replayCache;
    private final NonceSource nonceSource;
    private final DefaultJWSVerifierFactory verifierFactory;
    /** Signature verifiers of the proof keys seen, by algorithm and thumbprint; bounded. */
    private final Map<String, JWSVerifier> verifiers = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_KEYS = 10_000;

    private DpopProofVerifier(Builder b, ReplayCache replayCache) {
        this.algorithms = b.algorithms;
        this.window = b.window;
        this.maxProofLength = b.maxProofLength;
        this.clock = b.clock;
        this.replayCache = replayCache;
        this.nonceSource = b.nonceSource;
        this.verifierFactory = Jose.verifiers();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Verifies the proof of one request.
     *
     * @param proof       the value of the request's single {@code DPoP} header (a request with several
     *                    {@code DPoP} headers must be refused by the caller)
     * @param method      the request method, e.g. {@code GET}
     * @param requestUri  the request's absolute target URI as the client addressed it (the public URL,
     *                    not a proxy-internal one); query and fragment are ignored
     * @param accessToken the access token presented with the proof, or null when there is none (then
     *                    {@code ath} is not checked)
     * @throws TokenVerificationException with {@link Reason#DPOP_PROOF_INVALID},
     *         {@link Reason#DPOP_NONCE_REQUIRED}, {@link Reason#DPOP_PROOF_REPLAYED} or
     *         {@link Reason#REPLAY_CHECK_UNAVAILABLE}
     */
    public DpopProof verify(String proof, String method, URI requestUri, String accessToken)
            throws TokenVerificationException {
        return verify(proof, method, requestUri, accessToken, null);
    }

    /** The nonce source, or null; a resource server sends its current nonce in {@code DPoP-Nonce}. */
    public NonceSource nonceSource() {
        return nonceSource;
    }

    /**
     * As {@link #verify(String, String, URI, String)}, and if {@code expectedThumbprint} is not null, the
     * proof's key must have that RFC 7638 thumbprint ({@link Reason#BINDING_MISMATCH}), checked before the
     * proof is recorded as used.
     */
    DpopProof verify(String proof, String method, URI requestUri, String accessToken, String expectedThumbprint)
            throws TokenVerificationException {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(requestUri, "requestUri");
        String target = TargetUri.normalize(requestUri);
        if (target == null) {
            throw new IllegalArgumentException("the request URI must be an absolute http(s) URI with a host: "
                    + requestUri);
        }
        if (proof == null || proof.isEmpty()) {
            throw invalid("no DPoP proof");
        }
        if (proof.length() > maxProofLength) {
            throw invalid("the DPoP proof is longer than " + maxProofLength + " characters");
        }

        // 1. syntax and header
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(proof);
        } catch (ParseException e) {
            throw invalid("the DPoP proof is not a signed JWT");
        }
        JWSHeader header = jwt.getHeader();
        if (header.getType() == null || !DPOP_JWT.getType().equalsIgnoreCase(header.getType().getType())) {
            throw invalid("the DPoP proof typ is " + (header.getType() == null ? "missing" : "'" + header.getType()
                    + "'") + ", not 'dpop+jwt'");
        }
        JWSAlgorithm alg = header.getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw invalid("the DPoP proof algorithm '" + alg + "' is not allowed");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            throw invalid("the DPoP proof header has a crit parameter");
        }
        JWK jwk = header.getJWK();
        if (jwk == null) {
            throw invalid("the DPoP proof header has no jwk");
        }
        if (jwk.isPrivate()) {
            throw invalid("the DPoP proof header jwk holds private key material");
        }
        String thumbprint = keyThumbprint(jwk);
        JWSVerifier verifier = verifier(header, jwk, alg, thumbprint);

        // 2. signature with the embedded key
        try {
            if (!jwt.verify(verifier)) {
                throw invalid("the DPoP proof signature does not verify with its jwk");
            }
        } catch (JOSEException e) {
            throw invalid("the DPoP proof signature cannot be verified: " + e.getMessage());
        }

        // 3. claims
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw invalid("the DPoP proof claims are not a valid JWT claims set");
        }
        String jti = stringClaim(claims, "jti");
        String htm = stringClaim(claims, "htm");
        String htu = stringClaim(claims, "htu");
        Date iatDate = claims.getIssueTime();
        if (iatDate == null) {
            throw invalid("the DPoP proof has no iat");
        }
        if (!method.equals(htm)) {
            throw invalid("the DPoP proof is for method '" + htm + "', not '" + method + "'");
        }
        String proofTarget = TargetUri.normalize(htu);
        if (!target.equals(proofTarget)) {
            throw invalid("the DPoP proof is for URI '" + htu + "', not '" + target + "'");
        }
        Instant iat = iatDate.toInstant();
        Instant now = clock.instant();
        if (iat.isBefore(now.minus(window)) || iat.isAfter(now.plus(window))) {
            throw invalid("the DPoP proof iat " + iat + " is not within " + window.toSeconds() + " s of now");
        }
        if (accessToken != null) {
            Object ath = claims.getClaim("ath");
            if (!(ath instanceof String)) {
                throw invalid("the DPoP proof has no ath for the presented access token");
            }
            if (!MessageDigest.isEqual(((String) ath).getBytes(StandardCharsets.US_ASCII),
                    accessTokenHash(accessToken).getBytes(StandardCharsets.US_ASCII))) {
                throw invalid("the DPoP proof ath does not match the presented access token");
            }
        }
        Object nonce = claims.getClaim("nonce");
        if (nonce != null && !(nonce instanceof String)) {
            throw invalid("the DPoP proof nonce is not a string");
        }
        if (nonceSource != null && (nonce == null || !nonceSource.isValid((String) nonce))) {
            throw new TokenVerificationException(Reason.DPOP_NONCE_REQUIRED, nonce == null
                    ? "the DPoP proof has no nonce; this server requires one"
                    : "the DPoP proof nonce is not (or no longer) valid");
        }

        // 4. binding, then single use
        if (expectedThumbprint != null && !expectedThumbprint.equals(thumbprint)) {
            throw new TokenVerificationException(Reason.BINDING_MISMATCH,
                    "the DPoP proof is signed by key " + thumbprint + ", the token is bound to " + expectedThumbprint);
        }
        boolean first;
        try {
            first = replayCache.firstUse(replayId(thumbprint, jti), iat.plus(window).plusSeconds(1));
        } catch (RuntimeException e) {
            throw new TokenVerificationException(Reason.REPLAY_CHECK_UNAVAILABLE,
                    "the DPoP replay cache cannot be consulted: " + e.getMessage(), e);
        }
        if (!first) {
            throw new TokenVerificationException(Reason.DPOP_PROOF_REPLAYED,
                    "the DPoP proof " + jti + " was already used");
        }
        return new DpopProof(jwk, thumbprint, jti, iat, htm, htu, (String) nonce);
    }

    /** {@code ath}: the base64url SHA-256 of the ASCII access token (RFC 9449 section 4.2). */
    public static String accessTokenHash(String accessToken) {
        return Base64URL.encode(sha256(accessToken.getBytes(StandardCharsets.US_ASCII))).toString();
    }

    /** The RFC 7638 SHA-256 thumbprint of a JWK, the value of {@code cnf.jkt}. */
    public static String thumbprint(JWK jwk) {
        try {
            return jwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot compute the JWK thumbprint", e);
        }
    }

    /**
     * The signature verifier of a proof key, built once per key and algorithm: a client signs its proofs with one key,
     * and a BouncyCastle key keeps the precomputed multiples of its point from one verification to the next (a key
     * converted afresh recomputes them every time, about half of a proof's cost). The key is named by its RFC 7638
     * thumbprint (crv, x, y or e, n: the whole public key), so a hit is the same key, already found to fit {@code alg}.
     */
    private JWSVerifier verifier(JWSHeader header, JWK jwk, JWSAlgorithm alg, String thumbprint)
            throws TokenVerificationException {
        String id = alg.getName() + "." + thumbprint;
        JWSVerifier known = verifiers.get(id);
        if (known != null) {
            return known;
        }
        JWSVerifier verifier;
        try {
            verifier = verifierFactory.createJWSVerifier(header, publicKey(jwk, alg));
        } catch (JOSEException e) {
            throw invalid("the DPoP proof signature cannot be verified: " + e.getMessage());
        }
        if (verifiers.size() >= MAX_CACHED_KEYS) {
            verifiers.clear();   // bounded: proofs name keys of their own choosing
        }
        verifiers.put(id, verifier);
        return verifier;
    }

    private static String keyThumbprint(JWK jwk) throws TokenVerificationException {
        try {
            return jwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException | RuntimeException e) {
            throw invalid("the DPoP proof jwk is not a valid public key");
        }
    }

    private PublicKey publicKey(JWK jwk, JWSAlgorithm alg) throws TokenVerificationException {
        try {
            if (JWSAlgorithm.Family.EC.contains(alg)) {
                if (!(jwk instanceof ECKey ec) || !Curve.forJWSAlgorithm(alg).contains(ec.getCurve())) {
                    throw invalid("the DPoP proof jwk does not fit the algorithm " + alg);
                }
                return ec.toECPublicKey(BouncyCastleProviderSingleton.getInstance());
            }
            if (!(jwk instanceof RSAKey rsa)) {
                throw invalid("the DPoP proof jwk does not fit the algorithm " + alg);
            }
            if (rsa.size() < MIN_RSA_BITS) {
                throw invalid("the DPoP proof RSA key has fewer than " + MIN_RSA_BITS + " bits");
            }
            return rsa.toRSAPublicKey();
        } catch (JOSEException e) {
            throw invalid("the DPoP proof jwk is not a valid public key");
        }
    }

    private static String stringClaim(JWTClaimsSet claims, String name) throws TokenVerificationException {
        Object value = claims.getClaim(name);
        if (value == null) {
            throw invalid("the DPoP proof has no " + name);
        }
        if (!(value instanceof String s) || s.isEmpty()) {
            throw invalid("the DPoP proof " + name + " is not a non-empty string");
        }
        return s;
    }

    private static String replayId(String thumbprint, String jti) {
        // jkt is base64url (no '.'), so the input is unambiguous; the hash bounds the id's size
        return Base64URL.encode(sha256((thumbprint + "." + jti).getBytes(StandardCharsets.UTF_8))).toString();
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static TokenVerificationException invalid(String message) {
        return new TokenVerificationException(Reason.DPOP_PROOF_INVALID, message);
    }

    /**
     * Builds a {@link DpopProofVerifier}. Defaults: ES256 only, a 60 s window either side of now, proofs of
     * at most 8192 characters, the system clock, an {@link InMemoryReplayCache}, no nonces. Not
     * thread-safe; the verifiers it builds are.
     */
    public static final class Builder {

        private Set<JWSAlgorithm> algorithms = Set.of(JWSAlgorithm.ES256);
        private Duration window = Duration.ofSeconds(60);
        private int maxProofLength = 8192;
        private Clock clock = Clock.systemUTC();
        private ReplayCache replayCache;
        private NonceSource nonceSource;

        private Builder() {
        }

        /** The accepted proof algorithms: ES256/384/512, RS256/384/512, PS256/384/512; never none or a MAC. */
        public Builder allowedAlgorithms(JWSAlgorithm... algs) {
            Objects.requireNonNull(algs, "algs");
            if (algs.length == 0) {
                throw new IllegalArgumentException("at least one algorithm is required");
            }
            Set<JWSAlgorithm> set = new LinkedHashSet<>();
            for (JWSAlgorithm alg : algs) {
                Objects.requireNonNull(alg, "algorithm");
                if (!SUPPORTED.contains(alg)) {
                    throw new IllegalArgumentException("not an accepted DPoP proof algorithm: " + alg
                            + " (never none or a MAC)");
                }
                set.add(alg);
            }
            this.algorithms = Set.copyOf(set);
            return this;
        }

        /** How far {@code iat} may be from now, either way (default 60 s, at most 5 min). */
        public Builder window(Duration window) {
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("the iat window must be positive and at most 5 minutes: " + window);
            }
            this.window = window;
            return this;
        }

        /** The longest accepted proof (default 8192 characters). */
        public Builder maxProofLength(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxProofLength must be positive: " + max);
            }
            this.maxProofLength = max;
            return this;
        }

        /** The clock for {@code iat} (default system UTC); also the default replay cache's clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where used proofs are remembered; several instances of a resource server must share one. */
        public Builder replayCache(ReplayCache cache) {
            this.replayCache = Objects.requireNonNull(cache, "cache");
            return this;
        }

        /** Requires server-provided nonces (RFC 9449 section 9). */
        public Builder nonceSource(NonceSource source) {
            this.nonceSource = Objects.requireNonNull(source, "source");
            return this;
        }

        public DpopProofVerifier build() {
            return new DpopProofVerifier(this, replayCache != null ? replayCache : new InMemoryReplayCache(clock));
        }
    }
}
