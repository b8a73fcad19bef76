package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.DefaultJOSEProcessor;
import com.nimbusds.jose.proc.JOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.security.Key;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The one place where Nimbus processors are assembled, for this library's callers and for the issuer: BouncyCastle
 * verifiers, an algorithm allowlist through {@link JcaKeySelector}, the expected {@code typ} values, and no claims
 * checks (callers check claims against their injected clock, each with its own refusal, using {@link #inFuture} and
 * {@link #expired} for the clock-skew window). The processors are thread-safe once built.
 */
public final class Jose {

    private Jose() {
    }

    /** A JWS verifier factory whose verifiers use the BouncyCastle provider. */
    public static DefaultJWSVerifierFactory verifiers() {
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        factory.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return factory;
    }

    /** Selects the keys of {@code source} for the {@code allowed} algorithms only, as BouncyCastle keys. */
    public static <C extends SecurityContext> JcaKeySelector<C> keys(JWKSource<C> source, JWSAlgorithm... allowed) {
        if (allowed.length == 0) {
            throw new IllegalArgumentException("no algorithm allowed");
        }
        return new JcaKeySelector<>(Set.of(allowed), source);
    }

    /**
     * A JWT processor: signature with {@code keys} (BouncyCastle), {@code typ} one of {@code types} (an empty set
     * leaves typ to the caller, which checks it with its own refusal); claims are not checked.
     */
    public static <C extends SecurityContext> DefaultJWTProcessor<C> jwtProcessor(JWSKeySelector<C> keys,
                                                                                 Set<JOSEObjectType> types) {
        DefaultJWTProcessor<C> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(keys);
        processor.setJWSVerifierFactory(verifiers());
        processor.setJWSTypeVerifier(typeVerifier(types));
        processor.setJWTClaimsSetVerifier(null);
        return processor;
    }

    /** {@link #jwtProcessor} for {@code source}'s keys of the {@code allowed} algorithms. */
    public static <C extends SecurityContext> DefaultJWTProcessor<C> jwtProcessor(JWKSource<C> source,
                                                                                 Set<JOSEObjectType> types,
                                                                                 JWSAlgorithm... allowed) {
        return jwtProcessor(keys(source, allowed), types);
    }

    /** A JOSE processor for a JWS whose payload is not read as claims here: signature and {@code typ} only. */
    public static <C extends SecurityContext> DefaultJOSEProcessor<C> joseProcessor(JWKSource<C> source,
                                                                                   Set<JOSEObjectType> types,
                                                                                   JWSAlgorithm... allowed) {
        DefaultJOSEProcessor<C> processor = new DefaultJOSEProcessor<>();
        processor.setJWSKeySelector(keys(source, allowed));
        processor.setJWSVerifierFactory(verifiers());
        processor.setJWSTypeVerifier(typeVerifier(types));
        return processor;
    }

    /** True if {@code jws} verifies with {@code key} (BouncyCastle), for the algorithm its header names. */
    public static boolean verifies(JWSObject jws, Key key) {
        try {
            return jws.verify(verifiers().createJWSVerifier(jws.getHeader(), key));
        } catch (JOSEException | IllegalStateException e) {
            return false;
        }
    }

    /** {@link #verifies(JWSObject, Key)} with a public EC JWK that is not cached (a client's own key, say). */
    public static boolean verifies(JWSObject jws, ECKey jwk) {
        try {
            return verifies(jws, jwk.toECPublicKey(BouncyCastleProviderSingleton.getInstance()));
        } catch (JOSEException e) {
            return false;
        }
    }

    private static <C extends SecurityContext> JOSEObjectTypeVerifier<C> typeVerifier(Set<JOSEObjectType> types) {
        return types.isEmpty() ? (type, context) -> { } : new DefaultJOSEObjectTypeVerifier<>(types);
    }

    /** True if {@code time} (an iat or nbf) lies beyond {@code now} by more than the skew. */
    public static boolean inFuture(Instant time, Instant now, Duration clockSkew) {
        return time.isAfter(now.plus(clockSkew));
    }

    /** True if {@code exp} lies before {@code now} by the skew or more: the token has expired. */
    public static boolean expired(Instant exp, Instant now, Duration clockSkew) {
        return !exp.plus(clockSkew).isAfter(now);
    }
}
