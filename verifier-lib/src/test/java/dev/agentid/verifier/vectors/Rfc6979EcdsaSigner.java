package dev.agentid.verifier.vectors;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.Set;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;

/**
 * An ES256 {@link JWSSigner} whose signatures are deterministic (RFC 6979, HMAC-SHA-256 nonces), so that
 * regenerating the test vectors reproduces them byte for byte. Nimbus still builds and serializes the
 * JWS; this class only plugs BouncyCastle's lightweight ECDSA in as the crypto backend.
 *
 * <p>Test code only: a deterministic nonce is safe, but nothing outside the vector generator needs it.
 */
final class Rfc6979EcdsaSigner implements JWSSigner {

    private static final int COORDINATE_BYTES = 32;

    private final ECPrivateKeyParameters privateKey;
    private final JCAContext jcaContext = new JCAContext();

    Rfc6979EcdsaSigner(ECPrivateKeyParameters privateKey) {
        this.privateKey = privateKey;
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
            throw new JOSEException("only ES256 is supported, got " + header.getAlgorithm());
        }
        SHA256Digest digest = new SHA256Digest();
        digest.update(signingInput, 0, signingInput.length);
        byte[] hash = new byte[digest.getDigestSize()];
        digest.doFinal(hash, 0);

        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, privateKey);
        BigInteger[] rs = signer.generateSignature(hash);

        byte[] jose = new byte[2 * COORDINATE_BYTES];
        copyUnsigned(rs[0], jose, 0);
        copyUnsigned(rs[1], jose, COORDINATE_BYTES);
        return Base64URL.encode(jose);
    }

    private static void copyUnsigned(BigInteger value, byte[] out, int offset) {
        byte[] bytes = value.toByteArray();
        int start = bytes.length > COORDINATE_BYTES ? bytes.length - COORDINATE_BYTES : 0;
        int length = bytes.length - start;
        System.arraycopy(bytes, start, out, offset + COORDINATE_BYTES - length, length);
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
