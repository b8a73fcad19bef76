package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.Key;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One trusted issuer's keys and signature check: what Nimbus' {@code DefaultJOSEProcessor} does for a JWS (select
 * the candidate keys with the issuer's key selector, then try a verifier per key), without its per-call costs. The
 * caller has already checked the header (alg allowlist, typ, no crit), and hands over the signing input it cut from
 * the compact token, so no {@code JWSObject} is built and no header is parsed a second time. Each key's Nimbus
 * verifier is made once and kept (a verifier holds no per-call state), instead of once per token: a new
 * {@code ECDSAVerifier} checks its key's point on every construction. The key matcher of an (alg, kid) pair is made
 * once too. ES256 with a P-256 key goes to
 * {@link Es256Verification} (BouncyCastle's ECDSA on the P1363 signature as it is); everything else to Nimbus.
 *
 * <p>Thread-safe. The verifier cache is a small copy-on-write array compared by key identity ({@link JcaKeys} hands out
 * one Java key per JWK), so a rotated-out key simply stops being looked up, and the array starts over when full.
 */
final class IssuerKeys {

    /** Keys of one issuer in use at once: current, next and previous, for a few algorithms; more start over. */
    private static final int MAX_VERIFIERS = 16;

    private record Prepared(Key key, JWSAlgorithm alg, JWSVerifier verifier) {
    }

    private final KidKeySelector selector;
    private final JWSVerifierFactory factory;
    private volatile Prepared[] prepared = new Prepared[0];

    IssuerKeys(KidKeySelector selector, JWSVerifierFactory factory) {
        this.selector = selector;
        this.factory = factory;
    }

    JWSVerifierFactory factory() {
        return factory;
    }

    /**
     * Verifies {@code signature} over {@code signingInput} with the issuer's keys that {@code header} selects.
     *
     * @throws NoMatchingKeyException no key of the issuer fits the kid and alg
     * @throws KeySourceException the issuer's keys could not be obtained
     * @throws BadJWSException no selected key verifies the signature
     * @throws JOSEException a verifier could not be made or failed
     */
    void verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws KeySourceException,
            BadJWSException, JOSEException {
        List<Key> keys = selector.selectJWSKeys(header, null);
        for (Key key : keys) {
            if (verifier(header, key).verify(header, signingInput, signature)) {
                return;
            }
        }
        throw new BadJWSException("Signed JOSE object rejected: Invalid signature");
    }

    private JWSVerifier verifier(JWSHeader header, Key key) throws JOSEException {
        if (key instanceof Ed25519Verification.RawKey) {
            return factory.createJWSVerifier(header, key);   // a new raw key per selection, and cheap to wrap
        }
        JWSAlgorithm alg = header.getAlgorithm();
        Prepared[] current = prepared;
        for (Prepared p : current) {
            if (p.key == key && p.alg.equals(alg)) {
                return p.verifier;
            }
        }
        JWSVerifier fast = JWSAlgorithm.ES256.equals(alg) ? Es256Verification.forKey(key) : null;
        JWSVerifier made = fast != null ? fast : factory.createJWSVerifier(header, key);
        Prepared[] next;
        if (current.length >= MAX_VERIFIERS) {
            next = new Prepared[] {new Prepared(key, alg, made)};
        } else {
            next = java.util.Arrays.copyOf(current, current.length + 1);
            next[current.length] = new Prepared(key, alg, made);
        }
        prepared = next;   // a lost race only makes a verifier twice
        return made;
    }

    /**
     * Nimbus' key selector, matching only on what the profile allows (section 5.2.6): the {@code kid},
     * and a key whose type and curve fit the {@code alg}, whose {@code alg} (if any) is the header's and
     * whose {@code use} (if any) is {@code sig}. Unlike {@link JWKMatcher#forJWSHeader} it ignores header
     * certificate thumbprints. An empty selection becomes {@link NoMatchingKeyException}.
     */
    static final class KidKeySelector extends JcaKeySelector<SecurityContext> {

        private static final JWKSelector ANY_KEY = new JWKSelector(new JWKMatcher.Builder().build());
        private static final int MAX_MATCHERS = 64;

        private record MatcherKey(JWSAlgorithm alg, String kid) {
        }

        private final Map<MatcherKey, JWKMatcher> matchers = new ConcurrentHashMap<>();

        KidKeySelector(Set<JWSAlgorithm> algorithms, JWKSource<SecurityContext> source) {
            super(algorithms, source);
        }

        @Override
        protected JWKMatcher createJWKMatcher(JWSHeader header) {
            JWSAlgorithm alg = header.getAlgorithm();
            if (!isAllowed(alg)) {
                return null;
            }
            // a matcher is immutable and depends on alg and kid only: made once per pair, not per token. The
            // pairs come from unverified headers, so the map is bounded and starts over when full.
            MatcherKey key = new MatcherKey(alg, header.getKeyID());
            JWKMatcher matcher = matchers.get(key);
            if (matcher == null) {
                matcher = matcher(alg, header.getKeyID());
                if (matchers.size() >= MAX_MATCHERS) {
                    matchers.clear();
                }
                matchers.put(key, matcher);
            }
            return matcher;
        }

        private static JWKMatcher matcher(JWSAlgorithm alg, String kid) {
            JWKMatcher.Builder matcher = new JWKMatcher.Builder()
                    .keyType(KeyType.forAlgorithm(alg))
                    .keyID(kid)
                    .keyUses(KeyUse.SIGNATURE, null)
                    .algorithms(alg, null);
            Set<Curve> curves = Ed25519Verification.ALGORITHMS.contains(alg) ? Set.of(Curve.Ed25519)
                    : Curve.forJWSAlgorithm(alg);
            if (curves != null) {
                matcher.curves(curves);
            }
            return matcher.build();
        }

        @Override
        public List<Key> selectJWSKeys(JWSHeader header, SecurityContext context) throws KeySourceException {
            List<Key> keys;
            try {
                keys = Ed25519Verification.ALGORITHMS.contains(header.getAlgorithm())
                        ? selectEd25519Keys(header, context)
                        : super.selectJWSKeys(header, context);
            } catch (RateLimitReachedException e) {
                // Nimbus refetches the key set for an unknown kid, at most so often. When that refetch
                // is refused but the issuer's (cached) key set is at hand, the kid is simply unknown;
                // without any key set the keys are unavailable (the lookup below throws again).
                if (!getJWKSource().get(ANY_KEY, context).isEmpty()) {
                    throw new NoMatchingKeyException();
                }
                throw e;
            }
            if (keys.isEmpty()) {
                throw new NoMatchingKeyException();
            }
            return keys;
        }

        /** Nimbus cannot turn an OKP JWK into a Java key; this does it for Ed25519 public keys. */
        private List<Key> selectEd25519Keys(JWSHeader header, SecurityContext context) throws KeySourceException {
            List<Key> keys = new ArrayList<>(1);
            for (JWK jwk : getJWKSource().get(new JWKSelector(createJWKMatcher(header)), context)) {
                PublicKey key = Ed25519Verification.publicKey(jwk);
                if (key != null) {
                    keys.add(key);
                }
            }
            return keys;
        }
    }

    /** Signals "no key of this issuer matches kid and alg" out of a Nimbus key selector. */
    static final class NoMatchingKeyException extends KeySourceException {
        NoMatchingKeyException() {
            super("no matching key");
        }
    }
}
