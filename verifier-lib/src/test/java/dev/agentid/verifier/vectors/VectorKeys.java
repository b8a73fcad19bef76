package dev.agentid.verifier.vectors;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Fixed test keys derived from fixed seeds, so the vectors are reproducible. These are test fixtures:
 * anyone can recompute the private keys from the seeds below, which is the point. Only public JWKs go
 * into the vector files.
 */
final class VectorKeys {

    private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(
            P256.getCurve(), P256.getG(), P256.getN(), P256.getH());

    private VectorKeys() {
    }

    /** A P-256 key pair: private scalar = SHA-256(seed) mod n; kid = RFC 7638 thumbprint. */
    record EcVectorKey(ECKey publicJwk, ECPrivateKeyParameters privateKey) {

        String kid() {
            return publicJwk.getKeyID();
        }

        Rfc6979EcdsaSigner signer() {
            return new Rfc6979EcdsaSigner(privateKey);
        }
    }

    /** An RSA key pair for the one vector that proves RS256 is refused even when the issuer has an RSA key. */
    record RsaVectorKey(RSAKey publicJwk, RSAPrivateKey privateKey) {
    }

    static EcVectorKey ec(String seed) {
        BigInteger d = new BigInteger(1, sha256(seed.getBytes(StandardCharsets.UTF_8))).mod(DOMAIN.getN());
        if (d.signum() == 0) {
            throw new IllegalStateException("seed yields the zero scalar: " + seed);
        }
        ECPoint q = DOMAIN.getG().multiply(d).normalize();
        try {
            ECKey publicJwk = new ECKey.Builder(Curve.P_256,
                    Base64URL.encode(fixed(q.getAffineXCoord().toBigInteger(), 32)),
                    Base64URL.encode(fixed(q.getAffineYCoord().toBigInteger(), 32)))
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint()
                    .build();
            return new EcVectorKey(publicJwk, new ECPrivateKeyParameters(d, DOMAIN));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A 2048-bit RSA key whose primes are the next probable primes after seed-derived numbers. Primality
     * testing is probabilistic but its result for a given candidate is, in practice, fixed.
     */
    static RsaVectorKey rsa(String seed) {
        BigInteger e = BigInteger.valueOf(65537);
        BigInteger p = prime(seed + " p", e);
        BigInteger q = prime(seed + " q", e);
        BigInteger n = p.multiply(q);
        BigInteger phi = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
        BigInteger d = e.modInverse(phi);
        try {
            KeyFactory factory = KeyFactory.getInstance("RSA");
            RSAPublicKey publicKey = (RSAPublicKey) factory.generatePublic(new RSAPublicKeySpec(n, e));
            RSAPrivateKey privateKey = (RSAPrivateKey) factory.generatePrivate(new RSAPrivateCrtKeySpec(n, e, d, p, q,
                    d.mod(p.subtract(BigInteger.ONE)), d.mod(q.subtract(BigInteger.ONE)), q.modInverse(p)));
            RSAKey publicJwk = new RSAKey.Builder(publicKey)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.RS256)
                    .keyIDFromThumbprint()
                    .build();
            return new RsaVectorKey(publicJwk, privateKey);
        } catch (GeneralSecurityException | JOSEException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static BigInteger prime(String seed, BigInteger e) {
        byte[] first = sha512((seed + " 0").getBytes(StandardCharsets.UTF_8));
        byte[] second = sha512((seed + " 1").getBytes(StandardCharsets.UTF_8));
        byte[] candidate = Arrays.copyOf(first, 128);
        System.arraycopy(second, 0, candidate, 64, 64);
        candidate[0] |= (byte) 0xC0; // two top bits set: the product of two such primes has 2048 bits
        BigInteger p = new BigInteger(1, candidate).nextProbablePrime();
        while (!p.subtract(BigInteger.ONE).gcd(e).equals(BigInteger.ONE)) {
            p = p.nextProbablePrime();
        }
        return p;
    }

    private static byte[] fixed(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[length];
        int start = Math.max(0, bytes.length - length);
        System.arraycopy(bytes, start, out, length - (bytes.length - start), bytes.length - start);
        return out;
    }

    private static byte[] sha256(byte[] input) {
        return digest("SHA-256", input);
    }

    private static byte[] sha512(byte[] input) {
        return digest("SHA-512", input);
    }

    private static byte[] digest(String algorithm, byte[] input) {
        try {
            return MessageDigest.getInstance(algorithm).digest(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
