package dev.agentid.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.Date;
import org.junit.jupiter.api.Test;

class KeyGeneratorTest {

    @Test
    void keyPairIsMadeByBouncyCastleOnP256() {
        KeyPair pair = KeyGenerator.newP256KeyPair();

        assertTrue(pair.getPublic().getClass().getName().startsWith("org.bouncycastle."),
                "public key class " + pair.getPublic().getClass().getName());
        assertTrue(pair.getPrivate().getClass().getName().startsWith("org.bouncycastle."),
                "private key class " + pair.getPrivate().getClass().getName());
        assertEquals(Curve.P_256, Curve.forECParameterSpec(((ECPublicKey) pair.getPublic()).getParams()));
    }

    @Test
    void generatedJwkIsPrivateP256WithThumbprintKidSigUseEs256AndIssueTime() throws Exception {
        TestClock clock = TestClock.atStart();

        ECKey jwk = KeyGenerator.generateEs256(clock);

        assertTrue(jwk.isPrivate());
        assertEquals(Curve.P_256, jwk.getCurve());
        assertEquals(jwk.computeThumbprint("SHA-256").toString(), jwk.getKeyID());
        assertEquals(KeyUse.SIGNATURE, jwk.getKeyUse());
        assertEquals(JWSAlgorithm.ES256, jwk.getAlgorithm());
        assertEquals(Date.from(clock.instant()), jwk.getIssueTime());
        assertTrue(KeyGenerator.privateMatchesPublic(jwk));
    }

    @Test
    void everyGenerationMakesANewKey() {
        TestClock clock = TestClock.atStart();

        assertNotEquals(KeyGenerator.generateEs256(clock).getKeyID(), KeyGenerator.generateEs256(clock).getKeyID());
    }

    @Test
    void privateMatchesPublicRejectsAPrivateScalarFromAnotherKey() {
        TestClock clock = TestClock.atStart();
        ECKey a = KeyGenerator.generateEs256(clock);
        ECKey b = KeyGenerator.generateEs256(clock);

        ECKey mixed = new ECKey.Builder(a.getCurve(), a.getX(), a.getY()).d(b.getD()).keyID(a.getKeyID()).build();

        assertFalse(KeyGenerator.privateMatchesPublic(mixed));
        assertFalse(KeyGenerator.privateMatchesPublic(a.toPublicJWK()));
    }
}
