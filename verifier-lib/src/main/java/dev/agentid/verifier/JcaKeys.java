package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.security.PublicKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Public JWKs as Java keys, converted once. EC keys become BouncyCastle keys, so that a BouncyCastle
 * verifier uses them as they are (a JDK key is converted on every verification, and loses the
 * precomputed multiples of its point). Only keys of trusted issuers' sets come here; the map is
 * bounded anyway and simply starts over when full.
 */
public final class JcaKeys {

    private static final int MAX_ENTRIES = 10_000;
    private static final Map<JWK, PublicKey> CACHE = new ConcurrentHashMap<>();

    private JcaKeys() {
    }

    /** The Java public key of an EC or RSA JWK, or null if it has none. */
    public static PublicKey publicKey(JWK jwk) {
        PublicKey cached = CACHE.get(jwk);
        if (cached != null) {
            return cached;
        }
        PublicKey key = convert(jwk);
        if (key != null) {
            if (CACHE.size() >= MAX_ENTRIES) {
                CACHE.clear();
            }
            CACHE.put(jwk, key);
        }
        return key;
    }

    private static PublicKey convert(JWK jwk) {
        try {
            if (jwk instanceof ECKey) {
                return ((ECKey) jwk).toECPublicKey(BouncyCastleProviderSingleton.getInstance());
            }
            if (jwk instanceof RSAKey) {
                return ((RSAKey) jwk).toRSAPublicKey();
            }
        } catch (JOSEException e) {
            return null;   // not a usable key: selects nothing
        }
        return null;
    }
}
