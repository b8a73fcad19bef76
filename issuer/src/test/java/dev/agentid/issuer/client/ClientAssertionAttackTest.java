package dev.agentid.issuer.client;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.TestIssuer.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Attacks on {@code private_key_jwt} client assertions (spec section 6.2, refusals T17, T19), through the real token,
 * introspection and revocation endpoints, which share one client-authentication stage: each is refused with the
 * whole {@code invalid_client} body, 401, no-store.
 */
class ClientAssertionAttackTest {

    private static final String ATTACKER = "https://attacker.example";
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    static Path dir;
    static TestIssuer issuer;
    static TestAgent agent;
    static String token;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir);
        agent = issuer.register(agent("attack-" + SEQ.incrementAndGet()));
        token = issuer.tokenFor(agent);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    private static String assertion(Object aud, Instant iat) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(agent.id).subject(agent.id)
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).issueTime(Date.from(iat))
                .jwtID(UUID.randomUUID().toString());
        if (aud instanceof String) {
            claims.audience((String) aud);
        } else {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) aud;
            claims.audience(list);
        }
        return TestAgent.assertion(claims.build(), agent.key);
    }

    private static Map<String, String> form(String assertion, String... keyValues) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_assertion_type", TestIssuer.JWT_BEARER);
        params.put("client_assertion", assertion);
        for (int i = 0; i < keyValues.length; i += 2) {
            params.put(keyValues[i], keyValues[i + 1]);
        }
        return params;
    }

    private static Response atToken(String assertion) {
        return issuer.token(form(assertion, "grant_type", "client_credentials"));
    }

    private static Response atIntrospection(String assertion) {
        return issuer.post("/oauth2/introspect", "application/x-www-form-urlencoded",
                TestIssuer.form(form(assertion, "token", token)));
    }

    private static Response atRevocation(String assertion) {
        return issuer.post("/oauth2/revoke", "application/x-www-form-urlencoded",
                TestIssuer.form(form(assertion, "token", token)));
    }

    private static void assertRefused(Response r) {   // T19
        TestIssuer.assertError(r, 401, "invalid_client", "the client assertion aud must be the issuer identifier '"
                + issuer.url + "' as a single string");
    }

    private static void assertIssuedInTheFuture(Response r) {   // T17
        TestIssuer.assertError(r, 401, "invalid_client", "the client assertion was issued in the future (iat)");
    }

    @Test
    void audArrayOfIssuerAndAttackerIsRefusedAtEveryEndpoint() {
        List<String> aud = List.of(issuer.url, ATTACKER);
        assertRefused(atToken(assertion(aud, Instant.now())));
        assertRefused(atIntrospection(assertion(aud, Instant.now())));
        assertRefused(atRevocation(assertion(aud, Instant.now())));
    }

    @Test
    void audArrayOfAttackerAndIssuerIsRefusedAtEveryEndpoint() {
        List<String> aud = List.of(ATTACKER, issuer.url);
        assertRefused(atToken(assertion(aud, Instant.now())));
        assertRefused(atIntrospection(assertion(aud, Instant.now())));
        assertRefused(atRevocation(assertion(aud, Instant.now())));
    }

    @Test
    void audArrayOfRevocationUrlAndAttackerIsRefusedAtEveryEndpoint() {
        List<String> aud = List.of(issuer.url + "/oauth2/revoke", ATTACKER);
        assertRefused(atToken(assertion(aud, Instant.now())));
        assertRefused(atIntrospection(assertion(aud, Instant.now())));
        assertRefused(atRevocation(assertion(aud, Instant.now())));
    }

    @Test
    void audOfAnEndpointUrlInsteadOfTheIssuerIsRefused() {
        assertRefused(atToken(assertion(issuer.url + "/oauth2/token", Instant.now())));
        assertRefused(atIntrospection(assertion(issuer.url + "/oauth2/introspect", Instant.now())));
        assertRefused(atRevocation(assertion(issuer.url + "/oauth2/revoke", Instant.now())));
    }

    @Test
    void assertionIssuedTwoMinutesInTheFutureIsRefusedAtEveryEndpoint() {
        Instant future = Instant.now().plusSeconds(120);
        assertIssuedInTheFuture(atToken(assertion(issuer.url, future)));
        assertIssuedInTheFuture(atIntrospection(assertion(issuer.url, future)));
        assertIssuedInTheFuture(atRevocation(assertion(issuer.url, future)));
    }

    @Test
    void mistypedAssertionTypeIsDescribedAtEveryEndpoint() {   // T25
        String mistyped = "urn:ietf:params:oauth:client-assertion-type:jwt_bearer";
        String description = "client_assertion_type must be " + TestIssuer.JWT_BEARER;
        Map<String, String> token = form(assertion(issuer.url, Instant.now()), "grant_type", "client_credentials");
        token.put("client_assertion_type", mistyped);
        TestIssuer.assertError(issuer.token(token), 401, "invalid_client", description);
        Map<String, String> other = form(assertion(issuer.url, Instant.now()), "token", ClientAssertionAttackTest.token);
        other.put("client_assertion_type", mistyped);
        TestIssuer.assertError(issuer.post("/oauth2/introspect", "application/x-www-form-urlencoded",
                TestIssuer.form(other)), 401, "invalid_client", description);
        TestIssuer.assertError(issuer.post("/oauth2/revoke", "application/x-www-form-urlencoded",
                TestIssuer.form(other)), 401, "invalid_client", description);
    }

    @Test
    void assertionWhoseSubIsAnotherAgentIsDescribedAtEveryEndpoint() {   // T22
        String assertion = TestAgent.assertion(new JWTClaimsSet.Builder().issuer(agent.id).subject("someone-else")
                .audience(issuer.url).expirationTime(Date.from(Instant.now().plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString()).build(), agent.key);
        String description = "the client assertion iss and sub must both be the agent id of the client";
        TestIssuer.assertError(atToken(assertion), 401, "invalid_client", description);
        TestIssuer.assertError(atIntrospection(assertion), 401, "invalid_client", description);
        TestIssuer.assertError(atRevocation(assertion), 401, "invalid_client", description);
    }

    @Test
    void assertionWithAudExactlyTheIssuerIsAcceptedAtEveryEndpoint() {
        assertEquals(200, atToken(assertion(issuer.url, Instant.now())).status());
        assertEquals(200, atIntrospection(assertion(issuer.url, Instant.now())).status());
        String other = issuer.tokenFor(agent);
        Response revoked = issuer.post("/oauth2/revoke", "application/x-www-form-urlencoded",
                TestIssuer.form(form(assertion(issuer.url, Instant.now()), "token", other)));
        assertEquals(200, revoked.status(), revoked.body());
    }
}
