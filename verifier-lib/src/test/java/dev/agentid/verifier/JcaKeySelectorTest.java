package dev.agentid.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.SecurityContext;
import org.junit.jupiter.api.Test;

import java.security.Key;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JcaKeySelectorTest {

    @Test
    void selectsTheMatchingKeyAsOneBouncyCastleKeyObject() throws Exception {
        ECKey a = new ECKeyGenerator(Curve.P_256).keyID("a").generate();
        ECKey b = new ECKeyGenerator(Curve.P_256).keyID("b").generate();
        JcaKeySelector<SecurityContext> selector = new JcaKeySelector<>(JWSAlgorithm.ES256,
                new ImmutableJWKSet<>(new JWKSet(List.of(a.toPublicJWK(), b.toPublicJWK()))));
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("b").build();

        List<Key> first = selector.selectJWSKeys(header, null);
        List<Key> second = selector.selectJWSKeys(header, null);

        assertEquals(1, first.size());
        assertEquals(b.toECPublicKey().getW(), ((java.security.interfaces.ECPublicKey) first.get(0)).getW());
        assertSame(first.get(0), second.get(0), "converted once, then reused");
        assertTrue(first.get(0).getClass().getName().startsWith("org.bouncycastle."));
    }

    @Test
    void selectsNothingForAnotherAlgorithmOrKid() throws Exception {
        ECKey a = new ECKeyGenerator(Curve.P_256).keyID("a").generate();
        JcaKeySelector<SecurityContext> selector = new JcaKeySelector<>(JWSAlgorithm.ES256,
                new ImmutableJWKSet<>(new JWKSet(a.toPublicJWK())));
        assertEquals(List.of(), selector.selectJWSKeys(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("a").build(), null));
        assertEquals(List.of(), selector.selectJWSKeys(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("x").build(), null));
    }
}
