package dev.agentid.issuer.lifecycle;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.federation.idp.TestIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owner offboarding by Shared Signals: a trusted OpenID Provider pushes a Security Event Token (RFC 8417, RFC 8935) to
 * {@code POST /ssf/events}, and the user's agents are suspended, with every chain through them. Driven through the
 * real endpoint of a real issuer, with SETs signed by a real (in-test) provider's keys.
 */
class SharedSignalsTest {

    static final String SESSION_REVOKED = SharedSignalsReceiver.SESSION_REVOKED;
    static final String ACCOUNT_DISABLED = SharedSignalsReceiver.ACCOUNT_DISABLED;
    static final String MEDIA = "application/secevent+jwt";

    @TempDir
    static Path dir;
    static TestIdp idp;
    static TestIdp stranger;
    static TestIssuer issuer;

    @BeforeAll
    static void start() throws Exception {
        idp = TestIdp.start();
        stranger = TestIdp.start();   // not in the trust file
        Path trust = dir.resolve("trust.json");
        Files.writeString(trust, new JsonObject()
                .put("identity_providers", new JsonArray().add(idp.trustEntry())).encode());
        issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0, Map.of(
                "ISSUER_TRUST_FILE", trust.toString(), "ISSUER_FEDERATION_LOOPBACK_HTTP", "true"));
    }

    @AfterAll
    static void stop() {
        issuer.close();
        idp.close();
        stranger.close();
    }

    static JWTClaimsSet.Builder set(TestIdp by, String user, String eventType) {
        return new JWTClaimsSet.Builder().issuer(by.issuer).audience(TestIdp.AUDIENCE)
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString())
                .claim("sub_id", Map.of("format", "iss_sub", "iss", by.issuer, "sub", user))
                .claim("events", Map.of(eventType, Map.of("event_timestamp", Instant.now().getEpochSecond())));
    }

    static String signed(TestIdp by, JWTClaimsSet claims) {
        return by.sign(claims, JWSAlgorithm.ES256, new JOSEObjectType("secevent+jwt"));
    }

    static TestIssuer.Response push(String set) {
        return issuer.post("/ssf/events", MEDIA, set);
    }

    static String status(String agent) {
        return issuer.admin("GET", "/admin/agents/" + agent, null).json().getString("status");
    }

    static void assertRefused(TestIssuer.Response r, int status, String err) {
        assertEquals(status, r.status(), r.body());
        assertEquals(err, r.json().getString("err"), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
    }

    @Test
    void accountDisabledAtTheProviderSuspendsTheUsersAgentsAndKillsTheirChains() {
        String owner = "dana";
        TestAgent planner = issuer.register(agent("ssf-planner").owner(idp.principal(owner)).delegates("ssf-helper"));
        TestAgent helper = issuer.register(agent("ssf-helper").owner(idp.principal("erin")));
        String root = issuer.tokenFor(planner);
        String chained = issuer.exchanged(helper, root);
        String unrelated = issuer.tokenFor(helper);

        TestIssuer.Response r = push(signed(idp, set(idp, owner, ACCOUNT_DISABLED).build()));
        assertEquals(202, r.status(), r.body());
        assertEquals("killed", status("ssf-planner"));
        assertEquals("active", status("ssf-helper"));
        assertFalse(issuer.introspect(root).getBoolean("active"));
        assertFalse(issuer.introspect(chained).getBoolean("active"), "a chain through the agent dies");
        assertTrue(issuer.introspect(unrelated).getBoolean("active"));
        assertEquals(401, issuer.clientCredentials(planner).status());

        JsonObject disabled = issuer.admin("GET", "/admin/audit?type=owner.disabled", null).json()
                .getJsonArray("events").stream().map(JsonObject.class::cast).map(e -> e.getJsonObject("fields"))
                .filter(f -> idp.principal(owner).equals(f.getString("owner"))).findFirst().orElseThrow();
        assertEquals("ssf:" + idp.issuer, disabled.getString("by"));
        assertTrue(disabled.getString("reason").contains("account-disabled"), disabled.encode());
    }

    @Test
    void sessionRevokedInTheLegacyEventSubjectFormSuspendsToo() {
        TestAgent agent = issuer.register(agent("ssf-legacy").owner(idp.principal("frank")));
        String token = issuer.tokenFor(agent);
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(idp.issuer).audience(TestIdp.AUDIENCE)
                .issueTime(new Date()).jwtID(UUID.randomUUID().toString())
                .claim("events", Map.of(SESSION_REVOKED, Map.of("subject", Map.of("format", "aliases",
                        "identifiers", List.of(Map.of("format", "email", "email", "frank@example.com"),
                                Map.of("format", "iss_sub", "iss", idp.issuer, "sub", "frank")))))).build();
        assertEquals(202, push(signed(idp, claims)).status());
        assertEquals("killed", status("ssf-legacy"));
        assertFalse(issuer.introspect(token).getBoolean("active"));
    }

    @Test
    void replayedSecurityEventDoesNotSuspendRestoredAgentsAgain() {
        issuer.register(agent("ssf-replay").owner(idp.principal("gina")));
        String set = signed(idp, set(idp, "gina", ACCOUNT_DISABLED).build());
        assertEquals(202, push(set).status());
        assertEquals("killed", status("ssf-replay"));
        assertEquals(200, issuer.admin("POST", "/admin/agents/ssf-replay/restore",
                new JsonObject().put("reason", "rehired")).status());
        assertEquals(202, push(set).status(), "a repeated delivery is acknowledged (RFC 8935 retries)");
        assertEquals("active", status("ssf-replay"), "but changes nothing");
        // a new event about the same user does act
        assertEquals(202, push(signed(idp, set(idp, "gina", SESSION_REVOKED).build())).status());
        assertEquals("killed", status("ssf-replay"));
    }

    @Test
    void providerCannotOffboardAnotherIssuersUser() {
        issuer.register(agent("ssf-foreign").owner("https://other-idp.example#henry"));
        JWTClaimsSet claims = set(idp, "henry", ACCOUNT_DISABLED)
                .claim("sub_id", Map.of("format", "iss_sub", "iss", "https://other-idp.example", "sub", "henry"))
                .build();
        assertEquals(202, push(signed(idp, claims)).status(), "accepted, but it names none of its own users");
        assertEquals("active", status("ssf-foreign"));
    }

    @Test
    void forgedSecurityEventFromAnUntrustedProviderIsRefused() {
        issuer.register(agent("ssf-forged").owner(idp.principal("ivan")));
        // signed by a provider that is not trusted, naming itself
        assertRefused(push(signed(stranger, set(stranger, "ivan", ACCOUNT_DISABLED).build())), 400,
                "invalid_issuer");
        // claiming to be the trusted provider, signed with the stranger's key (same kids are not reused: unknown key)
        String forged = stranger.sign(set(idp, "ivan", ACCOUNT_DISABLED).build(), JWSAlgorithm.ES256,
                new JOSEObjectType("secevent+jwt"));
        assertRefused(push(forged), 400, "invalid_key");
        assertEquals("active", status("ssf-forged"));
    }

    @Test
    void securityEventForAnotherReceiverIsRefused() {
        issuer.register(agent("ssf-aud").owner(idp.principal("judy")));
        assertRefused(push(signed(idp, set(idp, "judy", ACCOUNT_DISABLED).audience("someone-else").build())), 400,
                "invalid_audience");
        assertEquals("active", status("ssf-aud"));
    }

    @Test
    void malformedOrMistypedSecurityEventsAreInvalidRequests() {
        issuer.register(agent("ssf-bad").owner(idp.principal("kim")));
        JWTClaimsSet good = set(idp, "kim", ACCOUNT_DISABLED).build();
        // an id_token-typed JWT is not a SET (token confusion)
        assertRefused(push(idp.sign(good, JWSAlgorithm.ES256, JOSEObjectType.JWT)), 400, "invalid_request");
        assertRefused(issuer.post("/ssf/events", "application/jwt", signed(idp, good)), 400, "invalid_request");
        assertRefused(push("not.a.jwt"), 400, "invalid_request");
        assertRefused(push(""), 400, "invalid_request");
        assertRefused(push(signed(idp, set(idp, "kim", ACCOUNT_DISABLED).claim("events", Map.of()).build())), 400,
                "invalid_request");
        assertRefused(push(signed(idp, set(idp, "kim", ACCOUNT_DISABLED).jwtID(null).build())), 400,
                "invalid_request");
        assertRefused(push(signed(idp, set(idp, "kim", ACCOUNT_DISABLED)
                .issueTime(Date.from(Instant.now().minus(Duration.ofHours(2)))).build())), 400, "invalid_request");
        assertRefused(push(signed(idp, set(idp, "kim", ACCOUNT_DISABLED)
                .issueTime(Date.from(Instant.now().plus(Duration.ofHours(1)))).build())), 400, "invalid_request");
        assertRefused(push(idp.sign(good, JWSAlgorithm.HS256, new JOSEObjectType("secevent+jwt"))), 400,
                "invalid_key");
        assertEquals("active", status("ssf-bad"));
    }

    /** A provider whose discovery has not succeeded: the push is answered 503 with Retry-After, so it is retried. */
    @Test
    void securityEventFromAProviderWhoseKeysAreUnavailableIsAnsweredTemporarilyUnavailable(@TempDir Path own)
            throws Exception {
        String down = "http://127.0.0.1:1";   // nothing listens: discovery fails, the entry stays unavailable
        Path trust = own.resolve("trust.json");
        Files.writeString(trust, new JsonObject().put("identity_providers", new JsonArray().add(new JsonObject()
                .put("issuer", down).put("audience", TestIdp.AUDIENCE))).encode());
        try (TestIssuer other = TestIssuer.start(own.resolve("data"), new MutableClock(), 0, Map.of(
                "ISSUER_TRUST_FILE", trust.toString(), "ISSUER_FEDERATION_LOOPBACK_HTTP", "true"))) {
            JWTClaimsSet claims = set(idp, "mia", ACCOUNT_DISABLED).issuer(down).build();
            TestIssuer.Response r = other.post("/ssf/events", MEDIA, signed(idp, claims));
            assertRefused(r, 503, "temporarily_unavailable");
            assertEquals("5", r.header("Retry-After"));
        }
    }

    @Test
    void otherEventTypesAreAcknowledgedAndRecordedButChangeNothing() {
        issuer.register(agent("ssf-other").owner(idp.principal("lena")));
        String jti = UUID.randomUUID().toString();
        JWTClaimsSet claims = set(idp, "lena",
                "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change").jwtID(jti).build();
        assertEquals(202, push(signed(idp, claims)).status());
        assertEquals("active", status("ssf-other"));
        JsonObject record = issuer.admin("GET", "/admin/audit?type=security.event", null).json()
                .getJsonArray("events").stream().map(JsonObject.class::cast).map(e -> e.getJsonObject("fields"))
                .filter(f -> jti.equals(f.getString("jti"))).findFirst().orElseThrow();
        assertEquals(new JsonArray().add(idp.principal("lena")), record.getJsonArray("subjects"));
        assertEquals(new JsonArray(), record.getJsonArray("offboarded"));
    }
}
