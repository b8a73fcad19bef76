package dev.agentid.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.Date;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Generates ES256 (P-256) signing keys with the BouncyCastle provider, never the JDK's.
 *
 * <p>The JWK carries {@code kid} = RFC 7638 SHA-256 thumbprint of the public key, {@code use: sig},
 * {@code alg: ES256} and {@code iat} from the given clock.
 */
public final class KeyGenerator {

    private KeyGenerator() {
    }

    /** A fresh private P-256 JWK. */
    public static ECKey generateEs256(Clock clock) {
        KeyPair pair = newP256KeyPair();
        try {
            return new ECKey.Builder(Curve.P_256, (ECPublicKey) pair.getPublic())
                    .privateKey((ECPrivateKey) pair.getPrivate())
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .issueTime(Date.from(clock.instant()))
                    .keyIDFromThumbprint()
                    .build();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot compute the JWK thumbprint", e);
        }
    }

    /** The raw key pair, made by BouncyCastle's {@code KeyPairGenerator("EC")}. Visible for tests. */
    static KeyPair newP256KeyPair() {
        try {
            KeyPairGenerator generator =
                    KeyPairGenerator.getInstance("EC", BouncyCastleProviderSingleton.getInstance());
            generator.initialize(new ECGenParameterSpec(Curve.P_256.getStdName()), new SecureRandom());
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("BouncyCastle cannot generate a P-256 key pair", e);
        }
    }

    /**
     * Whether the private scalar {@code d} of a P-256 JWK belongs to its public point (x, y). A key
     * file whose {@code d} was damaged would sign tokens that verify against nothing, so loading
     * checks this.
     */
    static boolean privateMatchesPublic(ECKey jwk) {
        if (!jwk.isPrivate() || !Curve.P_256.equals(jwk.getCurve())) {
            return false;
        }
        ECNamedCurveParameterSpec spec = ECNamedCurveTable.getParameterSpec(Curve.P_256.getStdName());
        BigInteger d = jwk.getD().decodeToBigInteger();
        if (d.signum() <= 0 || d.compareTo(spec.getN()) >= 0) {
            return false;
        }
        ECPoint q = spec.getG().multiply(d).normalize();
        return q.getAffineXCoord().toBigInteger().equals(jwk.getX().decodeToBigInteger())
                && q.getAffineYCoord().toBigInteger().equals(jwk.getY().decodeToBigInteger());
    }
}
