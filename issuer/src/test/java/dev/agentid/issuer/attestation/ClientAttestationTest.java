package dev.agentid.issuer.attestation;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
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
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Attestation-based client authentication at the token endpoint (draft-ietf-oauth-attestation-based-
 * client-auth, PoP JWT mode, next to private_key_jwt) and the attestation summary in every actor level:
 * an attested agent's token carries its attestation; A -> B -> C keeps one summary per hop; each
 * refusal row A01–A08 of spec/refusals/token-endpoint.json with its whole JSON body.
 */
class ClientAttestationTest {

    static final String ATTESTER = "https://attester.example";
    static final String TEE = "https://tee.example";

    @TempDir
    static Path dir;
    static TestIssuer issuer;
    static TestAttester attester;
    static TestAttester tee;
    static TestAttester stranger;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        attester = TestAttester.jwks(ATTESTER);
        tee = TestAttester.x509(TEE, Instant.now());
        stranger = TestAttester.jwks("https://stranger.example");
        Path file = dir.resolve("attesters.json");
        Files.writeString(file, TestAttester.file(300, attester, tee));
        issuer = TestIssuer.start(dir.resolve("data"), new dev.agentid.issuer.MutableClock(), 0,
                Map.of("ISSUER_ATTESTERS_FILE", file.toString()));
    }

    @AfterAll
    static void stop() {
        issuer.close();
        assertEquals(RefusalTable.idsOf(RefusalTable.ATTESTATION_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.ATTESTATION_PREFIXES), "every attestation row has a test");
    }

    static String id(String name) {
        return name + "-" + SEQ.incrementAndGet();
    }

    static Instant now() {
        return issuer.clock.instant();
    }

    /** An agent whose registration requires attestation and pins DIGEST_A. */
    static TestAgent attestedAgent(String name, String... delegates) {
        TestAgent.Builder builder = agent(id(name)).delegates(delegates);
        TestAgent built = builder.build();
        built.registration.put("attestation", new JsonObject().put("required", true)
                .put("digests", new JsonArray().add(TestAttester.DIGEST_A))
                .put("models", new JsonArray().add("example-model-1")));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", built.registration);
        assertEquals(201, r.status(), r.body());
        return built;
    }

    /** Posts a token request with extra headers. */
    static TestIssuer.Response token(Map<String, String> params, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params)));
        headers.forEach(b::header);
        return issuer.send(b.build());
    }

    static TestIssuer.Response clientCredentials(TestAgent agent, Map<String, String> headers) {
        Map<String, String> params = issuer.as(agent, "grant_type", "client_credentials");
        return token(params, headers);
    }

    static TestIssuer.Response exchange(TestAgent client, String subjectToken, Map<String, String> headers) {
        return token(issuer.as(client, "grant_type", TestIssuer.EXCHANGE, "subject_token", subjectToken,
                "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE), headers);
    }

    static String accessToken(TestIssuer.Response r) {
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    static VerifiedAgentToken verify(String token) throws Exception {
        JWKSet keys = JWKSet.parse(issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/jwks"))
                .GET().build()).body());
        try (AgentTokenVerifier verifier = AgentTokenVerifier.builder().trustIssuer(issuer.url, keys)
                .audience("https://api.example").build()) {
            return verifier.verify(token);
        }
    }

    static Attestation summary(TestAttester.Presented presented, String attesterId) throws Exception {
        return Attestation.of(attesterId, (String) presented.workload.get("digest"),
                Instant.ofEpochSecond(presented.claims.build().getIssueTime().getTime() / 1000));
    }

    // ------------------------------------------------------------------ tokens carry the attestation

    @Test
    void attestedAgentGetsATokenCarryingItsAttestation() throws Exception {
        TestAgent a = attestedAgent("attested");
        TestAttester.Presented presented = attester.attest(a.id, now());
        VerifiedAgentToken token = verify(accessToken(clientCredentials(a, presented.headers(issuer.url).asMap())));
        assertEquals(summary(presented, ATTESTER), token.chain().current().attestation());
        Map<String, Object> att = token.claims().getJSONObjectClaim("act");
        assertEquals(Map.of("iss", ATTESTER, "dig", TestAttester.DIGEST_A,
                "iat", presented.claims.build().getIssueTime().getTime() / 1000), att.get("att"));
    }

    @Test
    void anAttesterTrustedByX509RootsIsAccepted() throws Exception {
        TestAgent a = attestedAgent("x509");
        TestAttester.Presented presented = tee.attest(a.id, now());
        VerifiedAgentToken token = verify(accessToken(clientCredentials(a, presented.headers(issuer.url).asMap())));
        assertEquals(summary(presented, TEE), token.chain().current().attestation());
    }

    @Test
    void anAgentThatNeedsNoAttestationGetsATokenWithoutOne() throws Exception {
        TestAgent plain = issuer.register(agent(id("plain")));
        VerifiedAgentToken token = verify(accessToken(clientCredentials(plain, Map.of())));
        assertNull(token.chain().current().attestation());
        // and one that presents a valid attestation voluntarily carries it
        TestAttester.Presented presented = attester.attest(plain.id, now());
        VerifiedAgentToken attested = verify(accessToken(clientCredentials(plain,
                presented.headers(issuer.url).asMap())));
        assertEquals(summary(presented, ATTESTER), attested.chain().current().attestation());
    }

    @Test
    void everyHopOfAnAttestedChainCarriesItsOwnAttestation() throws Exception {
        String b = id("hop-b");
        String c = id("hop-c");
        TestAgent agentA = attestedAgent("hop-a", b);
        TestAgent agentB = registerAttested(b, c);
        TestAgent agentCReal = registerAttested(c);
        TestAttester.Presented pa = attester.attest(agentA.id, now());
        TestAttester.Presented pb = tee.attest(agentB.id, now());
        TestAttester.Presented pc = attester.attest(agentCReal.id, now());
        String tokenA = accessToken(clientCredentials(agentA, pa.headers(issuer.url).asMap()));
        String tokenB = accessToken(exchange(agentB, tokenA, pb.headers(issuer.url).asMap()));
        String tokenC = accessToken(exchange(agentCReal, tokenB, pc.headers(issuer.url).asMap()));

        VerifiedAgentToken vc = verify(tokenC);
        assertEquals(3, vc.chain().depth());
        assertEquals(List.of(agentCReal.id, agentB.id, agentA.id),
                vc.chain().actors().stream().map(x -> x.subject()).toList());
        assertEquals(summary(pc, ATTESTER), vc.chain().actors().get(0).attestation());
        assertEquals(summary(pb, TEE), vc.chain().actors().get(1).attestation());
        assertEquals(summary(pa, ATTESTER), vc.chain().actors().get(2).attestation());
        vc.checkDerivedFrom(verify(tokenB));
        verify(tokenB).checkDerivedFrom(verify(tokenA));
    }

    static TestAgent registerAttested(String agentId, String... delegates) {
        TestAgent built = agent(agentId).delegates(delegates).build();
        built.registration.put("attestation", new JsonObject().put("required", true));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", built.registration);
        assertEquals(201, r.status(), r.body());
        return built;
    }

    @Test
    void aSubjectTokensAttestationsSurviveAnUnattestedClient() throws Exception {
        String b = id("keep-b");
        TestAgent a = attestedAgent("keep-a", b);
        TestAgent client = issuer.register(agent(b));
        TestAttester.Presented pa = attester.attest(a.id, now());
        String tokenA = accessToken(clientCredentials(a, pa.headers(issuer.url).asMap()));
        VerifiedAgentToken vb = verify(accessToken(exchange(client, tokenA, Map.of())));
        assertNull(vb.chain().current().attestation());
        assertEquals(summary(pa, ATTESTER), vb.chain().actors().get(1).attestation());
    }

    @Test
    void registrationEchoesAndValidatesTheAttestationRequirement() {
        TestAgent a = attestedAgent("echo");
        JsonObject json = issuer.admin("GET", "/admin/agents/" + a.id, null).json();
        assertEquals(new JsonObject().put("required", true)
                .put("digests", new JsonArray().add(TestAttester.DIGEST_A))
                .put("models", new JsonArray().add("example-model-1")).put("runtimes", new JsonArray()),
                json.getJsonObject("attestation"));
        TestAgent bad = agent(id("bad-digest")).build();
        bad.registration.put("attestation", new JsonObject().put("digests", new JsonArray().add("sha256:XYZ")));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", bad.registration);
        assertEquals(400, r.status(), r.body());
        assertEquals("attestation", r.json().getString("field"));
        TestAgent unknown = agent(id("bad-field")).build();
        unknown.registration.put("attestation", new JsonObject().put("require", true));
        assertEquals(400, issuer.admin("POST", "/admin/agents", unknown.registration).status());
    }

    // ------------------------------------------------------------------ refusals A01–A08

    @Test
    void missingAttestationWhenRequiredIsA01() {
        TestAgent a = attestedAgent("missing");
        assertRow(clientCredentials(a, Map.of()), "A01", "agent", a.id);
    }

    @Test
    void aStolenRegistrationKeyIsNotEnoughForATokenExchange() {
        String b = id("stolen-b");
        TestAgent a = issuer.register(agent(id("stolen-a")).delegates(b));
        TestAgent client = registerAttested(b);
        String tokenA = issuer.tokenFor(a);
        assertRow(exchange(client, tokenA, Map.of()), "A01", "agent", client.id);
    }

    @Test
    void onlyOneOfTheTwoHeadersIsA02() {
        TestAgent a = attestedAgent("one-header");
        TestAttester.Headers h = attester.attest(a.id, now()).headers(issuer.url);
        assertRow(clientCredentials(a, new TestAttester.Headers(h.attestation(), null).asMap()), "A02");
        assertRow(clientCredentials(a, new TestAttester.Headers(null, h.pop()).asMap()), "A02");
    }

    @Test
    void malformedAttestationsAreA02() {
        TestAgent a = attestedAgent("malformed");
        TestAttester.Headers good = attester.attest(a.id, now()).headers(issuer.url);
        assertRow(clientCredentials(a, new TestAttester.Headers("not-a-jwt", good.pop()).asMap()), "A02");
        TestAttester.Presented wrongType = attester.attest(a.id, now());
        wrongType.type = JOSEObjectType.JWT;
        assertRow(clientCredentials(a, wrongType.headers(issuer.url).asMap()), "A02");
        TestAttester.Presented noDigest = attester.attest(a.id, now()).workload("digest", null);
        assertRow(clientCredentials(a, noDigest.headers(issuer.url).asMap()), "A02");
        TestAttester.Presented noIat = attester.attest(a.id, now());
        noIat.claims.issueTime(null);
        assertRow(clientCredentials(a, noIat.headers(issuer.url).asMap()), "A02");
    }

    @Test
    void wrongAttesterIsA03() {
        TestAgent a = attestedAgent("wrong-attester");
        // an attester the issuer does not know
        assertRow(clientCredentials(a, stranger.attest(a.id, now()).headers(issuer.url).asMap()), "A03");
        // a known attester's name, signed with another key
        TestAttester.Presented forged = attester.attest(a.id, now());
        forged.attesterKey = stranger.key;
        assertRow(clientCredentials(a, forged.headers(issuer.url).asMap()), "A03");
        // an x5c chain that does not lead to the trusted attester's root
        TestAttester.Presented otherRoot = TestAttester.x509(TEE, now()).attest(a.id, now());
        assertRow(clientCredentials(a, otherRoot.headers(issuer.url).asMap()), "A03");
    }

    @Test
    void staleAttestationIsA04() {
        TestAgent a = attestedAgent("stale");
        TestAttester.Presented old = attester.attest(a.id, now());
        old.claims.issueTime(Date.from(now().minusSeconds(301)));
        assertRow(clientCredentials(a, old.headers(issuer.url).asMap()), "A04");
        TestAttester.Presented expired = attester.attest(a.id, now());
        expired.claims.expirationTime(Date.from(now().minusSeconds(61)));
        assertRow(clientCredentials(a, expired.headers(issuer.url).asMap()), "A04");
    }

    @Test
    void anAttestationForAnotherAgentIsA05() {
        TestAgent a = attestedAgent("other-sub");
        TestAgent b = attestedAgent("other-sub-b");
        assertRow(clientCredentials(a, attester.attest(b.id, now()).headers(issuer.url).asMap()), "A05",
                "agent", a.id);
    }

    @Test
    void popSignedByAnotherKeyIsA06() {
        TestAgent a = attestedAgent("pop-key");
        TestAttester.Presented presented = attester.attest(a.id, now());
        presented.popKey = TestAttester.newKey();
        assertRow(clientCredentials(a, presented.headers(issuer.url).asMap()), "A06");
    }

    @Test
    void popForAnotherAudienceOrTooOldIsA06() {
        TestAgent a = attestedAgent("pop-aud");
        assertRow(clientCredentials(a, attester.attest(a.id, now()).headers("https://other.example").asMap()), "A06");
        TestAttester.Presented old = attester.attest(a.id, now());
        old.popClaims.issueTime(Date.from(now().minusSeconds(301)));
        assertRow(clientCredentials(a, old.headers(issuer.url).asMap()), "A06");
        TestAttester.Presented wrongType = attester.attest(a.id, now());
        wrongType.popType = JOSEObjectType.JWT;
        assertRow(clientCredentials(a, wrongType.headers(issuer.url).asMap()), "A06");
        TestAttester.Presented noJti = attester.attest(a.id, now());
        noJti.popClaims.jwtID(null);
        assertRow(clientCredentials(a, noJti.headers(issuer.url).asMap()), "A06");
    }

    @Test
    void replayedPopIsA07() {
        TestAgent a = attestedAgent("replay");
        Map<String, String> headers = attester.attest(a.id, now()).headers(issuer.url).asMap();
        accessToken(clientCredentials(a, headers));
        assertRow(clientCredentials(a, headers), "A07");
    }

    @Test
    void measurementMismatchIsA08() {
        TestAgent a = attestedAgent("pins");
        assertRow(clientCredentials(a, attester.attest(a.id, now()).workload("digest", TestAttester.DIGEST_B)
                .headers(issuer.url).asMap()), "A08", "measurement", "digest", "agent", a.id);
        assertRow(clientCredentials(a, attester.attest(a.id, now()).workload("model", "other-model")
                .headers(issuer.url).asMap()), "A08", "measurement", "model", "agent", a.id);
        assertRow(clientCredentials(a, attester.attest(a.id, now()).workload("model", null)
                .headers(issuer.url).asMap()), "A08", "measurement", "model", "agent", a.id);
    }

    @Test
    void theIssuerAdvertisesTheDraftsMetadata() {
        JsonObject md = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                + "/.well-known/oauth-authorization-server")).GET().build()).json();
        assertEquals(new JsonArray().add("attestation_pop_jwt").add("none"),
                md.getJsonArray("client_attestation_pop_methods_supported"));
        assertEquals("ES256", md.getJsonArray("client_attestation_signing_alg_values_supported").getString(0));
        assertEquals("ES256", md.getJsonArray("client_attestation_pop_signing_alg_values_supported").getString(0));
        assertEquals(false, md.getJsonArray("token_endpoint_auth_methods_supported").contains("attest_jwt_client_auth"));
    }
}
