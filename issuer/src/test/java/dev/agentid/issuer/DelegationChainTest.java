package dev.agentid.issuer;

import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A → B → C over real HTTP; every invariant of every token checked with verifier-lib. */
class DelegationChainTest {

    @TempDir
    static Path dir;
    static TestIssuer issuer;
    static AgentTokenVerifier verifier;

    @BeforeAll
    static void start() throws Exception {
        issuer = TestIssuer.start(dir);
        JsonObject metadata = issuer.send(java.net.http.HttpRequest.newBuilder(
                URI.create(issuer.url + "/.well-known/oauth-authorization-server")).build()).json();
        verifier = AgentTokenVerifier.builder()
                .trustIssuer(metadata.getString("issuer"), URI.create(metadata.getString("jwks_uri")).toURL())
                .audience("https://api.example", "https://b.example", "https://c.example")
                .clock(issuer.clock)
                .build();
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    @Test
    void threeAgentChainKeepsThePrincipalAndNestsEveryActor() throws Exception {
        TestAgent a = issuer.register(agent("chain-a").owner("user:alice").delegates("chain-b")
                .scopes("read", "write", "admin").ttl(900));
        TestAgent b = issuer.register(agent("chain-b").owner("user:bob").delegates("chain-c")
                .scopes("read", "write").audiences("https://b.example").ttl(600));
        TestAgent c = issuer.register(agent("chain-c").owner("user:carol").scopes("read", "write")
                .audiences("https://c.example").ttl(3000));

        TestIssuer.Response ra = issuer.clientCredentials(a);
        assertEquals(200, ra.status(), ra.body());
        assertEquals("no-store", ra.header("Cache-Control"));
        JsonObject body = ra.json();
        assertEquals("Bearer", body.getString("token_type"));
        assertEquals("urn:ietf:params:oauth:token-type:access_token", body.getString("issued_token_type"));
        assertEquals(900, body.getLong("expires_in"));
        assertEquals("read write admin", body.getString("scope"));
        String tokenA = body.getString("access_token");

        TestIssuer.Response rb = issuer.exchange(b, tokenA, "scope", "read write");
        assertEquals(200, rb.status(), rb.body());
        String tokenB = rb.json().getString("access_token");
        TestIssuer.Response rc = issuer.exchange(c, tokenB, "scope", "read");
        assertEquals(200, rc.status(), rc.body());
        String tokenC = rc.json().getString("access_token");

        VerifiedAgentToken va = verifier.verify(tokenA);
        VerifiedAgentToken vb = verifier.verify(tokenB);
        VerifiedAgentToken vc = verifier.verify(tokenC);

        // sub is the first agent's owner along the whole chain
        assertEquals("user:alice", va.principal());
        assertEquals("user:alice", vb.principal());
        assertEquals("user:alice", vc.principal());
        // act nests the actors, current first, each with the issuer that authenticated it
        assertEquals(List.of(new Actor("chain-a", issuer.url)), va.chain().actors());
        assertEquals(List.of(new Actor("chain-b", issuer.url), new Actor("chain-a", issuer.url)),
                vb.chain().actors());
        assertEquals(List.of(new Actor("chain-c", issuer.url), new Actor("chain-b", issuer.url),
                new Actor("chain-a", issuer.url)), vc.chain().actors());
        assertEquals("chain-c", vc.clientId());
        // scope narrows, lifetime never grows, depth grows by one per hop
        assertEquals(Set.of("read", "write", "admin"), va.scopes());
        assertEquals(Set.of("read", "write"), vb.scopes());
        assertEquals(Set.of("read"), vc.scopes());
        assertFalse(vb.expiresAt().isAfter(va.expiresAt()));
        assertFalse(vc.expiresAt().isAfter(vb.expiresAt()));
        assertEquals(vb.expiresAt(), vc.expiresAt(), "C's ttl of 3000 s is capped by B's token");
        assertEquals(3, vc.chain().depth());
        // the default audience is each client's single registered audience
        assertEquals(List.of("https://api.example"), va.audience());
        assertEquals(List.of("https://b.example"), vb.audience());
        assertEquals(List.of("https://c.example"), vc.audience());
        vb.checkDerivedFrom(va);
        vc.checkDerivedFrom(vb);
        assertEquals(3, Set.of(va.jwtId(), vb.jwtId(), vc.jwtId()).size());

        // introspection returns the claims with the nested act
        JsonObject introspected = issuer.introspect(tokenC);
        assertTrue(introspected.getBoolean("active"));
        assertEquals("user:alice", introspected.getString("sub"));
        assertEquals("chain-c", introspected.getString("client_id"));
        assertEquals("read", introspected.getString("scope"));
        assertEquals(new JsonObject(vc.chain().toActClaim()), introspected.getJsonObject("act"));
    }

    @Test
    void exchangeWithoutScopeGetsTheIntersection() throws Exception {
        TestAgent a = issuer.register(agent("int-a").delegates("int-b").scopes("read", "write", "admin"));
        TestAgent b = issuer.register(agent("int-b").scopes("admin", "read", "other"));
        VerifiedAgentToken vb = verifier.verify(issuer.exchanged(b, issuer.tokenFor(a)));
        assertEquals(List.of("read", "admin"), List.copyOf(vb.scopes()), "in the subject token's order");
    }

    @Test
    void jwtSubjectTokenTypeAndResourceParameterAreAccepted() throws Exception {
        TestAgent a = issuer.register(agent("res-a").delegates("res-b"));
        TestAgent b = issuer.register(agent("res-b").audiences("https://one.example", "https://b.example"));
        TestIssuer.Response r = issuer.token(new java.util.LinkedHashMap<>(issuer.as(b,
                "grant_type", TestIssuer.EXCHANGE, "subject_token", issuer.tokenFor(a),
                "subject_token_type", "urn:ietf:params:oauth:token-type:jwt", "resource", "https://b.example")));
        assertEquals(200, r.status(), r.body());
        assertEquals(List.of("https://b.example"), verifier.verify(r.json().getString("access_token")).audience());
    }
}
