package dev.agentid.issuer.binding;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import dev.agentid.verifier.binding.BindingVerifier;
import dev.agentid.verifier.binding.PresentedRequest;
import dev.agentid.verifier.binding.VerifiedBinding;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DPoP (RFC 9449) at the token endpoint, and the bound tokens as a resource server checks them (verifier-lib). */
class DpopBindingTest {

    static final URI RESOURCE = URI.create("https://api.example/orders");

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
    }

    static String id(String name) {
        return name + "-dpop-" + SEQ.incrementAndGet();
    }

    static String tokenEndpoint() {
        return issuer.url + "/oauth2/token";
    }

    /** A token request with DPoP headers. */
    static TestIssuer.Response withProofs(Map<String, String> params, String... proofs) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(tokenEndpoint()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params)));
        for (String proof : proofs) {
            b.header("DPoP", proof);
        }
        return issuer.send(b.build());
    }

    static TestIssuer.Response clientCredentials(TestAgent agent, String... proofs) {
        Map<String, String> params = issuer.as(agent, "grant_type", "client_credentials");
        return withProofs(params, proofs);
    }

    static TestIssuer.Response exchange(TestAgent client, String subjectToken, String... proofs) {
        Map<String, String> params = issuer.as(client, "grant_type", TestIssuer.EXCHANGE, "subject_token",
                subjectToken, "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
        return withProofs(params, proofs);
    }

    static String cnfJkt(String token) throws Exception {
        Map<String, Object> cnf = SignedJWT.parse(token).getJWTClaimsSet().getJSONObjectClaim("cnf");
        return cnf == null ? null : (String) cnf.get("jkt");
    }

    static AgentTokenVerifier verifier() throws Exception {
        TestIssuer.Response jwks = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/jwks")).GET()
                .build());
        return AgentTokenVerifier.builder().trustIssuer(issuer.url, JWKSet.parse(jwks.body()))
                .audience("https://api.example").build();
    }

    @Test
    void clientCredentialsWithProofThenTokenBoundToProofKeyAndTypeDpop() throws Exception {
        TestAgent a = issuer.register(agent(id("a")));
        ECKey proofKey = TestAgent.newKey();
        TestIssuer.Response r = clientCredentials(a, Proofs.proof(proofKey, tokenEndpoint()));
        assertEquals(200, r.status(), r.body());
        assertEquals("DPoP", r.json().getString("token_type"));
        String token = r.json().getString("access_token");
        assertEquals(Proofs.thumbprint(proofKey), cnfJkt(token));

        JsonObject introspected = issuer.introspect(token);
        assertEquals(new JsonObject().put("jkt", Proofs.thumbprint(proofKey)), introspected.getJsonObject("cnf"));
        assertEquals("DPoP", introspected.getString("token_type"));
    }

    @Test
    void withoutProofThenBearerTokenWithoutCnf() throws Exception {
        TestAgent a = issuer.register(agent(id("a")));
        TestIssuer.Response r = clientCredentials(a);
        assertEquals(200, r.status(), r.body());
        assertEquals("Bearer", r.json().getString("token_type"));
        assertNull(SignedJWT.parse(r.json().getString("access_token")).getJWTClaimsSet().getClaim("cnf"));
    }

    @Test
    void agentKeyMayAlsoBeTheProofKey() throws Exception {
        TestAgent a = issuer.register(agent(id("a")));
        TestIssuer.Response r = clientCredentials(a, Proofs.proof(a.key, tokenEndpoint()));
        assertEquals(200, r.status(), r.body());
        assertEquals(Proofs.thumbprint(a.key), cnfJkt(r.json().getString("access_token")));
    }

    @Test
    void dpopBoundAgentWithProofIsServed() throws Exception {
        TestAgent a = agent(id("a")).build();
        a.registration.put("dpop_bound_access_tokens", true);
        assertEquals(201, issuer.admin("POST", "/admin/agents", a.registration).status());
        assertEquals(true, issuer.admin("GET", "/admin/agents/" + a.id, null).json()
                .getBoolean("dpop_bound_access_tokens"));
        TestIssuer.Response r = clientCredentials(a, Proofs.proof(a.key, tokenEndpoint()));
        assertEquals(200, r.status(), r.body());
        assertEquals("DPoP", r.json().getString("token_type"));
    }

    @Test
    void metadataAdvertisesDpopAndNoMutualTlsWithoutTls() {
        JsonObject md = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                + "/.well-known/oauth-authorization-server")).GET().build()).json();
        assertEquals(new io.vertx.core.json.JsonArray().add("ES256"), md.getJsonArray("dpop_signing_alg_values_supported"));
        assertFalse(md.getJsonArray("token_endpoint_auth_methods_supported").contains("tls_client_auth"));
        assertFalse(md.containsKey("tls_client_certificate_bound_access_tokens"));
    }

    /**
     * A → B → C with DPoP: B's token is bound to B's own proof key, never to A's (A's token is a bearer token here);
     * C may exchange B's DPoP-bound token only with a proof by B's key (spec 5.6.4, D14), and C's token is then bound
     * to that same key: the holder stays the holder.
     */
    @Test
    void chainWithDpopBindsEachTokenToThePresentersKey() throws Exception {
        String aId = id("a"), bId = id("b"), cId = id("c");
        TestAgent a = issuer.register(agent(aId).delegates(bId));
        TestAgent b = issuer.register(agent(bId).delegates(cId));
        TestAgent c = issuer.register(agent(cId));
        ECKey bKey = TestAgent.newKey(), cKey = TestAgent.newKey();

        String tokenA = issuer.tokenFor(a);
        TestIssuer.Response rb = exchange(b, tokenA, Proofs.proof(bKey, tokenEndpoint()));
        assertEquals(200, rb.status(), rb.body());
        String tokenB = rb.json().getString("access_token");
        // C with its own key only: refused, B's token is bound to B's key
        TestIssuer.assertError(exchange(c, tokenB, Proofs.proof(cKey, tokenEndpoint())), 400, "invalid_request",
                "subject_token is DPoP-bound: the request's DPoP proof must be signed with its key");
        TestIssuer.Response rc = exchange(c, tokenB, Proofs.proof(bKey, tokenEndpoint()));
        assertEquals(200, rc.status(), rc.body());
        String tokenC = rc.json().getString("access_token");

        assertNull(cnfJkt(tokenA));
        assertEquals(Proofs.thumbprint(bKey), cnfJkt(tokenB));
        assertEquals(Proofs.thumbprint(bKey), cnfJkt(tokenC));
        assertEquals("DPoP", rc.json().getString("token_type"));
        // C's token as a resource server checks it: bound to the key that C proved it holds
        ECKey holderKey = bKey, otherKey = cKey;

        AgentTokenVerifier tokens = verifier();
        BindingVerifier bindings = BindingVerifier.builder().build();
        VerifiedAgentToken verifiedC = tokens.verify(tokenC);
        assertEquals(cId, verifiedC.chain().current().subject());
        assertEquals(java.util.Set.of(aId, bId, cId), verifiedC.chain().actors().stream()
                .map(dev.agentid.verifier.Actor::subject).collect(java.util.stream.Collectors.toSet()));
        // C's own proof: accepted
        VerifiedBinding ok = bindings.verify(verifiedC, PresentedRequest.dpop(tokenC,
                Proofs.resourceProof(holderKey, "GET", RESOURCE.toString(), tokenC)).request("GET", RESOURCE));
        assertEquals(Proofs.thumbprint(holderKey), ok.proof().orElseThrow().jwkThumbprint());
        // another key (C's own, which it never proved to the issuer) cannot use C's token
        TokenVerificationException previous = assertThrows(TokenVerificationException.class, () ->
                bindings.verify(verifiedC, PresentedRequest.dpop(tokenC,
                        Proofs.resourceProof(otherKey, "GET", RESOURCE.toString(), tokenC)).request("GET", RESOURCE)));
        assertEquals(Reason.BINDING_MISMATCH, previous.reason());
        // the token without its proof (as a bearer token): refused
        TokenVerificationException bare = assertThrows(TokenVerificationException.class, () ->
                bindings.verify(verifiedC, PresentedRequest.bearer(tokenC).request("GET", RESOURCE)));
        assertEquals(Reason.BINDING_MISMATCH, bare.reason());
        // a proof for another URL or method: refused
        TokenVerificationException otherUrl = assertThrows(TokenVerificationException.class, () ->
                bindings.verify(verifiedC, PresentedRequest.dpop(tokenC, Proofs.resourceProof(holderKey, "GET",
                        "https://api.example/other", tokenC)).request("GET", RESOURCE)));
        assertEquals(Reason.DPOP_PROOF_INVALID, otherUrl.reason());
        TokenVerificationException otherMethod = assertThrows(TokenVerificationException.class, () ->
                bindings.verify(verifiedC, PresentedRequest.dpop(tokenC, Proofs.resourceProof(holderKey, "POST",
                        RESOURCE.toString(), tokenC)).request("GET", RESOURCE)));
        assertEquals(Reason.DPOP_PROOF_INVALID, otherMethod.reason());
        // the same proof twice: refused
        String once = Proofs.resourceProof(holderKey, "GET", RESOURCE.toString(), tokenC);
        bindings.verify(verifiedC, PresentedRequest.dpop(tokenC, once).request("GET", RESOURCE));
        TokenVerificationException replay = assertThrows(TokenVerificationException.class, () ->
                bindings.verify(verifiedC, PresentedRequest.dpop(tokenC, once).request("GET", RESOURCE)));
        assertEquals(Reason.DPOP_PROOF_REPLAYED, replay.reason());
        assertTrue(verifiedC.confirmation().isBound());
    }

    @Test
    void exchangeFromBearerSubjectWithoutProofGivesBearerToken() throws Exception {
        String aId = id("a"), bId = id("b");
        TestAgent a = issuer.register(agent(aId).delegates(bId));
        TestAgent b = issuer.register(agent(bId));
        TestIssuer.Response rb = exchange(b, issuer.tokenFor(a));
        assertEquals(200, rb.status(), rb.body());
        assertEquals("Bearer", rb.json().getString("token_type"));
        assertNull(cnfJkt(rb.json().getString("access_token")));
    }

    /** Issue 10: a stolen DPoP-bound token bought a fresh token from any delegate of its current actor. */
    @Test
    void stolenDpopBoundSubjectTokenCannotBeExchangedWithoutItsKey() throws Exception {
        String aId = id("a"), bId = id("b");
        TestAgent a = issuer.register(agent(aId).delegates(bId));
        TestAgent b = issuer.register(agent(bId));
        ECKey aKey = TestAgent.newKey();
        String stolen = clientCredentials(a, Proofs.proof(aKey, tokenEndpoint())).json().getString("access_token");
        String refused = "subject_token is DPoP-bound: the request's DPoP proof must be signed with its key";
        // no proof at all, and a proof by the thief's own key
        TestIssuer.assertError(exchange(b, stolen), 400, "invalid_request", refused);
        TestIssuer.assertError(exchange(b, stolen, Proofs.proof(TestAgent.newKey(), tokenEndpoint())), 400,
                "invalid_request", refused);
        // the holder of the key may: the new token stays bound to it
        TestIssuer.Response held = exchange(b, stolen, Proofs.proof(aKey, tokenEndpoint()));
        assertEquals(200, held.status(), held.body());
        assertEquals(Proofs.thumbprint(aKey), cnfJkt(held.json().getString("access_token")));
    }
}
