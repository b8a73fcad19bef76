package dev.agentid.interop.thirdparty;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.text.ParseException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vert.x {@code JWTAuth} (vertx-auth-jwt) as a resource server, configured with nothing but the keys
 * published at the issuer's jwks_uri, its issuer identifier and the API's audience, accepts our
 * delegated tokens as JWT access tokens.
 *
 * <p>Quirk: JWTAuth does not look at the {@code typ} header at all (RFC 9068 section 4 asks resource
 * servers to require {@code at+jwt}); a Vert.x resource server that must tell access tokens from other
 * JWTs signed by the same key checks the header itself. It needs no {@code alg} on an EC JWK (it
 * defaults to ES256), picks the key by {@code kid}, and skips, with a warning, a JWK it cannot use.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class VertxJwtAuthIT {

    static IssuerProcess issuer;
    static DelegatedTokens tokens;
    static JWKSet published;
    static Vertx vertx;

    @BeforeAll
    static void delegateAndFetchTheKeys() throws IOException, ParseException {
        issuer = IssuerProcess.named("vertx-jwt").start();
        tokens = DelegatedTokens.issue(issuer);
        published = JWKSet.load(issuer.jwksUri().toURL());
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    /** A JWTAuth as a Vert.x resource server would set it up, trusting the given keys. */
    static JWTAuth jwtAuth(JWKSet keys, String audience) {
        JWTAuthOptions options = new JWTAuthOptions()
                .setJWTOptions(new JWTOptions().setIssuer(issuer.issuer()).setAudience(List.of(audience)));
        for (JWK key : keys.getKeys()) {
            options.addJwk(new JsonObject(key.toPublicJWK().toJSONObject()));
        }
        return JWTAuth.create(vertx, options);
    }

    @Test
    void jwtAuthAcceptsEveryHopAndThePrincipalCarriesSubAndAct() throws Exception {
        JWTAuth auth = jwtAuth(published, DelegatedTokens.API);
        List<String> all = tokens.all();
        for (int hop = 0; hop < all.size(); hop++) {
            JsonObject principal = authenticated(auth, all.get(hop)).principal();
            int h = hop;
            assertAll("token " + hop,
                    () -> assertEquals("user:alice", principal.getString("sub")),
                    () -> assertEquals(new JsonObject(tokens.expectedAct(h)), principal.getJsonObject("act")),
                    () -> assertEquals(DelegatedTokens.CLIENTS.get(h), principal.getString("client_id")),
                    () -> assertEquals(DelegatedTokens.SCOPES.get(h), principal.getString("scope")),
                    () -> assertEquals(issuer.issuer(), principal.getString("iss")));
        }
    }

    @Test
    void jwtAuthRejectsATamperedSignature() {
        Throwable refused = refusal(jwtAuth(published, DelegatedTokens.API), DelegatedTokens.tampered(tokens.c()));
        assertTrue(refused.getMessage().contains("Signature verification failed"), refused.toString());
    }

    @Test
    void jwtAuthRejectsAnotherAudience() {
        Throwable refused = refusal(jwtAuth(published, DelegatedTokens.MAIL), tokens.c());
        assertTrue(refused.getMessage().startsWith("Invalid JWT audience"), refused.toString());
    }

    @Test
    void jwtAuthRejectsTheSameClaimsSignedWithAnotherKey() {
        ECKey other = TestAgents.newKey();
        JWTAuth auth = jwtAuth(published, DelegatedTokens.API);

        Throwable underIssuersKid = refusal(auth, DelegatedTokens.resigned(tokens.c(), other, true));
        Throwable underOwnKid = refusal(auth, DelegatedTokens.resigned(tokens.c(), other, false));

        assertTrue(underIssuersKid.getMessage().contains("Signature verification failed"), underIssuersKid.toString());
        // no published key has that kid
        assertTrue(underOwnKid.getMessage().contains(other.getKeyID()), underOwnKid.toString());
    }

    /** Documents the quirk: if Vert.x starts checking typ, this fails and the class comment must change. */
    @Test
    void jwtAuthIgnoresTheTypHeaderSoAVertxResourceServerMustCheckAtJwtItself() throws Exception {
        ECKey testKey = TestAgents.newKey();
        JWTAuth auth = jwtAuth(new JWKSet(testKey.toPublicJWK()), DelegatedTokens.API);
        String plainJwt = DelegatedTokens.resignedWithType(tokens.c(), testKey, "JWT");
        String accessToken = DelegatedTokens.resignedWithType(tokens.c(), testKey, "at+jwt");

        assertEquals("user:alice", authenticated(auth, plainJwt).principal().getString("sub"));
        assertEquals("user:alice", authenticated(auth, accessToken).principal().getString("sub"));
    }

    private static User authenticated(JWTAuth auth, String token) throws Exception {
        return await(auth.authenticate(new TokenCredentials(token)));
    }

    private static Throwable refusal(JWTAuth auth, String token) {
        try {
            User user = await(auth.authenticate(new TokenCredentials(token)));
            throw new AssertionError("JWTAuth accepted the token for " + user.principal().getString("sub"));
        } catch (ExecutionException e) {
            assertFalse(e.getCause() == null, "a cause");
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("JWTAuth did not answer", e);
        }
    }

    private static <T> T await(Future<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
