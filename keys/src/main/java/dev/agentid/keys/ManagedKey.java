package dev.agentid.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.time.Instant;
import java.util.Objects;

/**
 * One signing key of the ring with its two timestamps. Its state (pending, active, retired, expired)
 * is derived from these timestamps and the other keys; see {@link KeyRing}.
 *
 * <p>{@link #toString()} never shows the private key. Beware that {@code privateJwk().toString()}
 * does (it is Nimbus' JSON serialization): never log the JWK itself.
 *
 * @param privateJwk the private P-256 JWK, with kid
 * @param createdAt when the key was generated
 * @param activatesAt from when the key may sign (it is published in the JWKS before that)
 */
public record ManagedKey(ECKey privateJwk, Instant createdAt, Instant activatesAt) {

    public ManagedKey {
        Objects.requireNonNull(privateJwk, "privateJwk");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(activatesAt, "activatesAt");
        if (!privateJwk.isPrivate()) {
            throw new IllegalArgumentException("a managed key needs the private JWK");
        }
        if (!Curve.P_256.equals(privateJwk.getCurve())) {
            throw new IllegalArgumentException("a managed key must be on P-256, not " + privateJwk.getCurve());
        }
        if (privateJwk.getKeyID() == null || privateJwk.getKeyID().isEmpty()) {
            throw new IllegalArgumentException("a managed key needs a kid");
        }
    }

    /** The key ID (the RFC 7638 thumbprint for keys made by {@link KeyGenerator}). */
    public String kid() {
        return privateJwk.getKeyID();
    }

    /** The public half, as published in the JWKS. */
    public ECKey publicJwk() {
        return privateJwk.toPublicJWK();
    }

    @Override
    public String toString() {
        return "ManagedKey[kid=" + kid() + ", createdAt=" + createdAt + ", activatesAt=" + activatesAt + "]";
    }
}
