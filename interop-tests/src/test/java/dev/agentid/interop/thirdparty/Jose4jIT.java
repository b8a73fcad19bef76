package dev.agentid.interop.thirdparty;

import com.nimbusds.jose.jwk.ECKey;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import org.jose4j.jwa.AlgorithmConstraints.ConstraintType;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwt.consumer.JwtContext;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.JoseException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jose4j's {@code JwtConsumer}, set up the way its documentation recommends for an access token
 * (issuer, audience, exp required, ES256 only, {@code typ} at+jwt required) and knowing the issuer's
 * keys only through its jwks_uri, accepts our delegated tokens and refuses forgeries.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class Jose4jIT {

    static IssuerProcess issuer;
    static DelegatedTokens tokens;

    @BeforeAll
    static void delegate() {
        issuer = IssuerProcess.named("jose4j").start();
        tokens = DelegatedTokens.issue(issuer);
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    static JwtConsumer consumer(VerificationKeyResolver keys, String audience) {
        return new JwtConsumerBuilder()
                .setExpectedIssuer(issuer.issuer())
                .setExpectedAudience(audience)
                .setRequireExpirationTime()
                .setRequireIssuedAt()
                .setRequireSubject()
                .setRequireJwtId()
                .setJwsAlgorithmConstraints(ConstraintType.PERMIT, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256)
                .setExpectedType(true, "at+jwt")
                .setVerificationKeyResolver(keys)
                .build();
    }

    /** Fetches the jwks_uri on demand (plain http on loopback here; the class is named for https). */
    static VerificationKeyResolver remoteKeys() {
        return new HttpsJwksVerificationKeyResolver(new HttpsJwks(issuer.jwksUri().toString()));
    }

    @Test
    void httpsJwksResolverAcceptsEveryHopWithSubAndAct() throws InvalidJwtException {
        JwtConsumer consumer = consumer(remoteKeys(), DelegatedTokens.API);
        List<String> all = tokens.all();
        for (int hop = 0; hop < all.size(); hop++) {
            JwtContext context = consumer.process(all.get(hop));
            JwtClaims claims = context.getJwtClaims();
            int h = hop;
            assertAll("token " + hop,
                    () -> assertEquals("at+jwt", context.getJoseObjects().get(0).getHeader("typ")),
                    () -> assertEquals("user:alice", claims.getSubject()),
                    () -> assertEquals(tokens.expectedAct(h), claims.getClaimValue("act")),
                    () -> assertEquals(DelegatedTokens.CLIENTS.get(h), claims.getClaimValue("client_id")),
                    () -> assertEquals(DelegatedTokens.SCOPES.get(h), claims.getClaimValue("scope")));
        }
    }

    @Test
    void jwksResolverOnTheFetchedSetAcceptsTheSameTokens()
            throws IOException, JoseException, InvalidJwtException, MalformedClaimException {
        String jwksJson;
        try (InputStream in = issuer.jwksUri().toURL().openStream()) {
            jwksJson = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        JwtConsumer consumer = consumer(
                new JwksVerificationKeyResolver(new JsonWebKeySet(jwksJson).getJsonWebKeys()), DelegatedTokens.API);

        for (String token : tokens.all()) {
            assertEquals("user:alice", consumer.process(token).getJwtClaims().getSubject());
        }
    }

    @Test
    void rejectsTheSameClaimsSignedWithAnotherKey() {
        ECKey other = TestAgents.newKey();
        JwtConsumer consumer = consumer(remoteKeys(), DelegatedTokens.API);

        InvalidJwtException underIssuersKid = assertThrows(InvalidJwtException.class,
                () -> consumer.process(DelegatedTokens.resigned(tokens.c(), other, true)));
        InvalidJwtException underOwnKid = assertThrows(InvalidJwtException.class,
                () -> consumer.process(DelegatedTokens.resigned(tokens.c(), other, false)));

        assertTrue(underIssuersKid.hasErrorCode(ErrorCodes.SIGNATURE_INVALID), masked(underIssuersKid));
        // jose4j cannot resolve a key for an unknown kid: that is not SIGNATURE_INVALID but a key failure
        assertTrue(underOwnKid.getMessage().contains("Unable to find a suitable verification key"),
                masked(underOwnKid));
    }

    @Test
    void rejectsATamperedSignatureAndAnotherAudience() {
        JwtConsumer api = consumer(remoteKeys(), DelegatedTokens.API);
        JwtConsumer mail = consumer(remoteKeys(), DelegatedTokens.MAIL);

        InvalidJwtException tampered = assertThrows(InvalidJwtException.class,
                () -> api.process(DelegatedTokens.tampered(tokens.c())));
        InvalidJwtException otherAudience = assertThrows(InvalidJwtException.class, () -> mail.process(tokens.c()));

        assertTrue(tampered.hasErrorCode(ErrorCodes.SIGNATURE_INVALID), masked(tampered));
        assertTrue(otherAudience.hasErrorCode(ErrorCodes.AUDIENCE_INVALID), masked(otherAudience));
    }

    /** jose4j puts the token itself into its messages: mask it before it reaches a report. */
    private static String masked(InvalidJwtException e) {
        return e.getMessage().replaceAll("ey[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*", "<jwt>");
    }
}
