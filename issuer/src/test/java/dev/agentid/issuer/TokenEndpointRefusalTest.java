package dev.agentid.issuer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.TestIssuer.Response;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.keys.KeyStoreFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One refused request per row of the profile's refusal table (spec/refusals/token-endpoint.json),
 * each asserting the exact JSON body. The last check proves every row was exercised.
 */
class TokenEndpointRefusalTest {

    @TempDir
    static Path dir;
    static TestIssuer issuer;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
        // D.. and M.. rows (sender-constrained tokens) are exercised and checked by binding/BindingRefusalTest,
        // A.. rows (client attestation) by attestation/ClientAttestationTest
        assertEquals(RefusalTable.idsExcept(RefusalTable.DELEGATED_PREFIXES),
                RefusalTable.exercisedExcept(RefusalTable.DELEGATED_PREFIXES), "every row of the refusal table has a test");
    }

    static String id(String name) {
        return name + "-" + SEQ.incrementAndGet();
    }

    /** Agents a → b → c where a delegates to b and b to c. */
    record Chain(TestAgent a, TestAgent b, TestAgent c) {
    }

    static Chain chain() {
        String a = id("a"), b = id("b"), c = id("c");
        return new Chain(issuer.register(agent(a).delegates(b)), issuer.register(agent(b).delegates(c)),
                issuer.register(agent(c)));
    }

    /** Signs arbitrary claims with the issuer's own current key (to forge tokens that only fail later checks). */
    static String signedByIssuer(JOSEObjectType typ, JWTClaimsSet claims) {
        ECKey key = KeyStoreFile.in(dir).load().signingKey(Instant.now()).privateJwk();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(typ).keyID(key.getKeyID())
                    .build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static JWTClaimsSet.Builder validClaims(String agentId) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer.url).subject("user:alice").audience("https://api.example")
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)))
                .jwtID(UUID.randomUUID().toString()).claim("client_id", agentId).claim("scope", "read")
                .claim("act", Map.of("sub", agentId, "iss", issuer.url));
    }

    // ---- T: the endpoint and client authentication ----

    @Test
    void t01GetIsRefused() {
        assertRow(issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/token")).GET().build()), "T01");
    }

    @Test
    void t02JsonBodyIsRefused() {
        assertRow(issuer.post("/oauth2/token", "application/json", "{\"grant_type\":\"client_credentials\"}"), "T02");
    }

    @Test
    void t03OversizedBodyIsRefused() {
        String body = "grant_type=client_credentials&scope=" + "a".repeat(20_000);
        assertRow(issuer.post("/oauth2/token", "application/x-www-form-urlencoded", body), "T03");
    }

    @Test
    void t14TooManyFormParametersAreRefused() {
        StringBuilder body = new StringBuilder("grant_type=client_credentials");
        for (int i = 0; i < 256; i++) {
            body.append("&p").append(i).append('=');
        }
        assertRow(issuer.post("/oauth2/token", "application/x-www-form-urlencoded", body.toString()), "T14");
    }

    @Test
    void t13MalformedPercentEncodingIsRefused() {
        assertRow(issuer.post("/oauth2/token", "application/x-www-form-urlencoded",
                "grant_type=client_credentials&scope=%E0%A4%A"), "T13");
    }

    @Test
    void t04RepeatedParameterIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        String body = TestIssuer.form(issuer.as(a, "grant_type", "client_credentials")) + "&scope=read&scope=write";
        assertRow(issuer.post("/oauth2/token", "application/x-www-form-urlencoded", body), "T04", "name", "scope");
    }

    @Test
    void t12UnknownParameterIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.clientCredentials(a, "password", "hunter2"), "T12", "name", "password");
    }

    @Test
    void clientIdNextToTheAssertionIsAccepted() {
        TestAgent a = issuer.register(agent(id("a")));
        assertEquals(200, issuer.clientCredentials(a, "client_id", a.id).status());
    }

    @Test
    void t05MissingGrantTypeIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.token(issuer.as(a)), "T05");
    }

    @Test
    void t06UnsupportedGrantTypeIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.token(issuer.as(a, "grant_type", "password")), "T06", "grant_type", "password");
    }

    @Test
    void t07MissingClientAuthenticationIsRefused() {
        assertRow(issuer.token(Map.of("grant_type", "client_credentials")), "T07");
    }

    @Test
    void t08ClientSecretIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.token(Map.of("grant_type", "client_credentials", "client_id", a.id,
                "client_secret", "guess")), "T08");
    }

    // ---- T09, T15–T26: client assertions, each check with its own description ----

    static JWTClaimsSet.Builder claims(String iss, String sub) {
        return new JWTClaimsSet.Builder().issuer(iss).subject(sub).audience(issuer.url)
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).issueTime(new Date())
                .jwtID(UUID.randomUUID().toString());
    }

    static JWTClaimsSet.Builder claims(TestAgent a) {
        return claims(a.id, a.id);
    }

    /** Signs with {@code key} under a header of {@code alg} and {@code kid} (null: no kid). */
    static String signed(JWSAlgorithm alg, String kid, JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static Response withAssertion(TestAgent a, String assertion) {
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        params.put("client_assertion", assertion);
        return issuer.token(params);
    }

    @Test
    void t09AssertionSignedByAnotherKeyWithoutKidIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, signed(JWSAlgorithm.ES256, null, claims(a).build(), TestAgent.newKey())),
                "T09", "client", a.id);
    }

    @Test
    void t09AssertionNamingTheRegisteredKidButSignedByAnotherKeyIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, signed(JWSAlgorithm.ES256, a.key.getKeyID(), claims(a).build(),
                TestAgent.newKey())), "T09", "client", a.id);
    }

    @Test
    void t15ExpiredAssertionIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).issueTime(Date.from(Instant.now().minusSeconds(900)))
                .expirationTime(Date.from(Instant.now().minusSeconds(600))).build(), a.key)), "T15");
    }

    @Test
    void t16AssertionNotYetValidIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).notBeforeTime(Date.from(Instant.now()
                .plusSeconds(200))).expirationTime(Date.from(Instant.now().plusSeconds(250))).build(), a.key)), "T16");
    }

    @Test
    void t17AssertionIssuedInTheFutureIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).issueTime(Date.from(Instant.now()
                .plusSeconds(200))).build(), a.key)), "T17");
    }

    @Test
    void t18AssertionLivingTooLongIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).expirationTime(Date.from(Instant.now()
                .plusSeconds(3600))).build(), a.key)), "T18", "max", "300");
    }

    @Test
    void t18AssertionLiving400SecondsIsRefusedByDefault() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).expirationTime(Date.from(Instant.now()
                .plusSeconds(400))).build(), a.key)), "T18", "max", "300");
    }

    @Test
    void t19AssertionForAnotherAudienceIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, a.assertion("https://other-issuer.example")), "T19", "issuer", issuer.url);
    }

    @Test
    void t19AssertionAudWithATrailingSlashIsRefusedNamingTheExpectedOne() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, a.assertion(issuer.url + "/")), "T19", "issuer", issuer.url);
    }

    @Test
    void t19AssertionAudNamingLocalhostInsteadOfTheIssuerHostIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, a.assertion(issuer.url.replace("127.0.0.1", "localhost"))), "T19",
                "issuer", issuer.url);
    }

    @Test
    void t19AssertionAudOfTheTokenEndpointUrlIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, a.assertion(issuer.url + "/oauth2/token")), "T19", "issuer", issuer.url);
    }

    @Test
    void t20AssertionWithAnUnregisteredKidIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        ECKey other = TestAgent.newKey();
        assertRow(withAssertion(a, signed(JWSAlgorithm.ES256, "not-" + a.key.getKeyID(), claims(a).build(), other)),
                "T20", "client", a.id);
    }

    /** Credential hygiene: a key past ISSUER_KEY_REFUSE_AFTER_DAYS is alerted first, then refused, until rotated. */
    @Test
    void t26KeyOlderThanTheRefusalAgeNoLongerAuthenticatesUntilRotated(@TempDir Path own) {
        try (TestIssuer aged = TestIssuer.start(own, new MutableClock(), 0, Map.of(
                "ISSUER_KEY_MAX_AGE_DAYS", "30", "ISSUER_KEY_REFUSE_AFTER_DAYS", "40"))) {
            TestAgent a = aged.register(agent(id("aged")));
            // the job's clock is moved, not the issuer's (client assertions and their replay marks live in real time)
            dev.agentid.issuer.lifecycle.KeyAges ages = aged.server.lifecycle().keyAges();
            Instant now = aged.clock.instant();
            ages.track(now);
            assertEquals(200, aged.clientCredentials(a).status());

            ages.track(now.plus(Duration.ofDays(35)));   // past the maximum age: alerted, still accepted
            assertEquals(200, aged.clientCredentials(a).status());
            JsonObject alert = aged.admin("GET", "/admin/audit?type=agent.key_overdue", null).json()
                    .getJsonArray("events").getJsonObject(0).getJsonObject("fields");
            assertEquals(a.id, alert.getString("agent"));
            assertEquals(a.key.getKeyID(), alert.getString("kid"));

            ages.track(now.plus(Duration.ofDays(45)));   // past the refusal age
            assertRow(aged.clientCredentials(a), "T26", "kid", a.key.getKeyID(), "client", a.id);

            // rollover: the new key next to the old one; the new one authenticates, the old one stays refused
            ECKey next = TestAgent.newKey();
            JsonObject patch = new JsonObject().put("jwks", new JsonObject().put("keys", new JsonArray()
                    .add(new JsonObject(a.key.toPublicJWK().toJSONObject()))
                    .add(new JsonObject(next.toPublicJWK().toJSONObject()))));
            Response patched = aged.send(HttpRequest.newBuilder(URI.create(aged.url + "/admin/agents/" + a.id))
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .header("Content-Type", "application/merge-patch+json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(patch.encode())).build());
            assertEquals(200, patched.status(), patched.body());
            ages.track(now.plus(Duration.ofDays(46)));
            Map<String, String> params = aged.as(a, "grant_type", "client_credentials");
            params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(a.id).subject(a.id)
                    .audience(aged.url).expirationTime(Date.from(Instant.now().plusSeconds(60)))
                    .issueTime(new Date()).jwtID(UUID.randomUUID().toString()).build(), next));
            Response rotated = aged.token(params);
            assertEquals(200, rotated.status(), rotated.body());
            assertRow(aged.clientCredentials(a), "T26", "kid", a.key.getKeyID(), "client", a.id);
            JsonObject report = aged.admin("GET", "/admin/key-ages", null).json();
            assertEquals(40, report.getInteger("refuse_after_days"));
        }
    }

    @Test
    void t21UnknownAgentIsRefusedAsABadSignature() {
        TestAgent ghost = agent(id("ghost")).build();
        assertRow(withAssertion(ghost, signed(JWSAlgorithm.ES256, null, claims(ghost).build(), ghost.key)), "T21",
                "client", ghost.id);
    }

    @Test
    void t21UnknownAgentWithAKidIsRefusedAsAnUnknownKid() {
        TestAgent ghost = agent(id("ghost")).build();
        assertRow(issuer.clientCredentials(ghost), "T20", "client", ghost.id);
    }

    /** Probing for agents: a registered agent and an unknown one get the same answers for the same mistakes. */
    @Test
    void probingForRegisteredAgentsGetsTheSameAnswerAsForUnknownOnes() {
        TestAgent known = issuer.register(agent(id("known")));
        TestAgent unknown = agent(id("unknown")).build();
        ECKey attacker = TestAgent.newKey();
        for (String kid : new String[] {null, attacker.getKeyID()}) {
            Response k = withAssertion(known, signed(JWSAlgorithm.ES256, kid, claims(known).build(), attacker));
            Response u = withAssertion(unknown, signed(JWSAlgorithm.ES256, kid, claims(unknown).build(), attacker));
            assertEquals(k.status(), u.status());
            assertEquals(k.body().replace(known.id, "X"), u.body().replace(unknown.id, "X"));
        }
    }

    @Test
    void t22AssertionWhoseSubIsAnotherAgentIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a.id, "someone-else").build(), a.key)), "T22");
    }

    @Test
    void t23AssertionWithoutJtiIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).jwtID(null).build(), a.key)), "T23",
                "description", "the client assertion has no jti");
    }

    @Test
    void t23AssertionWithoutExpIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, TestAgent.assertion(claims(a).expirationTime(null).build(), a.key)), "T23",
                "description", "the client assertion has no exp");
    }

    @Test
    void t23AssertionThatIsNotAJwtIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(withAssertion(a, "not.a.jwt"), "T23", "description",
                "client_assertion is not a signed JWT (JWS compact serialization)");
    }

    @Test
    void t24AssertionSignedWithEs384IsRefused() throws Exception {
        TestAgent a = issuer.register(agent(id("a")));
        ECKey p384 = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_384).generate();
        assertRow(withAssertion(a, signed(JWSAlgorithm.ES384, null, claims(a).build(), p384)), "T24");
    }

    @Test
    void t25MistypedAssertionTypeIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        params.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt_bearer");
        assertRow(issuer.token(params), "T25");
    }

    @Test
    void clientAssertionRefusalIsLoggedWithRowAndClientIdButNotTheAssertion() throws InterruptedException {
        TestAgent a = issuer.register(agent(id("a")));
        String assertion = a.assertion(issuer.url + "/");
        // refusal lines are thinned to 20 a wall-clock second (LogBudget), and the tests before this one refuse
        // many requests: start in a fresh second so this line is not the one held back
        long second = System.currentTimeMillis() / 1000;
        while (System.currentTimeMillis() / 1000 == second) {
            Thread.sleep(5);
        }
        try (LogCapture log = LogCapture.start()) {
            assertEquals(401, withAssertion(a, assertion).status());
            List<String> lines = log.messages();
            assertTrue(lines.stream().anyMatch(l -> l.contains("[T19 client_id '" + a.id + "']")), lines::toString);
            assertTrue(lines.stream().noneMatch(l -> l.contains(assertion.substring(assertion.lastIndexOf('.')))),
                    lines::toString);
        }
    }

    @Test
    void t10ReplayedAssertionIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        assertEquals(200, issuer.token(params).status());
        assertRow(issuer.token(params), "T10");
    }

    @Test
    void t11KilledAgentIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertEquals(200, issuer.admin("POST", "/admin/agents/" + a.id + "/kill", null).status());
        assertRow(issuer.clientCredentials(a), "T11", "agent", a.id);
    }

    // ---- C: client_credentials ----

    @Test
    void c01ScopeOutsideRegisteredIsRefused() {
        TestAgent a = issuer.register(agent(id("a")).scopes("read"));
        assertRow(issuer.clientCredentials(a, "scope", "read delete"), "C01", "scope", "delete", "agent", a.id);
    }

    @Test
    void c02AudienceNotRegisteredIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.clientCredentials(a, "audience", "https://evil.example"), "C02",
                "aud", "https://evil.example", "agent", a.id);
    }

    @Test
    void c02ResourceNotRegisteredIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        assertRow(issuer.clientCredentials(a, "resource", "https://evil.example"), "C02",
                "aud", "https://evil.example", "agent", a.id);
    }

    @Test
    void c03AudienceRequiredWhenSeveralRegistered() {
        TestAgent a = issuer.register(agent(id("a")).audiences("https://one.example", "https://two.example"));
        assertRow(issuer.clientCredentials(a), "C03");
    }

    @Test
    void c04TwoAudiencesAreRefused() {
        TestAgent a = issuer.register(agent(id("a")).audiences("https://one.example", "https://two.example"));
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials", "audience", "https://one.example");
        String body = TestIssuer.form(params) + "&resource=" + java.net.URLEncoder.encode("https://two.example",
                java.nio.charset.StandardCharsets.UTF_8);
        assertRow(issuer.post("/oauth2/token", "application/x-www-form-urlencoded", body), "C04");
    }

    // ---- X: token exchange ----

    @Test
    void x01MissingSubjectTokenIsRefused() {
        Chain ch = chain();
        Map<String, String> params = issuer.as(ch.b(), "grant_type", TestIssuer.EXCHANGE,
                "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
        assertRow(issuer.token(params), "X01");
    }

    @Test
    void x02Saml2SubjectTypeIsRefused() {
        // (id_token is accepted: human principals, federation/idp)
        Chain ch = chain();
        String token = issuer.tokenFor(ch.a());
        Map<String, String> params = issuer.as(ch.b(), "grant_type", TestIssuer.EXCHANGE, "subject_token", token,
                "subject_token_type", "urn:ietf:params:oauth:token-type:saml2");
        assertRow(issuer.token(params), "X02");
    }

    @Test
    void x03RefreshTokenRequestedTypeIsRefused() {
        Chain ch = chain();
        String token = issuer.tokenFor(ch.a());
        assertRow(issuer.exchange(ch.b(), token, "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token"), "X03");
    }

    @Test
    void x04MalformedSubjectTokenIsRefused() {
        Chain ch = chain();
        assertRow(issuer.exchange(ch.b(), "not.a.jwt=="), "X04");
    }

    @Test
    void x05TamperedSignatureIsRefused() {
        Chain ch = chain();
        String token = issuer.tokenFor(ch.a());
        String[] parts = token.split("\\.");
        char[] sig = parts[2].toCharArray();
        sig[10] = sig[10] == 'A' ? 'B' : 'A';
        assertRow(issuer.exchange(ch.b(), parts[0] + "." + parts[1] + "." + new String(sig)), "X05");
    }

    @Test
    void x05ForeignKeyIsRefused() {
        Chain ch = chain();
        String forged = TestAgent.assertion(validClaims(ch.a().id).build(), TestAgent.newKey());
        String[] parts = forged.split("\\.");
        // re-sign with a header claiming at+jwt: the key is still unknown to the issuer
        ECKey other = TestAgent.newKey();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
                .keyID(other.getKeyID()).build(), validClaims(ch.a().id).build());
        try {
            jwt.sign(new ECDSASigner(other));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(3, parts.length);
        assertRow(issuer.exchange(ch.b(), jwt.serialize()), "X05");
    }

    @Test
    void x06PlainJwtTypeIsRefused() {
        Chain ch = chain();
        assertRow(issuer.exchange(ch.b(), signedByIssuer(JOSEObjectType.JWT, validClaims(ch.a().id).build())), "X06");
    }

    @Test
    void x07AnotherIssuerIsRefused() {
        Chain ch = chain();
        String token = signedByIssuer(new JOSEObjectType("at+jwt"),
                validClaims(ch.a().id).issuer("https://elsewhere.example").build());
        assertRow(issuer.exchange(ch.b(), token), "X07");
    }

    @Test
    void x08ExpiredSubjectTokenIsRefused() {
        Chain ch = chain();
        Instant past = Instant.now().minusSeconds(3600);
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), validClaims(ch.a().id)
                .issueTime(Date.from(past)).expirationTime(Date.from(past.plusSeconds(60))).build());
        assertRow(issuer.exchange(ch.b(), token), "X08");
    }

    @Test
    void x23SubjectTokenFromTheFutureIsRefused() {
        Chain ch = chain();
        Instant future = Instant.now().plusSeconds(600);
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), validClaims(ch.a().id)
                .issueTime(Date.from(future)).expirationTime(Date.from(future.plusSeconds(60))).build());
        assertRow(issuer.exchange(ch.b(), token), "X23");
    }

    @Test
    void x09MissingClientIdIsRefused() {
        Chain ch = chain();
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), validClaims(ch.a().id).claim("client_id", null)
                .build());
        assertRow(issuer.exchange(ch.b(), token), "X09");
    }

    @Test
    void x09MalformedActIsRefused() {
        Chain ch = chain();
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), validClaims(ch.a().id)
                .claim("act", Map.of("sub", ch.a().id)).build());
        assertRow(issuer.exchange(ch.b(), token), "X09");
    }

    @Test
    void x10TokenWithoutMintTimeIsRefused() {
        Chain ch = chain();
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), validClaims(ch.a().id).build());
        assertRow(issuer.exchange(ch.b(), token), "X10");
    }

    @Test
    void x10MalformedLineageIsRefused() {
        Chain ch = chain();
        for (Object anc : List.of("not-an-array", List.of(), List.of(7), List.of("same", "same"))) {
            JWTClaimsSet claims = withLineage(validClaims(ch.a().id)).claim(Lineage.ANC, anc).build();
            assertRow(issuer.exchange(ch.b(), signedByIssuer(new JOSEObjectType("at+jwt"), claims)), "X10");
        }
        JWTClaimsSet badStatus = withLineage(validClaims(ch.a().id))
                .claim(Lineage.ANC_STATUS, List.of(Map.of("iss", "https://p.example", "uri", "https://elsewhere/1",
                        "idx", 3))).build();
        assertRow(issuer.exchange(ch.b(), signedByIssuer(new JOSEObjectType("at+jwt"), badStatus)), "X10");
    }

    @Test
    void x10LineageMintTimeOutsideIatIsRefused() {
        Chain ch = chain();
        JWTClaimsSet.Builder claims = validClaims(ch.a().id);
        long iat = claims.build().getIssueTime().getTime() / 1000;
        for (Object ms : List.of((iat + 1) * 1000, "" + iat * 1000, 1.5)) {
            JWTClaimsSet token = claims.claim(Lineage.IAT_MS, ms).build();
            assertRow(issuer.exchange(ch.b(), signedByIssuer(new JOSEObjectType("at+jwt"), token)), "X10");
        }
    }

    /** No record is kept per token: a well-formed token of ours is judged from its own claims. */
    @Test
    void aTokenSignedByThisIssuerNeedsNoRecordToBeExchanged() {
        Chain ch = chain();
        String token = signedByIssuer(new JOSEObjectType("at+jwt"), withLineage(validClaims(ch.a().id)).build());
        assertEquals(200, issuer.exchange(ch.b(), token).status());
    }

    /** The profile's lineage claims for a root token minted at its {@code iat}. */
    static JWTClaimsSet.Builder withLineage(JWTClaimsSet.Builder claims) {
        return claims.claim(Lineage.IAT_MS, claims.build().getIssueTime().getTime());
    }

    @Test
    void x11RevokedSubjectTokenIsRefused() {
        Chain ch = chain();
        String token = issuer.tokenFor(ch.a());
        assertEquals(200, issuer.revoke(ch.a(), token).status());
        assertRow(issuer.exchange(ch.b(), token), "X11");
    }

    @Test
    void x12RevokedAncestorIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        String tokenB = issuer.exchanged(ch.b(), tokenA);
        assertEquals(200, issuer.revoke(ch.a(), tokenA).status());
        assertRow(issuer.exchange(ch.c(), tokenB), "X12");
    }

    @Test
    void x13KilledAgentInChainIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        String tokenB = issuer.exchanged(ch.b(), tokenA);
        assertEquals(200, issuer.admin("POST", "/admin/agents/" + ch.a().id + "/kill", null).status());
        assertRow(issuer.exchange(ch.c(), tokenB), "X13", "agent", ch.a().id);
    }

    @Test
    void x14ClientNotADelegateIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        assertRow(issuer.exchange(ch.c(), tokenA), "X14", "client", ch.c().id, "current", ch.a().id);
    }

    @Test
    void x15CycleIsRefused() {
        String a = id("a"), b = id("b");
        TestAgent agentA = issuer.register(agent(a).delegates(b));
        TestAgent agentB = issuer.register(agent(b).delegates(a));
        String tokenB = issuer.exchanged(agentB, issuer.tokenFor(agentA));
        assertRow(issuer.exchange(agentA, tokenB), "X15", "client", a);
    }

    @Test
    void x16DepthBeyondAnAgentsLimitIsRefused() {
        String a = id("a"), b = id("b"), c = id("c");
        TestAgent agentA = issuer.register(agent(a).delegates(b).maxDepth(2));
        TestAgent agentB = issuer.register(agent(b).delegates(c));
        TestAgent agentC = issuer.register(agent(c));
        String tokenB = issuer.exchanged(agentB, issuer.tokenFor(agentA));
        assertRow(issuer.exchange(agentC, tokenB), "X16", "n", "3", "limit", "2");
    }

    @Test
    void x17ScopeBeyondSubjectTokenIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a(), "scope", "read");
        assertRow(issuer.exchange(ch.b(), tokenA, "scope", "read write"), "X17", "scope", "write");
    }

    @Test
    void x18ScopeNotRegisteredForClientIsRefused() {
        String a = id("a"), b = id("b");
        TestAgent agentA = issuer.register(agent(a).delegates(b).scopes("read", "admin"));
        TestAgent agentB = issuer.register(agent(b).scopes("read"));
        String tokenA = issuer.tokenFor(agentA);
        assertRow(issuer.exchange(agentB, tokenA, "scope", "admin"), "X18", "scope", "admin", "agent", b);
    }

    @Test
    void x19NoCommonScopeIsRefused() {
        String a = id("a"), b = id("b");
        TestAgent agentA = issuer.register(agent(a).delegates(b).scopes("admin"));
        TestAgent agentB = issuer.register(agent(b).scopes("read"));
        assertRow(issuer.exchange(agentB, issuer.tokenFor(agentA)), "X19", "agent", b);
    }

    @Test
    void x20AudienceNotAllowedForClientIsRefused() {
        Chain ch = chain();
        assertRow(issuer.exchange(ch.b(), issuer.tokenFor(ch.a()), "audience", "https://evil.example"), "X20",
                "aud", "https://evil.example", "agent", ch.b().id);
    }

    @Test
    void x21ActorTokenOfAnotherAgentIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        String tokenC = issuer.tokenFor(ch.c());
        assertRow(issuer.exchange(ch.b(), tokenA, "actor_token", tokenC, "actor_token_type",
                TestIssuer.ACCESS_TOKEN_TYPE), "X21");
    }

    @Test
    void x22ActorTokenWithoutTypeIsRefused() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        assertRow(issuer.exchange(ch.b(), tokenA, "actor_token", issuer.tokenFor(ch.b())), "X22");
    }

    @Test
    void actorTokenOfTheClientIsAccepted() {
        Chain ch = chain();
        String tokenA = issuer.tokenFor(ch.a());
        assertEquals(200, issuer.exchange(ch.b(), tokenA, "actor_token", issuer.tokenFor(ch.b()),
                "actor_token_type", TestIssuer.ACCESS_TOKEN_TYPE).status());
    }

}
