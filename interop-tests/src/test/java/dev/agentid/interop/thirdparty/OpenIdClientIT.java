package dev.agentid.interop.thirdparty;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.MalformedURLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * panva/openid-client (Node, node/openid-client-exchange.mjs) as the agents' OAuth client, unchanged:
 * RFC 8414 discovery, private_key_jwt, client_credentials for A, and RFC 8693 token exchange for B
 * through its generic grant. The tokens it receives are then checked with verifier-lib.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class OpenIdClientIT {

    static final String API = "https://api.example";

    static IssuerProcess issuer;
    static Map<String, Object> discovered;
    static Map<String, Object> clientCredentials;
    static Map<String, Object> exchange;
    static Map<String, Object> widerExchange;

    @BeforeAll
    static void agentsTakeTokensWithOpenIdClient() {
        issuer = IssuerProcess.named("openid-client").start();
        TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
        ECKey keyA = TestAgents.newKey();
        ECKey keyB = TestAgents.newKey();
        agents.agent("agent-a").key(keyA).owner("user:alice")
                .scopes("files:read", "files:write").audiences(API)
                .delegates("agent-b").tokenTtlSeconds(600).register();
        agents.agent("agent-b").key(keyB).owner("user:bob")
                .scopes("files:read", "files:write").audiences(API)
                .tokenTtlSeconds(300).register();

        Map<String, Object> clients = new LinkedHashMap<>();
        clients.put("agent-a", keyA.toJSONObject());
        clients.put("agent-b", keyB.toJSONObject());
        Map<String, Object> plan = Map.of("clients", clients, "steps", List.of(
                Map.of("client", "agent-a", "grant", "client_credentials",
                        "parameters", Map.of("scope", "files:read files:write", "audience", API)),
                Map.of("client", "agent-b", "grant", TestAgents.TOKEN_EXCHANGE, "subject_token_from_step", 0,
                        "parameters", Map.of("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE, "scope", "files:read")),
                // A never held mail:send: the issuer refuses, and openid-client must surface the RFC 6749 error
                Map.of("client", "agent-b", "grant", TestAgents.TOKEN_EXCHANGE, "subject_token_from_step", 0,
                        "parameters", Map.of("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE,
                                "scope", "files:read mail:send"))));

        List<Map<String, Object>> lines = NodeScript.of("openid-client-exchange.mjs", "openid-client")
                .run(JSONObjectUtils.toJSONString(plan), issuer.issuer());
        assertEquals(4, lines.size(), "one discovery line and three step lines");
        discovered = object(lines.get(0), "discovered");
        clientCredentials = lines.get(1);
        exchange = lines.get(2);
        widerExchange = lines.get(3);
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    void discoveryFindsTheEndpointsInTheRfc8414Metadata() {
        assertAll(
                () -> assertEquals(issuer.issuer(), discovered.get("issuer")),
                () -> assertEquals(issuer.tokenEndpoint().toString(), discovered.get("token_endpoint")),
                () -> assertEquals(issuer.jwksUri().toString(), discovered.get("jwks_uri")));
    }

    @Test
    void clientCredentialsGrantWithPrivateKeyJwtIssuesTheAgentsToken() throws TokenVerificationException {
        Map<String, Object> response = succeeded(clientCredentials);
        assertAll(
                () -> assertTrue("bearer".equalsIgnoreCase((String) response.get("token_type")),
                        "token_type " + response.get("token_type")),
                () -> assertEquals("files:read files:write", response.get("scope")));

        VerifiedAgentToken token = verify((String) response.get("access_token"));
        assertAll(
                () -> assertEquals("user:alice", token.principal()),
                () -> assertEquals("agent-a", token.clientId()),
                () -> assertEquals(List.of(Actor.of("agent-a", issuer.issuer())), token.chain().actors()),
                () -> assertEquals(Set.of("files:read", "files:write"), token.scopes()));
    }

    @Test
    void genericGrantRequestPerformsTheTokenExchangeAndTheChainGrows() throws TokenVerificationException {
        Map<String, Object> response = succeeded(exchange);
        assertAll(
                () -> assertEquals(TestAgents.ACCESS_TOKEN_TYPE, response.get("issued_token_type")),
                () -> assertEquals("files:read", response.get("scope")),
                () -> assertTrue(((Number) response.get("expires_in")).longValue() <= 300,
                        "B's own TTL bounds the token: " + response.get("expires_in")));

        VerifiedAgentToken token = verify((String) response.get("access_token"));
        assertAll(
                () -> assertEquals("user:alice", token.principal()),
                () -> assertEquals("agent-b", token.clientId()),
                () -> assertEquals(List.of(Actor.of("agent-b", issuer.issuer()), Actor.of("agent-a", issuer.issuer())),
                        token.chain().actors()),
                () -> assertEquals(Set.of("files:read"), token.scopes()),
                () -> assertEquals(List.of(API), token.audience()));
    }

    @Test
    void exchangeForAWiderScopeReachesOpenIdClientAsAnInvalidScopeError() {
        assertFalse(Boolean.TRUE.equals(widerExchange.get("ok")), "the wider exchange must be refused");
        assertAll(
                () -> assertEquals("ResponseBodyError", widerExchange.get("name")),
                () -> assertEquals("invalid_scope", widerExchange.get("error")),
                () -> assertEquals(400, ((Number) widerExchange.get("status")).intValue()));
    }

    private static VerifiedAgentToken verify(String accessToken) throws TokenVerificationException {
        try (AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                .trustIssuer(issuer.issuer(), issuer.jwksUri().toURL())
                .audience(API)
                .build()) {
            return verifier.verify(accessToken);
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> succeeded(Map<String, Object> line) {
        if (!Boolean.TRUE.equals(line.get("ok"))) {
            throw new AssertionError("openid-client's request failed: " + line);
        }
        return object(line, "response");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> line, String member) {
        Object value = line.get(member);
        if (!(value instanceof Map)) {
            throw new AssertionError("no '" + member + "' object in " + line.keySet());
        }
        return (Map<String, Object>) value;
    }
}
