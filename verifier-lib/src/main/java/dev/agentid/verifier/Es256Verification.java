package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;
import java.util.Set;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.jcajce.provider.asymmetric.util.ECUtil;

/**
 * ES256 verification on BouncyCastle's ECDSA directly: the JWS signature is P1363 ({@code r || s}, 64 bytes), so it is
 * checked as it is, with the key's curve parameters (and BouncyCastle's precomputed multiples of its point) made once
 * per key. Nimbus' {@code ECDSAVerifier} reaches the same BouncyCastle code through the JCA, per call looking the
 * {@code Signature} up, range-checking {@code r} and {@code s} and re-encoding them as DER, and hashing the signing
 * input with BouncyCastle's SHA-256; {@link ECDSASigner} checks that {@code r} and {@code s} lie in {@code [1, n-1]}
 * itself, and the signing input is hashed with the JDK's SHA-256 (see {@code sha256}). Used by {@link IssuerKeys} for
 * P-256 keys of trusted issuers; the Wycheproof P1363 vectors run through it ({@code WycheproofEcdsaP256Test}).
 */
final class Es256Verification {

    private static final int HALF = 32;
    private static final String SHA_256 = "SHA-256";
    /** The JDK's own provider, named so that a provider an application registers first (BouncyCastle) is not used. */
    private static final Provider JDK_DIGESTS = Security.getProvider("SUN");

    private Es256Verification() {
    }

    /** A verifier for {@code key}, or null when it is not a P-256 key (Nimbus' own verifier is used then). */
    static JWSVerifier forKey(java.security.Key key) {
        if (!(key instanceof ECPublicKey ec) || !Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
            return null;
        }
        try {
            return new Verifier((ECPublicKeyParameters) ECUtil.generatePublicKeyParameter(ec));
        } catch (InvalidKeyException | ClassCastException e) {
            return null;
        }
    }

    static final class Verifier implements JWSVerifier {
        private final ECPublicKeyParameters key;
        private final JCAContext jcaContext = new JCAContext();

        Verifier(ECPublicKeyParameters key) {
            this.key = key;
        }

        @Override
        public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
            if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
                throw new JOSEException("unsupported algorithm " + header.getAlgorithm());
            }
            if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
                return false;   // no extension is understood (RFC 7515 section 4.1.11)
            }
            byte[] sig;
            try {
                // the JDK's decoder, strict about the alphabet (Nimbus' own skips characters outside it)
                sig = Base64.getUrlDecoder().decode(signature.toString());
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (sig.length != 2 * HALF) {
                return false;
            }
            BigInteger r = new BigInteger(1, sig, 0, HALF);
            BigInteger s = new BigInteger(1, sig, HALF, HALF);
            byte[] hash = sha256(signingInput);
            ECDSASigner signer = new ECDSASigner();
            signer.init(false, key);
            return signer.verifySignature(hash, r, s);
        }

        /**
         * The JDK's SHA-256, not BouncyCastle's {@code SHA256Digest}: HotSpot compiles the JDK's to the CPU's SHA
         * instructions (or AVX2), about six times faster for a token's signing input (0.4 against 2.5 us for 640
         * bytes here), a few percent of the whole verification. A JVM without the {@code SUN} provider (a FIPS set-up)
         * gets the first provider's SHA-256.
         */
        private static byte[] sha256(byte[] input) throws JOSEException {
            try {
                MessageDigest digest = JDK_DIGESTS != null ? MessageDigest.getInstance(SHA_256, JDK_DIGESTS)
                        : MessageDigest.getInstance(SHA_256);
                return digest.digest(input);
            } catch (NoSuchAlgorithmException e) {
                throw new JOSEException("the JDK has no SHA-256", e);   // every Java SE has it
            }
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.ES256);
        }

        @Override
        public JCAContext getJCAContext() {
            return jcaContext;
        }
    }
}
