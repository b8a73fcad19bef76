package dev.agentid.issuer.attestation;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.X509CertUtils;

import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The attesters the issuer trusts, and its freshness policy: an immutable snapshot of the attesters
 * file ({@code ISSUER_ATTESTERS_FILE}).
 *
 * <pre>
 * {
 *   "max_age_seconds": 300,          // optional: an attestation older than this (by iat) is stale
 *   "pop_max_age_seconds": 300,      // optional: a proof of possession older than this is refused
 *   "attesters": [
 *     {"iss": "https://attester.example", "jwks": {"keys": [...]}},
 *     {"iss": "https://tee.example", "x5c_roots": ["-----BEGIN CERTIFICATE-----\n..."]}
 *   ]
 * }
 * </pre>
 *
 * An attester is trusted by its {@code iss} and either its public JWK set (the attestation's key is
 * selected by {@code kid} and {@code alg}) or its X.509 roots (the attestation's {@code x5c} chain
 * must validate to one of them, PKIX, at the time of the request).
 */
public final class TrustedAttesters {

    /** Signature algorithms accepted for client attestations and their proofs of possession. */
    public static final List<JWSAlgorithm> ALGORITHMS = List.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384,
            JWSAlgorithm.ES512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.RS256);

    static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);
    static final Duration DEFAULT_POP_MAX_AGE = Duration.ofMinutes(5);
    private static final Set<String> TOP_FIELDS = Set.of("attesters", "max_age_seconds", "pop_max_age_seconds");
    private static final Set<String> ATTESTER_FIELDS = Set.of("iss", "jwks", "x5c_roots");

    /** One trusted attester: exactly one of {@code jwks} and {@code roots} is set. */
    public record Attester(String issuer, JWKSet jwks, Set<TrustAnchor> roots) {
    }

    /** No attester is trusted: every attestation is refused as untrusted. */
    public static final TrustedAttesters NONE = new TrustedAttesters(Map.of(), DEFAULT_MAX_AGE, DEFAULT_POP_MAX_AGE);

    private final Map<String, Attester> byIssuer;
    private final Duration maxAge;
    private final Duration popMaxAge;

    private TrustedAttesters(Map<String, Attester> byIssuer, Duration maxAge, Duration popMaxAge) {
        this.byIssuer = byIssuer;
        this.maxAge = maxAge;
        this.popMaxAge = popMaxAge;
    }

    /** The attester with this identifier, or null when it is not trusted. */
    public Attester attester(String issuer) {
        return byIssuer.get(issuer);
    }

    public Set<String> issuers() {
        return byIssuer.keySet();
    }

    /** How old (by its {@code iat}) an attestation may be. */
    public Duration maxAge() {
        return maxAge;
    }

    /** How old (by its {@code iat}) a proof of possession may be; its {@code jti} is remembered this long. */
    public Duration popMaxAge() {
        return popMaxAge;
    }

    /**
     * Parses the attesters file.
     *
     * @throws IllegalArgumentException naming the first problem (never echoing key material)
     */
    public static TrustedAttesters parse(String json) {
        dev.agentid.issuer.json.JsonSyntax.check(json);   // a syntax error with its line and column
        Map<String, Object> top;
        try {
            top = JSONObjectUtils.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("the attesters file is not a JSON object");
        }
        for (String name : top.keySet()) {
            if (!TOP_FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown member '" + name + "' in the attesters file");
            }
        }
        Duration maxAge = seconds(top, "max_age_seconds", DEFAULT_MAX_AGE, 86_400);
        Duration popMaxAge = seconds(top, "pop_max_age_seconds", DEFAULT_POP_MAX_AGE, 3_600);
        Object list = top.get("attesters");
        if (!(list instanceof List)) {
            throw new IllegalArgumentException("'attesters' must be an array");
        }
        Map<String, Attester> byIssuer = new LinkedHashMap<>();
        for (Object entry : (List<?>) list) {
            Attester attester = attester(entry);
            if (byIssuer.put(attester.issuer(), attester) != null) {
                throw new IllegalArgumentException("attester '" + attester.issuer() + "' is listed twice");
            }
        }
        return new TrustedAttesters(Map.copyOf(byIssuer), maxAge, popMaxAge);
    }

    private static Attester attester(Object entry) {
        if (!(entry instanceof Map)) {
            throw new IllegalArgumentException("every attester must be a JSON object");
        }
        Map<?, ?> map = (Map<?, ?>) entry;
        for (Object name : map.keySet()) {
            if (!ATTESTER_FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown member '" + name + "' of an attester");
            }
        }
        Object iss = map.get("iss");
        if (!(iss instanceof String) || ((String) iss).isBlank()) {
            throw new IllegalArgumentException("every attester needs a non-empty 'iss'");
        }
        String issuer = (String) iss;
        boolean hasJwks = map.containsKey("jwks");
        boolean hasRoots = map.containsKey("x5c_roots");
        if (hasJwks == hasRoots) {
            throw new IllegalArgumentException("attester '" + issuer + "' needs exactly one of 'jwks' and 'x5c_roots'");
        }
        if (hasJwks) {
            return new Attester(issuer, jwks(issuer, map.get("jwks")), null);
        }
        return new Attester(issuer, null, roots(issuer, map.get("x5c_roots")));
    }

    @SuppressWarnings("unchecked")
    private static JWKSet jwks(String issuer, Object value) {
        JWKSet set;
        try {
            set = value instanceof Map ? JWKSet.parse((Map<String, Object>) value) : null;
        } catch (ParseException e) {
            set = null;
        }
        if (set == null || set.getKeys().isEmpty()) {
            throw new IllegalArgumentException("attester '" + issuer + "': 'jwks' must be a non-empty JWK set");
        }
        for (JWK key : set.getKeys()) {
            if (key.isPrivate()) {
                throw new IllegalArgumentException("attester '" + issuer + "': 'jwks' must hold public keys only");
            }
        }
        return set;
    }

    private static Set<TrustAnchor> roots(String issuer, Object value) {
        if (!(value instanceof List) || ((List<?>) value).isEmpty()) {
            throw new IllegalArgumentException("attester '" + issuer + "': 'x5c_roots' must be a non-empty array");
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        for (Object pem : (List<?>) value) {
            X509Certificate cert = pem instanceof String ? X509CertUtils.parse((String) pem) : null;
            if (cert == null) {
                throw new IllegalArgumentException("attester '" + issuer + "': an x5c root is not a PEM certificate");
            }
            anchors.add(new TrustAnchor(cert, null));
        }
        return Set.copyOf(anchors);
    }

    private static Duration seconds(Map<String, Object> top, String name, Duration def, long max) {
        Object value = top.get(name);
        if (value == null) {
            return def;
        }
        if (!(value instanceof Number) || ((Number) value).doubleValue() != Math.rint(((Number) value).doubleValue())
                || ((Number) value).longValue() < 1 || ((Number) value).longValue() > max) {
            throw new IllegalArgumentException("'" + name + "' must be an integer between 1 and " + max);
        }
        return Duration.ofSeconds(((Number) value).longValue());
    }

    /** Names only. */
    @Override
    public String toString() {
        return "TrustedAttesters" + new ArrayList<>(byIssuer.keySet()) + "[maxAge=" + maxAge + ", popMaxAge="
                + popMaxAge + "]";
    }
}
