package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.util.Base64URL;
import java.security.Key;
import java.security.PublicKey;
import java.util.HashSet;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Ed25519 JWS verification (RFC 8037 {@code EdDSA}, RFC 9864 {@code Ed25519}) backed by BouncyCastle.
 * Nimbus' own {@code Ed25519Verifier} needs Google Tink, which verifier-lib does not depend on. Only
 * used when a verifier's allowed algorithms include EdDSA or Ed25519.
 */
final class Ed25519Verification {

    static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    private static final int KEY_LENGTH = 32;
    private static final int SIGNATURE_LENGTH = 64;

    private Ed25519Verification() {
    }

    /** The public key of an Ed25519 OKP JWK, or null for any other JWK. */
    static PublicKey publicKey(JWK jwk) {
        if (!(jwk instanceof OctetKeyPair) || !Curve.Ed25519.equals(((OctetKeyPair) jwk).getCurve())) {
            return null;
        }
        byte[] x = ((OctetKeyPair) jwk).getX().decode();
        return x.length == KEY_LENGTH ? new RawKey(x) : null;
    }

    /** A raw 32-byte Ed25519 public key, as carried by an OKP JWK's {@code x}. */
    static final class RawKey implements PublicKey {
        private final byte[] encoded;

        RawKey(byte[] encoded) {
            this.encoded = encoded.clone();
        }

        @Override
        public String getAlgorithm() {
            return "Ed25519";
        }

        @Override
        public String getFormat() {
            return "RAW";
        }

        @Override
        public byte[] getEncoded() {
            return encoded.clone();
        }
    }

    /** Verifies one Ed25519 signature; a signature that is not exactly 64 bytes never verifies. */
    static final class Verifier implements JWSVerifier {
        private final Ed25519PublicKeyParameters key;
        private final JCAContext jcaContext = new JCAContext();

        Verifier(RawKey key) {
            this.key = new Ed25519PublicKeyParameters(key.encoded, 0);
        }

        @Override
        public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
            if (!ALGORITHMS.contains(header.getAlgorithm())) {
                throw new JOSEException("unsupported algorithm " + header.getAlgorithm());
            }
            byte[] sig = signature.decode();
            if (sig.length != SIGNATURE_LENGTH) {
                return false;
            }
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(false, key);
            signer.update(signingInput, 0, signingInput.length);
            return signer.verifySignature(sig);
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return ALGORITHMS;
        }

        @Override
        public JCAContext getJCAContext() {
            return jcaContext;
        }
    }

    /** Nimbus' verifier factory (configured with BouncyCastle) plus {@link Verifier} for Ed25519 keys. */
    static final class Factory implements JWSVerifierFactory {
        private final DefaultJWSVerifierFactory delegate;
        private final Set<JWSAlgorithm> supported;

        Factory(DefaultJWSVerifierFactory delegate) {
            this.delegate = delegate;
            Set<JWSAlgorithm> all = new HashSet<>(delegate.supportedJWSAlgorithms());
            all.addAll(ALGORITHMS);
            this.supported = Set.copyOf(all);
        }

        @Override
        public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
            if (key instanceof RawKey) {
                if (!ALGORITHMS.contains(header.getAlgorithm())) {
                    throw new JOSEException("an Ed25519 key cannot verify " + header.getAlgorithm());
                }
                return new Verifier((RawKey) key);
            }
            return delegate.createJWSVerifier(header, key);
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return supported;
        }

        @Override
        public JCAContext getJCAContext() {
            return delegate.getJCAContext();
        }
    }
}
