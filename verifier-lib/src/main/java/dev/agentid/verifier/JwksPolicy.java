package dev.agentid.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.utils.ECChecks;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.math.BigInteger;
import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Vets a JWK set before it is trusted for signature verification: the checks that Nimbus leaves to the
 * application (Wycheproof {@code json_web_key_test.json} lists them). Used for the static key sets of
 * {@link AgentTokenVerifier.Builder#trustIssuer(String, JWKSet)} and by the issuer for agent
 * registration key sets.
 *
 * <p>A set passes when it is non-empty and every key is a public EC P-256 or RSA key of at least 2048
 * bits, usable for verification, with no duplicate {@code kid}. The exception message names the first
 * problem found and never contains key material.
 */
public final class JwksPolicy {

    /** The only elliptic curve accepted. */
    public static final Set<Curve> ALLOWED_CURVES = Set.of(Curve.P_256);

    /** The smallest accepted RSA modulus. */
    public static final int MIN_RSA_BITS = 2048;

    private static final Set<JWSAlgorithm> EC_ALGORITHMS = Set.of(JWSAlgorithm.ES256);
    private static final Set<JWSAlgorithm> RSA_ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

    private JwksPolicy() {
    }

    /**
     * Parses a JWK set document and vets it.
     *
     * @throws IllegalArgumentException if the JSON is not a JWK set or the set fails a check
     */
    public static JWKSet requirePublicSigningKeys(String jwkSetJson) {
        Objects.requireNonNull(jwkSetJson, "jwkSetJson");
        JWKSet set;
        try {
            set = JWKSet.parse(jwkSetJson);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid JWK set: " + e.getMessage(), e);
        }
        return requirePublicSigningKeys(set);
    }

    /**
     * Vets a JWK set and returns it unchanged.
     *
     * @throws IllegalArgumentException naming the first problem: empty set, a duplicate {@code kid},
     *         mixed symmetric and asymmetric keys, a symmetric key, private key material, an
     *         unsupported key type, {@code use}/{@code key_ops} not allowing verification, an
     *         {@code alg} that does not fit the key, an EC curve other than P-256 or a point off the
     *         curve, an RSA modulus below 2048 bits, an RSA exponent of 1 or an even exponent, or an
     *         RSA modulus with the ROCA fingerprint (CVE-2017-15361)
     */
    public static JWKSet requirePublicSigningKeys(JWKSet set) {
        return vet(set, false);
    }

    /**
     * The vetting of a verifier's static trusted key set: {@link #requirePublicSigningKeys(JWKSet)},
     * except that Ed25519 public keys (OKP) are also accepted, for verifiers that allow EdDSA.
     */
    static JWKSet requireVerificationKeys(JWKSet set) {
        return vet(set, true);
    }

    private static JWKSet vet(JWKSet set, boolean allowEd25519) {
        Objects.requireNonNull(set, "set");
        List<JWK> keys = set.getKeys();
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the JWK set holds no keys");
        }
        Set<String> kids = new HashSet<>();
        for (JWK key : keys) {
            if (key.getKeyID() != null && !kids.add(key.getKeyID())) {
                throw new IllegalArgumentException("the JWK set holds the kid '" + key.getKeyID() + "' twice");
            }
        }
        boolean symmetric = false;
        boolean asymmetric = false;
        for (JWK key : keys) {
            if (KeyType.OCT.equals(key.getKeyType())) {
                symmetric = true;
            } else {
                asymmetric = true;
            }
        }
        if (symmetric && asymmetric) {
            throw new IllegalArgumentException("the JWK set mixes symmetric and asymmetric keys");
        }
        if (symmetric) {
            throw new IllegalArgumentException("the JWK set holds a symmetric (oct) key; only public keys are allowed");
        }
        for (JWK key : keys) {
            vetKey(key, allowEd25519);
        }
        return set;
    }

    /**
     * Vets one key; see {@link #requirePublicSigningKeys(JWKSet)}.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static JWK requirePublicSigningKey(JWK key) {
        return vetKey(key, false);
    }

    private static JWK vetKey(JWK key, boolean allowEd25519) {
        Objects.requireNonNull(key, "key");
        String name = key.getKeyID() == null ? "a key" : "key '" + key.getKeyID() + "'";
        if (KeyType.OCT.equals(key.getKeyType())) {
            throw new IllegalArgumentException(name + " is symmetric (oct); only public keys are allowed");
        }
        if (key.isPrivate()) {
            throw new IllegalArgumentException(name + " holds private key material");
        }
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            throw new IllegalArgumentException(name + " has use '" + key.getKeyUse().identifier()
                    + "', not 'sig'");
        }
        if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY)) {
            throw new IllegalArgumentException(name + " has key_ops without 'verify'");
        }
        if (key instanceof ECKey) {
            vetEc((ECKey) key, name);
        } else if (key instanceof RSAKey) {
            vetRsa((RSAKey) key, name);
        } else if (allowEd25519 && key instanceof OctetKeyPair) {
            vetEd25519((OctetKeyPair) key, name);
        } else {
            throw new IllegalArgumentException(name + " has the unsupported key type " + key.getKeyType());
        }
        return key;
    }

    private static void vetEc(ECKey key, String name) {
        Curve curve = key.getCurve();
        if (!ALLOWED_CURVES.contains(curve)) {
            throw new IllegalArgumentException(name + " is on the curve " + curve + "; only P-256 is allowed");
        }
        requireAlgorithm(key, EC_ALGORITHMS, name);
        BigInteger x = key.getX().decodeToBigInteger();
        BigInteger y = key.getY().decodeToBigInteger();
        if (!ECChecks.isPointOnCurve(x, y, curve.toECParameterSpec())) {
            throw new IllegalArgumentException(name + " is a point that is not on the curve " + curve);
        }
    }

    private static void vetEd25519(OctetKeyPair key, String name) {
        if (!Curve.Ed25519.equals(key.getCurve())) {
            throw new IllegalArgumentException(name + " is on the curve " + key.getCurve() + "; only Ed25519 is allowed");
        }
        requireAlgorithm(key, Ed25519Verification.ALGORITHMS, name);
        if (Ed25519Verification.publicKey(key) == null) {
            throw new IllegalArgumentException(name + " is not a 32-byte Ed25519 public key");
        }
    }

    private static void vetRsa(RSAKey key, String name) {
        requireAlgorithm(key, RSA_ALGORITHMS, name);
        BigInteger n = key.getModulus().decodeToBigInteger();
        BigInteger e = key.getPublicExponent().decodeToBigInteger();
        if (n.bitLength() < MIN_RSA_BITS) {
            throw new IllegalArgumentException(name + " is an RSA key of " + n.bitLength()
                    + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        if (e.compareTo(BigInteger.ONE) <= 0 || !e.testBit(0)) {
            throw new IllegalArgumentException(name + " has the RSA public exponent " + e
                    + "; it must be odd and greater than 1");
        }
        if (Roca.hasFingerprint(n)) {
            throw new IllegalArgumentException(name + " is an RSA key with the ROCA fingerprint (CVE-2017-15361)");
        }
    }

    private static void requireAlgorithm(JWK key, Set<JWSAlgorithm> allowed, String name) {
        if (key.getAlgorithm() != null && !allowed.contains(key.getAlgorithm())) {
            throw new IllegalArgumentException(name + " has alg '" + key.getAlgorithm().getName()
                    + "', which does not fit a " + key.getKeyType() + " signing key"
                    + (key instanceof ECKey ? " on " + ((ECKey) key).getCurve() : ""));
        }
    }

    /**
     * The ROCA fingerprint test of Nemec et al. (CCS 2017): moduli made by the vulnerable Infineon
     * library are, modulo each small prime p, in the subgroup generated by 65537. A random modulus
     * passes all these tests with negligible probability.
     */
    static final class Roca {
        private static final int[] PRIMES = {3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61,
            67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
        private static final boolean[][] SUBGROUP = new boolean[PRIMES.length][];

        static {
            for (int i = 0; i < PRIMES.length; i++) {
                int p = PRIMES[i];
                boolean[] member = new boolean[p];
                int g = 65537 % p;
                int r = 1;
                do {
                    member[r] = true;
                    r = (r * g) % p;
                } while (r != 1);
                SUBGROUP[i] = member;
            }
        }

        private Roca() {
        }

        static boolean hasFingerprint(BigInteger modulus) {
            for (int i = 0; i < PRIMES.length; i++) {
                int residue = modulus.mod(BigInteger.valueOf(PRIMES[i])).intValue();
                if (!SUBGROUP[i][residue]) {
                    return false;
                }
            }
            return true;
        }
    }
}
