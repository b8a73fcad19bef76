package dev.agentid.verifier.binding;

import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code cnf} (confirmation) claim of a token (RFC 7800): the key the token is bound to. This profile
 * defines two confirmation methods (spec/agent-token-profile.md, section "Sender-constrained tokens"):
 *
 * <ul>
 *   <li>{@code jkt}: the RFC 7638 SHA-256 thumbprint of the public key that signs DPoP proofs (RFC 9449
 *       section 6);</li>
 *   <li>{@code x5t#S256}: the SHA-256 thumbprint of the DER certificate the client presents in mutual TLS
 *       (RFC 8705 section 3.1).</li>
 * </ul>
 *
 * A token without {@code cnf} is a bearer token ({@link #NONE}). Immutable and thread-safe.
 */
public final class Confirmation {

    /** The DPoP confirmation method: {@code cnf.jkt}. */
    public static final String JKT = "jkt";
    /** The certificate confirmation method: {@code cnf.x5t#S256}. */
    public static final String X5T_S256 = "x5t#S256";

    /** No {@code cnf} claim: a bearer token. */
    public static final Confirmation NONE = new Confirmation(null, null, Set.of());

    /** A SHA-256 thumbprint: 43 characters of unpadded base64url. */
    private static final Pattern SHA256_THUMBPRINT = Pattern.compile("[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]");

    private final String jwkThumbprint;
    private final String certificateThumbprint;
    private final Set<String> methods;

    private Confirmation(String jwkThumbprint, String certificateThumbprint, Set<String> methods) {
        this.jwkThumbprint = jwkThumbprint;
        this.certificateThumbprint = certificateThumbprint;
        this.methods = methods;
    }

    /** A confirmation binding to a DPoP key: {@code {"jkt": thumbprint}}. */
    public static Confirmation ofJwkThumbprint(String jkt) {
        requireThumbprint(jkt, JKT);
        return new Confirmation(jkt, null, Set.of(JKT));
    }

    /** A confirmation binding to a TLS client certificate: {@code {"x5t#S256": thumbprint}}. */
    public static Confirmation ofCertificateThumbprint(String x5tS256) {
        requireThumbprint(x5tS256, X5T_S256);
        return new Confirmation(null, x5tS256, Set.of(X5T_S256));
    }

    /**
     * Parses the value of a {@code cnf} claim as Nimbus returns it ({@code null} when absent).
     *
     * @throws TokenVerificationException {@link Reason#INVALID_CLAIM} if {@code cnf} is not a JSON object,
     *         is empty, or {@code jkt} / {@code x5t#S256} is not a 43-character base64url SHA-256 thumbprint
     */
    public static Confirmation fromClaim(Object cnf) throws TokenVerificationException {
        if (cnf == null) {
            return NONE;
        }
        if (!(cnf instanceof Map<?, ?> members)) {
            throw invalid("the cnf claim is not a JSON object");
        }
        if (members.isEmpty()) {
            throw invalid("the cnf claim is an empty object");
        }
        Set<String> methods = new LinkedHashSet<>();
        for (Object name : members.keySet()) {
            methods.add(String.valueOf(name));
        }
        String jkt = thumbprintMember(members, JKT);
        String x5t = thumbprintMember(members, X5T_S256);
        return new Confirmation(jkt, x5t, Collections.unmodifiableSet(methods));
    }

    /** The {@code cnf.jkt} value, if the token is bound to a DPoP key. */
    public Optional<String> jwkThumbprint() {
        return Optional.ofNullable(jwkThumbprint);
    }

    /** The {@code cnf.x5t#S256} value, if the token is bound to a TLS client certificate. */
    public Optional<String> certificateThumbprint() {
        return Optional.ofNullable(certificateThumbprint);
    }

    /** The member names of {@code cnf}, including methods this profile does not define ({@code jwk}, {@code kid}, ...). */
    public Set<String> methods() {
        return methods;
    }

    /** Whether the token carries a {@code cnf} claim, i.e. is not a bearer token. */
    public boolean isBound() {
        return !methods.isEmpty();
    }

    /** The claim value, for minting: a JSON object of the known members. */
    public Map<String, Object> toClaim() {
        Map<String, Object> claim = new java.util.LinkedHashMap<>();
        if (jwkThumbprint != null) {
            claim.put(JKT, jwkThumbprint);
        }
        if (certificateThumbprint != null) {
            claim.put(X5T_S256, certificateThumbprint);
        }
        return Collections.unmodifiableMap(claim);
    }

    private static String thumbprintMember(Map<?, ?> members, String name) throws TokenVerificationException {
        if (!members.containsKey(name)) {
            return null;
        }
        Object value = members.get(name);
        if (!(value instanceof String s) || !SHA256_THUMBPRINT.matcher(s).matches()) {
            throw invalid("cnf." + name + " is not a base64url SHA-256 thumbprint");
        }
        return s;
    }

    private static void requireThumbprint(String value, String name) {
        Objects.requireNonNull(value, name);
        if (!SHA256_THUMBPRINT.matcher(value).matches()) {
            throw new IllegalArgumentException(name + " must be a base64url SHA-256 thumbprint (43 characters)");
        }
    }

    private static TokenVerificationException invalid(String message) {
        return new TokenVerificationException(Reason.INVALID_CLAIM, message);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Confirmation c && Objects.equals(jwkThumbprint, c.jwkThumbprint)
                && Objects.equals(certificateThumbprint, c.certificateThumbprint) && methods.equals(c.methods);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jwkThumbprint, certificateThumbprint, methods);
    }

    @Override
    public String toString() {
        return isBound() ? "Confirmation" + toClaim() + (methods.size() > toClaim().size() ? " methods=" + methods : "")
                : "Confirmation[none]";
    }
}
