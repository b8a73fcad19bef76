package dev.agentid.issuer.federation;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.issuer.token.TokenMinter;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.VerifiedAgentToken;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.idp.TestIdp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identity chaining across organisations (profile section "Federation"): three in-process issuers A, B and C, each
 * with its own data and trust file. A and B trust each other, C trusts A. Every F row of the refusal table is
 * exercised here (the last check proves it).
 */
class FederationTest {

    static final String UNREACHABLE_PARTNER = "http://127.0.0.1:9";
    /** A's client at the IdP: the audience of the id_tokens A's agents present (TestIdp's). */
    static final String A_CLIENT_AT_IDP = TestIdp.AUDIENCE;

    @TempDir
    static Path dir;
    static Organisation a;
    static Organisation b;
    static Organisation c;
    // A's agents
    static TestAgent a1;
    static TestAgent a2;
    static TestAgent aOther;
    static TestAgent aKilled;
    static TestAgent aRelay;
    // B's agents
    static TestAgent b1;
    static TestAgent b2;
    static TestAgent bReviewer;
    static TestAgent bNot;
    static TestAgent bShallow;
    static TestAgent bNarrow;
    static TestAgent bReadOnly;
    // C's agent
    static TestAgent c1;
    // human principals (section 6.11): an IdP both A and B trust, an IdP B lists but cannot reach, A's agent for alice
    static TestIdp idp;
    static String downIdp;
    static TestAgent aHuman;

    @BeforeAll
    static void start() throws Exception {
        idp = TestIdp.start();
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            downIdp = "http://127.0.0.1:" + socket.getLocalPort();
        }
        a = Organisation.start("a", dir);
        b = Organisation.start("b", dir);
        c = Organisation.start("c", dir);
        a1 = a.issuer.register(agent("a1").delegates("a2"));
        a2 = a.issuer.register(agent("a2"));
        aOther = a.issuer.register(agent("a-other"));
        aKilled = a.issuer.register(agent("a-killed"));
        b1 = b.issuer.register(agent("b1").delegates("b2"));
        b2 = b.issuer.register(agent("b2").delegates("b-reviewer"));
        bReviewer = b.issuer.register(agent("b-reviewer"));
        bNot = b.issuer.register(agent("b-not"));
        bShallow = b.issuer.register(agent("b-shallow").maxDepth(1));
        bNarrow = b.issuer.register(agent("b-narrow").scopes("admin"));
        bReadOnly = b.issuer.register(agent("b-read-only").scopes("read"));
        c1 = c.issuer.register(agent("c1"));
        // outbound policy (F24): the trust file lets these agents obtain grants for the partner
        aRelay = a.issuer.register(agent("a-relay"));
        aHuman = agent("a-human").build();
        aHuman.registration.put("acts_for", new JsonObject().put("users", new JsonArray().add(idp.principal("alice"))));
        TestIssuer.Response registered = a.issuer.admin("POST", "/admin/agents", aHuman.registration);
        assertEquals(201, registered.status(), registered.body());
        a.identityProvider(idp.trustEntry())
                .trust(b, Map.of("b1", List.of("a2", "a1", "a-relay")), "read", "write")
                .outbound("a1", "a-killed", "a-other", "a-relay", "a-human")
                .trust(c, Map.of()).outbound("a1")
                .apply();
        // B lets A assert user:*, and the humans of idp only with idp's id_token issued to A's client there
        b.identityProvider(idp.trustEntry())
                .identityProvider(new JsonObject().put("issuer", downIdp).put("audience", TestIdp.AUDIENCE))
                .trust(a, Map.of("a1", List.of("b1", "b-shallow", "b-narrow", "b-read-only"),
                        "a-killed", List.of("b1"), "a-relay", List.of("b2"), "a-human", List.of("b1")), "read",
                        "write").outbound("b1")
                .subjects(new JsonArray().add("user:*")
                        .add(new JsonObject().put("idp", idp.issuer).put("proof", "required")
                                .put("audience", new JsonArray().add(A_CLIENT_AT_IDP)).put("max_age", 3600))
                        .add(new JsonObject().put("idp", downIdp).put("proof", "required")
                                .put("audience", A_CLIENT_AT_IDP)))
                .trust(UNREACHABLE_PARTNER, Map.of(), "read")
                .trust(c, Map.of(), "read")
                .apply();
        c.trust(a, Map.of("a1", List.of("c1")), "read").apply();
    }

    @AfterAll
    static void stop() {
        idp.close();
        c.close();
        b.close();
        a.close();
        assertEquals(RefusalTable.idsOf(RefusalTable.FEDERATION_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.FEDERATION_PREFIXES), "every F row has a test");
    }

    static AgentTokenVerifier verifierAt(Organisation org) throws Exception {
        return AgentTokenVerifier.builder()
                .trustIssuer(org.url(), new URL(org.url() + "/oauth2/jwks"), "Org " + org.name.toUpperCase())
                .organisation(a.url(), "Org A")
                .organisation(b.url(), "Org B")
                .audience("https://api.example")
                .build();
    }

    // ---- the chain ----

    @Test
    void chainAcrossOrganisationsKeepsThePrincipalAndEveryActorWithItsOrganisation() throws Exception {
        String root = a.issuer.tokenFor(a1);
        String grant = a.grantFor(b, a1, root);

        SignedJWT jwt = SignedJWT.parse(grant);
        assertEquals("chain-grant+jwt", jwt.getHeader().getType().getType());
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals(a.url(), claims.getIssuer());
        assertEquals(List.of(b.url()), claims.getAudience());
        assertEquals("user:alice", claims.getSubject());
        assertEquals("a1", claims.getStringClaim("client_id"));
        assertTrue(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant())
                .compareTo(Duration.ofSeconds(120)) <= 0);
        assertEquals(Map.of("sub", "a1", "iss", a.url()), claims.getJSONObjectClaim("act"));

        TestIssuer.Response response = b.redeem(b1, grant);
        assertEquals(200, response.status(), response.body());
        assertEquals("read write", response.json().getString("scope"));
        String token = response.json().getString("access_token");

        try (AgentTokenVerifier verifier = verifierAt(b)) {
            VerifiedAgentToken verified = verifier.verify(token);
            assertEquals("user:alice", verified.principal());
            assertEquals(b.url(), verified.issuer());
            assertEquals(List.of(new Actor("b1", b.url()), new Actor("a1", a.url())), verified.chain().actors());
            assertEquals(List.of("Org B", "Org A"), verified.organisations());
            assertEquals("Org A", verified.organisationOf(new Actor("a1", a.url())));
            assertTrue(!verified.expiresAt().isAfter(Instant.ofEpochSecond(claims.getLongClaim("max_exp"))));
        }
        JsonObject introspection = b.issuer.introspect(token);
        assertEquals(true, introspection.getBoolean("active"));
        assertEquals(new JsonObject().put("sub", "b1").put("iss", b.url())
                .put("act", new JsonObject().put("sub", "a1").put("iss", a.url())), introspection.getJsonObject("act"));
        // the B token continues within B like any other
        String delegated = b.issuer.exchanged(b2, token);
        try (AgentTokenVerifier verifier = verifierAt(b)) {
            assertEquals(List.of("Org B", "Org B", "Org A"), verifier.verify(delegated).organisations());
        }
    }

    @Test
    void chainGoesFromAToBAndBackToA() throws Exception {
        String atB = b.redeemed(b1, a.grantFor(b, a1, a.issuer.tokenFor(a1)));
        String grant = b.grantFor(a, b1, atB);
        String backAtA = a.redeemed(a2, grant, "scope", "read");
        try (AgentTokenVerifier verifier = verifierAt(a)) {
            VerifiedAgentToken verified = verifier.verify(backAtA);
            assertEquals("user:alice", verified.principal());
            assertEquals(List.of(new Actor("a2", a.url()), new Actor("b1", b.url()), new Actor("a1", a.url())),
                    verified.chain().actors());
            assertEquals(List.of("Org A", "Org B", "Org A"), verified.organisations());
            assertEquals(Set.of("read"), verified.scopes());
        }
    }

    @Test
    void metadataOffersJwtBearerWithATrustFile() {
        JsonObject md = new JsonObject(a.issuer.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(a.url() + "/.well-known/oauth-authorization-server")).GET().build()).body());
        assertTrue(md.getJsonArray("grant_types_supported").contains(Organisation.JWT_BEARER_GRANT));
    }

    // ---- step 1 refusals (at A) ----

    @Test
    void f01GrantAsAccessTokenIsRefused() {
        assertRow(a.requestGrant(b, a1, a.issuer.tokenFor(a1), "requested_token_type",
                TestIssuer.ACCESS_TOKEN_TYPE), "F01");
    }

    @Test
    void f02GrantForAnAgentThatIsNotTheCurrentActorIsRefused() {
        assertRow(a.requestGrant(b, aOther, a.issuer.tokenFor(a1)), "F02", "client", "a-other");
    }

    @Test
    void grantScopeBeyondTheSubjectTokenIsRefused() {
        assertRow(a.requestGrant(b, a1, a.issuer.tokenFor(a1, "scope", "read"), "scope", "write"), "X17",
                "scope", "write");
    }

    // ---- step 2 refusals (at B) ----

    @Test
    void f03MissingAssertionIsRefused() {
        assertRow(b.redeem(b1, null), "F03");
    }

    @Test
    void f04MalformedAssertionIsRefused() {
        assertRow(b.redeem(b1, "not-a-jwt"), "F04");
    }

    @Test
    void f05AccessTokenPresentedAsAGrantIsRefused() {
        assertRow(b.redeem(b1, a.issuer.tokenFor(a1)), "F05");
    }

    @Test
    void f06GrantOfAnUntrustedOrganisationIsRefused() {
        String forged = Organisation.sign(FederationService.GRANT_JOSE_TYPE,
                grantClaims("https://untrusted.example", b.url()).build(), TestAgent.newKey(), "k1");
        assertRow(b.redeem(b1, forged), "F06", "iss", "https://untrusted.example");
    }

    @Test
    void f07PartnerWhoseKeysCannotBeObtainedIsUnavailable() {
        String forged = Organisation.sign(FederationService.GRANT_JOSE_TYPE,
                grantClaims(UNREACHABLE_PARTNER, b.url()).build(), TestAgent.newKey(), "k1");
        assertRow(b.redeem(b1, forged), "F07", "iss", UNREACHABLE_PARTNER);
    }

    @Test
    void f08GrantSignedWithAnotherKeyIsRefused() {
        ECKey real = KeyStoreFile.in(a.issuer.dataDir).load().signingKey(Instant.now()).privateJwk();
        String forged = Organisation.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url()).build(),
                TestAgent.newKey(), real.getKeyID());
        assertRow(b.redeem(b1, forged), "F08");
    }

    @Test
    void f09GrantForBPresentedAtAIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(a.redeem(a2, grant), "F09");
    }

    @Test
    void f09GrantForBReplayedAtAThirdOrganisationIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertEquals(200, b.redeem(b1, grant).status());
        assertRow(c.redeem(c1, grant), "F09");
    }

    @Test
    void f10ExpiredGrantIsRefused() {
        Instant past = Instant.now().minusSeconds(600);
        String forged = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .issueTime(Date.from(past)).expirationTime(Date.from(past.plusSeconds(60))).build());
        assertRow(b.redeem(b1, forged), "F10");
    }

    @Test
    void f11GrantWithoutMaxExpIsRefused() {
        String forged = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("max_exp", null).build());
        assertRow(b.redeem(b1, forged), "F11");
    }

    @Test
    void f11GrantLivingLongerThanFiveMinutesIsRefused() {
        String forged = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .expirationTime(Date.from(Instant.now().plusSeconds(3600))).build());
        assertRow(b.redeem(b1, forged), "F11");
    }

    @Test
    void f11GrantWhoseCurrentActorIsNotItsClientIsRefused() {
        String forged = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("client_id", "a2").build());
        assertRow(b.redeem(b1, forged), "F11");
    }

    @Test
    void f24UnauthorisedOutboundGrantIsRefused() {
        // a2 holds a token delegated by a1, but B is neither among its audiences nor lists it in outbound_agents
        String delegated = a.issuer.exchanged(a2, a.issuer.tokenFor(a1));
        assertRow(a.requestGrant(b, a2, delegated), "F24", "client", "a2", "partner", b.url());
        assertRow(a.requestGrant(b, a2, a.issuer.tokenFor(a2)), "F24", "client", "a2", "partner", b.url());
        // a registered audience is the other way out
        TestAgent toB = a.issuer.register(agent("a-to-b-" + UUID.randomUUID()).audiences(b.url()));
        TestIssuer.Response allowed = a.requestGrant(b, toB, a.issuer.tokenFor(toB));
        assertEquals(200, allowed.status(), allowed.body());
    }

    @Test
    void f25DepthBypassAcrossOrganisationsIsRefused() throws Exception {
        // solo's owner allows no delegate (depth 1): A does not let B add one either
        TestAgent solo = a.issuer.register(agent("solo-" + UUID.randomUUID()).maxDepth(1).audiences(b.url()));
        assertRow(a.requestGrant(b, solo, a.issuer.tokenFor(solo)), "F25", "n", "2", "limit", "1");
        // the grant carries the limit (max_depth) and B applies it, whatever B's own agents allow
        TestAgent pair = a.issuer.register(agent("pair-" + UUID.randomUUID()).maxDepth(2).audiences(b.url()));
        String grant = a.grantFor(b, pair, a.issuer.tokenFor(pair));
        assertEquals(2L, SignedJWT.parse(grant).getJWTClaimsSet().getLongClaim("max_depth"));
        String shallow = a.signGrant(grantClaims(a.url(), b.url()).claim("max_depth", 1));
        assertRow(b.redeem(b1, shallow), "F18", "n", "2", "limit", "1");
        String nonsense = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("max_depth", 0).build());
        assertRow(b.redeem(b1, nonsense), "F11");
    }

    @Test
    void f12GrantReplayedAtItsAudienceIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertEquals(200, b.redeem(b1, grant).status());
        assertRow(b.redeem(b1, grant), "F12");
    }

    @Test
    void f15PartnerActorNotPermittedByPolicyIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(b.redeem(bNot, grant), "F15", "partner_agent", "a1", "iss", a.url(), "agent", "b-not");
    }

    @Test
    void f16KilledOwnAgentInAReturningChainIsRefused() {
        String atB = b.redeemed(b1, a.grantFor(b, aKilled, a.issuer.tokenFor(aKilled)));
        String grant = b.grantFor(a, b1, atB);
        assertEquals(200, a.issuer.admin("POST", "/admin/agents/a-killed/kill", null).status());
        assertRow(a.redeem(a2, grant), "F16", "agent", "a-killed");
    }

    @Test
    void f17AgentAlreadyInTheChainIsRefused() {
        String atB = b.redeemed(b1, a.grantFor(b, a1, a.issuer.tokenFor(a1)));
        assertRow(a.redeem(a1, b.grantFor(a, b1, atB)), "F17", "client", "a1");
    }

    @Test
    void f18DepthBeyondTheClientsLimitIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(b.redeem(bShallow, grant), "F18", "n", "2", "limit", "1");
    }

    @Test
    void f19ScopeBeyondTheGrantIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1), "scope", "read");
        assertRow(b.redeem(b1, grant, "scope", "write"), "F19", "scope", "write");
    }

    @Test
    void f20PartnerScopeBeyondTheTrustFileIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(b.redeem(b1, grant, "scope", "admin"), "F20", "scope", "admin", "iss", a.url());
    }

    @Test
    void f21ScopeNotRegisteredForTheClientIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(b.redeem(bReadOnly, grant, "scope", "write"), "F21", "scope", "write", "agent", "b-read-only");
    }

    @Test
    void f22NoCommonScopeIsRefused() {
        String grant = a.grantFor(b, a1, a.issuer.tokenFor(a1));
        assertRow(b.redeem(bNarrow, grant), "F22", "agent", "b-narrow");
    }

    // ---- revocation across organisations ----

    @Test
    void revokingTheRootAtAReachesBAndComesBackToA() {
        String root = a.issuer.tokenFor(a1);
        String atB = b.redeemed(b1, a.grantFor(b, a1, root));
        String unused = a.grantFor(b, a1, root);
        String backAtA = a.redeemed(a2, b.grantFor(a, b1, atB), "scope", "read");
        assertEquals(true, b.issuer.introspect(atB).getBoolean("active"));
        assertEquals(true, a.issuer.introspect(backAtA).getBoolean("active"));

        assertEquals(200, a.issuer.revoke(a1, root).status());
        a.issuer.server.statusLists().refresh();            // A's status job marks the grants
        b.federation().partnerStatus().refresh();          // B's refresher fetches A's list

        assertEquals(new JsonObject().put("active", false), b.issuer.introspect(atB));
        assertRow(b.issuer.exchange(b2, atB), "X12");
        assertRow(b.redeem(b1, unused), "F13");

        b.issuer.server.statusLists().refresh();            // B's status job marks B's grant for A
        a.federation().partnerStatus().refresh();          // A's refresher fetches B's list
        assertEquals(new JsonObject().put("active", false), a.issuer.introspect(backAtA));
    }

    @Test
    void partnerStatusThatCannotBeRefreshedFailsClosed(@TempDir Path own) {
        Map<String, String> skew = Map.of("ISSUER_CLOCK_SKEW_SECONDS", "5");
        try (Organisation d = Organisation.start("d", own, skew); Organisation e = Organisation.start("e", own, skew)) {
            TestAgent d1 = d.issuer.register(agent("d1"));
            TestAgent e1 = e.issuer.register(agent("e1").delegates("e2"));
            TestAgent e2 = e.issuer.register(agent("e2"));
            d.trust(e, Map.of()).outbound("d1").apply();
            e.trust(d, Map.of("d1", List.of("e1")), "read", "write").apply();
            String root = d.issuer.tokenFor(d1);
            String atE = e.redeemed(e1, d.grantFor(e, d1, root));
            String pending = d.grantFor(e, d1, root);
            e.federation().partnerStatus().refresh();
            assertEquals(true, e.issuer.introspect(atE).getBoolean("active"));

            d.close();                                      // D's status lists can no longer be fetched
            e.issuer.clock.advance(Duration.ofSeconds(70));  // beyond ttl 60 s + refresh 1 s + skew 5 s
            e.federation().partnerStatus().refresh();

            assertEquals(new JsonObject().put("active", false), e.issuer.introspect(atE));
            assertRow(e.issuer.exchange(e2, atE), "F23");
            assertRow(e.redeem(e1, pending), "F14");
        }
    }

    // ---- the trust file ----

    @Test
    void trustFileReloadAddsAndRemovesPartnersWithoutRestart() {
        String first = a.grantFor(c, a1, a.issuer.tokenFor(a1));
        c.distrustAll().apply();
        assertRow(c.redeem(c1, first), "F06", "iss", a.url());
        c.trust(a, Map.of("a1", List.of("c1")), "read").apply();
        TestIssuer.Response accepted = c.redeem(c1, a.grantFor(c, a1, a.issuer.tokenFor(a1)));
        assertEquals(200, accepted.status(), accepted.body());
        assertEquals("read", accepted.json().getString("scope"));
    }

    @Test
    void brokenTrustFileKeepsThePreviousTrust() throws Exception {
        java.nio.file.Files.writeString(c.trustFile, "{not json");
        assertFalse(c.federation().partners().reload());
        assertEquals(a.url(), c.federation().partners().trust().partners().get(0).issuer());
        c.distrustAll().trust(a, Map.of("a1", List.of("c1")), "read").apply();
    }

    // ---- chain evidence (section 6.12) and subjects a partner may assert: A turns hostile ----
    // B trusts A, and the test holds A's signing key: every grant below is one a hostile partner could sign

    static URL jwks(Organisation org) throws Exception {
        return new URL(org.url() + "/oauth2/jwks");
    }

    /** A genuine A → B → A chain: the token at A, and B's grant for A it was redeemed from. */
    record BackAtA(String token, JWTClaimsSet claims, List<String> receipts) {
    }

    static BackAtA backAtA() throws Exception {
        String atB = b.redeemed(b1, a.grantFor(b, a1, a.issuer.tokenFor(a1)));
        String token = a.redeemed(aRelay, b.grantFor(a, b1, atB), "scope", "read");
        JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
        return new BackAtA(token, claims, claims.getStringListClaim("act_ev"));
    }

    @Test
    void genuineChainAToBToAToBCarriesOneReceiptPerHopThatVerifiersCheckFromTheIssuersKeysAlone() throws Exception {
        BackAtA back = backAtA();
        assertEquals(2, back.receipts().size());
        String grant = a.grantFor(b, aRelay, back.token());
        assertEquals(3, SignedJWT.parse(grant).getJWTClaimsSet().getStringListClaim("act_ev").size());
        String atB = b.redeemed(b2, grant);
        JWTClaimsSet claims = SignedJWT.parse(atB).getJWTClaimsSet();
        assertEquals(3, claims.getStringListClaim("act_ev").size());
        // the receipts travel on inside B: depth 5, three hops, with B's status and lineage claims
        String depth5 = b.issuer.exchanged(bReviewer, atB);
        assertEquals(claims.getStringListClaim("act_ev"),
                SignedJWT.parse(depth5).getJWTClaimsSet().getStringListClaim("act_ev"));
        assertTrue(depth5.length() < 8192, "depth 5 is " + depth5.length() + " bytes");
        System.out.println("[federation] depth-5 token A -> B -> A -> B -> B: " + depth5.length() + " bytes");
        try (AgentTokenVerifier both = AgentTokenVerifier.builder().trustIssuer(a.url(), jwks(a))
                .trustIssuer(b.url(), jwks(b)).audience("https://api.example").requireChainEvidence().build()) {
            assertEquals(5, both.verify(depth5).chain().depth());
            assertEquals(4, both.verify(atB).chain().depth());
            assertEquals(3, both.verify(back.token()).chain().depth());
        }
        // a verifier that trusts only B cannot check the hops A signed, and says which one fails first
        try (AgentTokenVerifier onlyB = AgentTokenVerifier.builder().trustIssuer(b.url(), jwks(b))
                .audience("https://api.example").requireChainEvidence().build()) {
            TokenVerificationException e = assertThrows(TokenVerificationException.class, () -> onlyB.verify(atB));
            assertEquals(Reason.CHAIN_EVIDENCE_UNTRUSTED, e.reason());
            assertEquals(1, e.hop());
        }
    }

    @Test
    void f30ForgedSubjectIsRefused() {
        // A asserts a human of an IdP that B never configured; B lets A assert only user:*
        String forged = a.signGrant(grantClaims(a.url(), b.url()).subject("https://idp.example#alice"));
        assertRow(b.redeem(b1, forged), "F30", "origin", a.url());
        TestIssuer.Response allowed = b.redeem(b1, a.signGrant(grantClaims(a.url(), b.url()).subject("user:bob")));
        assertEquals(200, allowed.status(), allowed.body());
    }

    @Test
    void f29ForgedSubjectOnAChainThatPassedThroughBIsRefused() throws Exception {
        BackAtA back = backAtA();
        // A keeps the genuine receipts: its own receipt for hop 1 no longer matches the subject
        String keeps = a.signGrant(grantClaims(a.url(), b.url()).subject("user:mallory")
                .claim("client_id", "a-relay").claim("act", back.claims().getJSONObjectClaim("act")),
                back.receipts().toArray(String[]::new));
        assertRow(b.redeem(b2, keeps), "F29", "hop", "1");
        // A re-signs its own hop too: B's receipt for hop 2 binds the subject and A's first receipt
        DelegationChain first = DelegationChain.ofCurrentFirst(List.of(new Actor("a1", a.url())));
        String ownHop = Organisation.receipt(a.url(), b.url(), "user:mallory", first, null, a.key());
        String resigned = a.signGrant(grantClaims(a.url(), b.url()).subject("user:mallory")
                .claim("client_id", "a-relay").claim("act", back.claims().getJSONObjectClaim("act")),
                ownHop, back.receipts().get(1));
        assertRow(b.redeem(b2, resigned), "F29", "hop", "2");
    }

    @Test
    void f26ForgedInnerLevelOfBWithoutEvidenceIsRefused() {
        // b2 of B never handed work to A: no receipt of B exists for it
        Map<String, Object> act = Map.of("sub", "a1", "iss", a.url(), "act", Map.of("sub", "b2", "iss", b.url()));
        String bare = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url()).claim("act", act)
                .build());
        assertRow(b.redeem(b1, bare), "F26", "hop", "1");
    }

    @Test
    void f28ForgedInnerLevelOfBSignedByThePartnerIsRefused() {
        Map<String, Object> act = Map.of("sub", "a1", "iss", a.url(), "act", Map.of("sub", "b2", "iss", b.url()));
        DelegationChain inner = DelegationChain.ofCurrentFirst(List.of(new Actor("b2", b.url())));
        // a receipt "of B" that A signed with its own key, under B's kid
        ECKey bKey = b.key();
        ECKey aKey = a.key();
        String fake = Organisation.sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(b.url(), a.url(),
                UUID.randomUUID().toString(), Instant.now(), "user:alice", inner, null), aKey, bKey.getKeyID());
        String forged = a.signGrant(grantClaims(a.url(), b.url()).claim("act", act), fake);
        assertRow(b.redeem(b1, forged), "F28", "hop", "1");
    }

    @Test
    void f29ForgedInnerLevelOfBUnderAGenuineReceiptOfBIsRefused() throws Exception {
        // B's genuine receipt for its hop to A covers b1 after a1, not b2
        BackAtA back = backAtA();
        Map<String, Object> act = Map.of("sub", "a1", "iss", a.url(), "act", Map.of("sub", "b2", "iss", b.url()));
        String spliced = a.signGrant(grantClaims(a.url(), b.url()).claim("act", act), back.receipts().get(1));
        assertRow(b.redeem(b1, spliced), "F29", "hop", "1");
    }

    @Test
    void f27ForgedThirdPartyLevelOfAnUntrustedOrganisationIsRefused() {
        // a level of https://c.example, which B does not trust, with a receipt A made up for it
        String other = "https://c.example";
        Map<String, Object> act = Map.of("sub", "a1", "iss", a.url(), "act", Map.of("sub", "c-agent", "iss", other));
        DelegationChain inner = DelegationChain.ofCurrentFirst(List.of(new Actor("c-agent", other)));
        String fake = Organisation.receipt(other, a.url(), "user:alice", inner, null, a.key());
        String forged = a.signGrant(grantClaims(a.url(), b.url()).claim("act", act), fake);
        assertRow(b.redeem(b1, forged), "F27", "hop", "1");
    }

    @Test
    void f28ForgedThirdPartyLevelOfATrustedOrganisationIsRefused() {
        // C is a partner of B, but only C can sign for C's levels
        Map<String, Object> act = Map.of("sub", "a1", "iss", a.url(), "act", Map.of("sub", "c1", "iss", c.url()));
        DelegationChain inner = DelegationChain.ofCurrentFirst(List.of(new Actor("c1", c.url())));
        String fake = Organisation.sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(c.url(), a.url(),
                UUID.randomUUID().toString(), Instant.now(), "user:alice", inner, null), a.key(), c.key().getKeyID());
        String forged = a.signGrant(grantClaims(a.url(), b.url()).claim("act", act), fake);
        assertRow(b.redeem(b1, forged), "F28", "hop", "1");
    }

    @Test
    @SuppressWarnings("unchecked")
    void f29ForgedAttOnALevelOfBIsRefused() throws Exception {
        // the genuine A → B → A chain, with an attestation summary A invented for B's agent b1
        BackAtA back = backAtA();
        Map<String, Object> act = new java.util.HashMap<>(back.claims().getJSONObjectClaim("act"));
        Map<String, Object> bLevel = new java.util.HashMap<>((Map<String, Object>) act.get("act"));
        bLevel.put("att", Map.of("iss", "https://attester.example", "dig", "sha256:" + "ab".repeat(32),
                "iat", Instant.now().getEpochSecond()));
        act.put("act", bLevel);
        String forged = a.signGrant(grantClaims(a.url(), b.url()).claim("client_id", "a-relay").claim("act", act),
                back.receipts().toArray(String[]::new));
        assertRow(b.redeem(b2, forged), "F29", "hop", "2");
        // the same grant without the invented att is accepted: the evidence, not the shape, made the difference
        String genuine = a.signGrant(grantClaims(a.url(), b.url()).claim("client_id", "a-relay")
                .claim("act", back.claims().getJSONObjectClaim("act")), back.receipts().toArray(String[]::new));
        TestIssuer.Response accepted = b.redeem(b2, genuine);
        assertEquals(200, accepted.status(), accepted.body());
    }

    @Test
    void f31TokenLongerThanTheCapIsRefusedAndNothingIsMinted() {
        // a subject A may assert (user:*) but so long that B's token would be over 8192 bytes
        String forged = a.signGrant(grantClaims(a.url(), b.url()).subject("user:" + "x".repeat(5600)));
        assertRow(b.redeem(b1, forged), "F31");
    }

    @Test
    void malformedEvidenceIsRefusedWithItsRowNeverAServerError() {
        assertRow(b.redeem(b1, a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("act_ev", "not-an-array").build())), "F26", "hop", "1");
        assertRow(b.redeem(b1, a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("act_ev", List.of(42)).build())), "F26", "hop", "1");
        assertRow(b.redeem(b1, a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("act_ev", List.of("not.a.jws!")).build())), "F28", "hop", "1");
        // the grant's own signature is no receipt: typ chain-grant+jwt
        String grantAsReceipt = a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url()).build());
        assertRow(b.redeem(b1, a.sign(FederationService.GRANT_JOSE_TYPE, grantClaims(a.url(), b.url())
                .claim("act_ev", List.of(grantAsReceipt)).build())), "F28", "hop", "1");
    }

    @Test
    void f29MoreReceiptsThanHopsAreRefused() {
        String extra = Organisation.receipt(a.url(), b.url(), "user:alice",
                DelegationChain.ofCurrentFirst(List.of(new Actor("a1", a.url()))), null, a.key());
        String forged = a.signGrant(grantClaims(a.url(), b.url()), extra);
        assertRow(b.redeem(b1, forged), "F29", "hop", "2");
    }

    // ---- human principals with the IdP's proof (section 6.11) ----

    /** An id_token of idp for {@code sub}, issued to A's client there, {@code ageSeconds} old, 10 minutes left. */
    static String idToken(String sub, String audience, long ageSeconds) {
        Instant now = Instant.now();
        return idp.idToken(idp.claims(sub).audience(audience).issueTime(Date.from(now.minusSeconds(ageSeconds)))
                .expirationTime(Date.from(now.plusSeconds(600))).build());
    }

    static JWTClaimsSet.Builder humanGrant(String sub, String proof) {
        JWTClaimsSet.Builder claims = grantClaims(a.url(), b.url()).subject(sub);
        return proof == null ? claims : claims.claim(FederationService.SUB_PROOF, proof);
    }

    @Test
    void humanOfAnIdpCrossesWithTheIdpsProofAndLivesNoLongerThanIt() throws Exception {
        String idToken = idToken("alice", A_CLIENT_AT_IDP, 0);
        TestIssuer.Response human = a.issuer.exchange(aHuman, idToken, "subject_token_type",
                HumanPrincipals.ID_TOKEN_TYPE);
        assertEquals(200, human.status(), human.body());
        String grant = a.grantFor(b, aHuman, human.json().getString("access_token"),
                FederationService.SUBJECT_PROOF_PARAMETER, idToken);
        assertEquals(idToken, SignedJWT.parse(grant).getJWTClaimsSet().getStringClaim(FederationService.SUB_PROOF));
        String atB = b.redeemed(b1, grant);
        JWTClaimsSet claims = SignedJWT.parse(atB).getJWTClaimsSet();
        assertEquals(idp.principal("alice"), claims.getSubject());
        assertTrue(!claims.getExpirationTime().after(SignedJWT.parse(idToken).getJWTClaimsSet().getExpirationTime()));
        // the proof stays out of the token B mints: resource servers never see the id_token
        assertEquals(null, claims.getClaim(FederationService.SUB_PROOF));
        // without the proof, the same grant is refused: A cannot assert alice on its word alone
        String bare = a.grantFor(b, aHuman, a.issuer.exchange(aHuman, idToken, "subject_token_type",
                HumanPrincipals.ID_TOKEN_TYPE).json().getString("access_token"));
        assertRow(b.redeem(b1, bare), "F33", "idp", idp.issuer);
    }

    @Test
    void f33HumanPrincipalInventedByThePartnerWithoutProofIsRefused() {
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), null))), "F33", "idp", idp.issuer);
    }

    @Test
    void f34ProofForgedByThePartnerIsRefused() {
        // A signs an "id_token" of idp with its own key
        String forged = Organisation.sign(JOSEObjectType.JWT, idp.claims("alice").audience(A_CLIENT_AT_IDP).build(),
                a.key(), idp.ec.getKeyID());
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), forged))), "F34", "idp", idp.issuer);
        // an id_token of another IdP, or no JWS at all
        try (TestIdp other = TestIdp.start()) {
            String foreign = other.idToken(other.claims("alice").audience(A_CLIENT_AT_IDP).build());
            assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), foreign))), "F34", "idp",
                    idp.issuer);
        }
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), "not-a-jws"))), "F34", "idp",
                idp.issuer);
        // an access token is no id_token
        String at = idp.accessToken(idp.claims("alice").audience(A_CLIENT_AT_IDP).build());
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), at))), "F34", "idp", idp.issuer);
    }

    @Test
    void f35ProofOfAnotherHumanIsRefused() {
        // bob's genuine id_token does not make A's alice genuine
        String bobs = idToken("bob", A_CLIENT_AT_IDP, 0);
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), bobs))), "F35", "origin", a.url());
    }

    @Test
    void f35ProofIssuedToAnotherRelyingPartyIsRefused() {
        // alice's id_token for some other client at the IdP, which A obtained somehow, is not A's proof
        String elsewhere = idToken("alice", "some-other-client", 0);
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), elsewhere))), "F35", "origin",
                a.url());
    }

    @Test
    void f36StaleProofIsRefused() {
        String old = idToken("alice", A_CLIENT_AT_IDP, 7200);
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), old))), "F36", "max_age", "3600");
        Instant now = Instant.now();
        String expired = idp.idToken(idp.claims("alice").audience(A_CLIENT_AT_IDP)
                .issueTime(Date.from(now.minusSeconds(1200))).expirationTime(Date.from(now.minusSeconds(600))).build());
        assertRow(b.redeem(b1, a.signGrant(humanGrant(idp.principal("alice"), expired))), "F36", "max_age", "3600");
    }

    @Test
    void f37ProofOfAnIdpThatCannotBeReachedIsUnavailable() {
        String proof = idp.sign(new JWTClaimsSet.Builder().issuer(downIdp).subject("alice").audience(A_CLIENT_AT_IDP)
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(600))).build(),
                com.nimbusds.jose.JWSAlgorithm.RS256, null);
        assertRow(b.redeem(b1, a.signGrant(humanGrant(downIdp + "#alice", proof))), "F37", "idp", downIdp);
    }

    @Test
    void f38GrantAroundTheProofOfSomebodyElseIsRefused() {
        TestIssuer.Response human = a.issuer.exchange(aHuman, idToken("alice", A_CLIENT_AT_IDP, 0),
                "subject_token_type", HumanPrincipals.ID_TOKEN_TYPE);
        assertEquals(200, human.status(), human.body());
        assertRow(a.requestGrant(b, aHuman, human.json().getString("access_token"),
                FederationService.SUBJECT_PROOF_PARAMETER, idToken("bob", A_CLIENT_AT_IDP, 0)), "F38");
    }

    @Test
    void f32ExchangeThatWouldTakeAFederatedTokenOverTheCapIsRefused() throws Exception {
        // a token at B just under 8192 bytes (a long subject A may assert): one more actor inside B is over the cap
        int probe = 4000;
        String sized = b.redeemed(b1, a.signGrant(grantClaims(a.url(), b.url()).subject("user:" + "x".repeat(probe))));
        int length = probe + (TokenMinter.MAX_TOKEN_BYTES - sized.length() - 8) * 3 / 4;
        String nearCap = b.redeemed(b1, a.signGrant(grantClaims(a.url(), b.url())
                .subject("user:" + "x".repeat(length))));
        assertTrue(nearCap.length() <= TokenMinter.MAX_TOKEN_BYTES && nearCap.length() > 8100,
                "near the cap: " + nearCap.length());
        assertRow(b.issuer.exchange(b2, nearCap), "F32");
    }

    static JWTClaimsSet.Builder grantClaims(String iss, String aud) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(iss).subject("user:alice").audience(aud)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString()).claim("client_id", "a1").claim("scope", "read")
                .claim("act", Map.of("sub", "a1", "iss", iss))
                .claim("max_exp", now.plusSeconds(300).getEpochSecond())
                .claim("status", Map.of("status_list", Map.of("idx", 0, "uri", iss + "/oauth2/status/0")));
    }

    static JOSEObjectType at() {
        return new JOSEObjectType("at+jwt");
    }
}
