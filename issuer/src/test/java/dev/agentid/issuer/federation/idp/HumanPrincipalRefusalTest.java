package dev.agentid.issuer.federation.idp;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.keys.KeyStoreFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Human principals at the token endpoint: a chain starts from a human's token of a trusted OpenID Provider
 * (an in-test IdP serving discovery and keys over loopback). One refused request per H row of the refusal table,
 * each asserting the whole body; the last check proves every H row was exercised. The real provider
 * (panva/oidc-provider) is exercised by interop-tests' HumanPrincipalIT.
 */
class HumanPrincipalRefusalTest {

    static final String ID_TOKEN = HumanPrincipals.ID_TOKEN_TYPE;

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestIdp untrusted;
    static TestIssuer issuer;
    static String downIdp;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        idp = TestIdp.start();
        untrusted = TestIdp.start();
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        downIdp = "http://127.0.0.1:" + closedPort;
        Path trust = dir.resolve("trust.json");
        Files.writeString(trust, new JsonObject().put("identity_providers", new JsonArray().add(idp.trustEntry())
                .add(new JsonObject().put("issuer", downIdp).put("audience", TestIdp.AUDIENCE))).encode());
        Path data = Files.createDirectories(dir.resolve("data"));
        issuer = TestIssuer.start(data, new MutableClock(), 0, Map.of("ISSUER_TRUST_FILE", trust.toString()));
    }

    @AfterAll
    static void stop() {
        issuer.close();
        idp.close();
        untrusted.close();
        assertEquals(RefusalTable.idsOf(RefusalTable.HUMAN_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.HUMAN_PREFIXES), "every H row of the refusal table has a test");
    }

    /** An agent registered with {@code acts_for}. */
    static TestAgent actingFor(List<String> users, List<String> groups, TestAgent.Builder builder) {
        TestAgent a = builder.build();
        a.registration.put("acts_for", new JsonObject().put("users", new JsonArray(users))
                .put("groups", new JsonArray(groups)));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
        assertEquals(201, r.status(), r.body());
        return a;
    }

    static TestAgent actingFor(String... users) {
        return actingFor(List.of(users), List.of(), agent("agent-" + SEQ.incrementAndGet()));
    }

    static TestIssuer.Response exchange(TestAgent client, String token, String type) {
        return issuer.exchange(client, token, "subject_token_type", type);
    }

    static JWTClaimsSet claims(String token) throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        // the issuer's own key verifies it
        assertTrue(jwt.verify(new ECDSAVerifier(KeyStoreFile.in(issuer.dataDir).load()
                .signingKey(Instant.now()).privateJwk().toECPublicKey())));
        return jwt.getJWTClaimsSet();
    }

    // ---- granted ----

    @Test
    void exchangeOfAnIdTokenMakesTheHumanTheSubjectAndTheAgentTheFirstActor() throws Exception {
        TestAgent a = actingFor(idp.principal("alice"));
        TestIssuer.Response r = exchange(a, idp.idToken(idp.claims("alice").build()), ID_TOKEN);
        assertEquals(200, r.status(), r.body());
        JWTClaimsSet token = claims(r.json().getString("access_token"));
        assertEquals(idp.principal("alice"), token.getSubject());
        assertEquals(Map.of("sub", a.id, "iss", issuer.url), token.getJSONObjectClaim("act"));
        assertEquals(issuer.url, token.getIssuer());
        assertEquals(a.id, token.getStringClaim("client_id"));
        assertEquals("read write admin", token.getStringClaim("scope"));
        assertEquals("urn:ietf:params:oauth:token-type:access_token", r.json().getString("issued_token_type"));
    }

    @Test
    void exchangeWhenAgentSharesAGroupOfTheHumanThenGranted() throws Exception {
        TestAgent a = actingFor(List.of(), List.of(idp.issuer + "#support"), agent("agent-" + SEQ.incrementAndGet()));
        String token = idp.idToken(idp.claims("carol").claim("groups", List.of("staff", "support")).build());
        TestIssuer.Response r = exchange(a, token, ID_TOKEN);
        assertEquals(200, r.status(), r.body());
        assertEquals(idp.principal("carol"), claims(r.json().getString("access_token")).getSubject());
    }

    @Test
    void exchangeOfAnIdpAccessTokenAsAccessTokenTypeIsAHumanExchange() throws Exception {
        TestAgent a = actingFor(idp.principal("dave"));
        TestIssuer.Response r = exchange(a, idp.accessToken(idp.claims("dave").build()), TestIssuer.ACCESS_TOKEN_TYPE);
        assertEquals(200, r.status(), r.body());
        assertEquals(idp.principal("dave"), claims(r.json().getString("access_token")).getSubject());
    }

    @Test
    void tokenLifetimeNeverExceedsTheHumanTokensExpiry() throws Exception {
        TestAgent a = actingFor(idp.principal("erin"));
        Instant exp = Instant.now().plusSeconds(90);
        TestIssuer.Response r = exchange(a, idp.idToken(idp.claims("erin").expirationTime(Date.from(exp)).build()),
                ID_TOKEN);
        assertEquals(200, r.status(), r.body());
        assertTrue(r.json().getLong("expires_in") <= 90, r.body());
        assertFalse(claims(r.json().getString("access_token")).getExpirationTime().toInstant()
                .isAfter(exp.plusMillis(999)));
    }

    @Test
    void scopeOfTheNewTokenIsWithinTheClientsRegisteredScopes() {
        TestAgent a = actingFor(idp.principal("fay"));
        assertRow(issuer.exchange(a, idp.idToken(idp.claims("fay").build()), "subject_token_type", ID_TOKEN,
                "scope", "delete"), "C01", "scope", "delete", "agent", a.id);
    }

    // ---- refused ----

    @Test
    void h01AgentNotActingForTheHumanIsRefused() {
        TestAgent a = actingFor(idp.principal("someone-else"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").claim("groups", List.of("support")).build()), ID_TOKEN),
                "H01", "client", a.id, "user", idp.principal("alice"));
    }

    @Test
    void h01SameSubAtAnotherIdpIsAnotherHuman() {
        TestAgent a = actingFor(untrusted.principal("alice"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").build()), ID_TOKEN),
                "H01", "client", a.id, "user", idp.principal("alice"));
    }

    @Test
    void h02IdTokenOfAnUntrustedIdpIsRefused() {
        TestAgent a = actingFor(untrusted.principal("alice"));
        assertRow(exchange(a, untrusted.idToken(untrusted.claims("alice").build()), ID_TOKEN), "H02");
    }

    @Test
    void h03MalformedIdTokenIsRefused() {
        assertRow(exchange(actingFor(idp.principal("alice")), "not-a-jwt", ID_TOKEN), "H03");
    }

    @Test
    void h04SignatureNotByTheIdpsKeysIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        // the untrusted IdP's key under the trusted IdP's kid and iss
        String forged = untrusted.idToken(idp.claims("alice").build());
        String[] parts = forged.split("\\.");
        String real = idp.idToken(idp.claims("alice").build());
        String spliced = real.split("\\.")[0] + "." + parts[1] + "." + parts[2];
        assertRow(exchange(a, spliced, ID_TOKEN), "H04");
    }

    @Test
    void h04SymmetricAlgorithmIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.sign(idp.claims("alice").build(), JWSAlgorithm.HS256, null), ID_TOKEN), "H04");
    }

    @Test
    void h05IdTokenWithAnotherTypIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.sign(idp.claims("alice").build(), JWSAlgorithm.RS256,
                new JOSEObjectType("at+jwt")), ID_TOKEN), "H05");
    }

    @Test
    void h06IdpAccessTokenThatIsNotAnAtJwtIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").build()), TestIssuer.ACCESS_TOKEN_TYPE), "H06");
    }

    @Test
    void h07IdTokenForAnotherClientIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").audience("another-client").build()), ID_TOKEN), "H07");
    }

    @Test
    void h08ExpiredIdTokenIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        Instant past = Instant.now().minusSeconds(3600);
        assertRow(exchange(a, idp.idToken(idp.claims("alice").issueTime(Date.from(past))
                .expirationTime(Date.from(past.plusSeconds(600))).build()), ID_TOKEN), "H08");
    }

    @Test
    void h09IdTokenFromTheFutureIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        Instant future = Instant.now().plusSeconds(600);
        assertRow(exchange(a, idp.idToken(idp.claims("alice").issueTime(Date.from(future))
                .expirationTime(Date.from(future.plusSeconds(600))).build()), ID_TOKEN), "H09");
    }

    @Test
    void h10IdTokenWithoutSubIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").subject(null).build()), ID_TOKEN), "H10");
    }

    @Test
    void h10GroupsClaimThatIsNotAnArrayIsRefused() {
        TestAgent a = actingFor(idp.principal("alice"));
        assertRow(exchange(a, idp.idToken(idp.claims("alice").claim("groups", "support").build()), ID_TOKEN), "H10");
    }

    @Test
    void h11IdpWhoseDiscoveryFailedIsUnavailable() throws Exception {
        TestAgent a = actingFor(downIdp + "#alice");
        String token = idp.idToken(idp.claims("alice").issuer(downIdp).build());
        assertRow(exchange(a, token, ID_TOKEN), "H11", "idp", downIdp);
    }
}
