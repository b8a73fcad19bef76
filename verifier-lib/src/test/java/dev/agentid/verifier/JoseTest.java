package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JoseTest {

    private static final JOSEObjectType TYP = new JOSEObjectType("example+jwt");

    private static SignedJWT signed(ECKey key, JOSEObjectType typ) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(typ).build(),
                new JWTClaimsSet.Builder().subject("s").expirationTime(new java.util.Date(0)).build());
        jwt.sign(new ECDSASigner(key));
        return jwt;
    }

    @Test
    void theProcessorChecksSignatureAndTypButLeavesClaimsToTheCaller() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
        DefaultJWTProcessor<SecurityContext> processor = Jose.jwtProcessor(
                new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())), Set.of(TYP), JWSAlgorithm.ES256);

        assertEquals("s", processor.process(signed(key, TYP), null).getSubject());   // exp 1970: not checked here
        assertThrows(BadJOSEException.class, () -> processor.process(signed(key, JOSEObjectType.JWT), null));
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
        assertThrows(BadJOSEException.class, () -> processor.process(signed(other, TYP), null));
    }

    @Test
    void anAlgorithmOutsideTheAllowlistSelectsNoKey() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").generate();
        DefaultJWTProcessor<SecurityContext> processor = Jose.jwtProcessor(
                new ImmutableJWKSet<>(new JWKSet(key.toPublicJWK())), Set.of(TYP), JWSAlgorithm.ES384);
        assertThrows(BadJOSEException.class, () -> processor.process(signed(key, TYP), null));
        assertThrows(IllegalArgumentException.class, () -> Jose.keys(new ImmutableJWKSet<>(new JWKSet())));
    }

    @Test
    void verifiesOnlyWithTheSigningKey() throws Exception {
        ECKey key = new ECKeyGenerator(Curve.P_256).generate();
        ECKey other = new ECKeyGenerator(Curve.P_256).generate();
        assertTrue(Jose.verifies(signed(key, TYP), key.toPublicJWK()));
        assertFalse(Jose.verifies(signed(key, TYP), other.toPublicJWK()));
    }

    @Test
    void theClockSkewWindowIsInclusiveOfItsBound() {
        Instant now = Instant.ofEpochSecond(1_000);
        Duration skew = Duration.ofSeconds(30);
        assertFalse(Jose.inFuture(now.plusSeconds(30), now, skew));
        assertTrue(Jose.inFuture(now.plusSeconds(31), now, skew));
        assertFalse(Jose.expired(now.minusSeconds(29), now, skew));
        assertTrue(Jose.expired(now.minusSeconds(30), now, skew));
    }
}
