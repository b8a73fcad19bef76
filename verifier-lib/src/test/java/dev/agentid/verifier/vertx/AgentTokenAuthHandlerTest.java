package dev.agentid.verifier.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Date;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A resource server on a real Vert.x HTTP server (port 0) behind the handler. */
class AgentTokenAuthHandlerTest {

    static Vertx vertx;
    static HttpServer server;
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void startResourceServer() throws Exception {
        vertx = Vertx.vertx();
        AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                .trustIssuer(TestTokens.ISSUER, new JWKSet(TestTokens.KEY.toPublicJWK()))
                .audience(TestTokens.AUDIENCE)
                .clock(TestTokens.clock())
                .build();
        AgentTokenAuthHandler auth = AgentTokenAuthHandler.create(vertx, verifier, "tickets");
        Router router = Router.router(vertx);
        router.get("/tickets").handler(auth).handler(ctx -> ctx.json(new JsonObject()
                .put("principal", ctx.user().principal().getString("sub"))
                .put("actor", AgentTokenAuthHandler.token(ctx).chain().current().subject())
                .put("act", ctx.user().principal().getJsonArray("act"))));
        router.post("/tickets").handler(auth.requireScopes("admin")).handler(ctx -> ctx.end("created"));
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> call(String method, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort()
                + "/tickets")).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aValidAgentTokenReachesTheResourceWithItsPrincipalAndChain() throws Exception {
        HttpResponse<String> response = call("GET", "Bearer " + TestTokens.token());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals(TestTokens.PRINCIPAL, body.getString("principal"));
        assertEquals("agent-b", body.getString("actor"));
        assertEquals("agent-a", body.getJsonArray("act").getJsonObject(1).getString("sub"));
    }

    @Test
    void noTokenIsAChallengeWithoutAnErrorCode() throws Exception {
        HttpResponse<String> response = call("GET", null);
        assertEquals(401, response.statusCode());
        assertEquals("Bearer realm=\"tickets\"", response.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("", response.body());
    }

    @Test
    void anotherSchemeIsAChallengeToo() throws Exception {
        assertEquals(401, call("GET", "Basic dXNlcjpwYXNz").statusCode());
    }

    @Test
    void anExpiredTokenIsInvalidTokenWithTheStableReason() throws Exception {
        String expired = TestTokens.sign(TestTokens.claims()
                .issueTime(Date.from(TestTokens.NOW.minusSeconds(900)))
                .expirationTime(Date.from(TestTokens.NOW.minusSeconds(600))).build());
        HttpResponse<String> response = call("GET", "Bearer " + expired);
        assertEquals(401, response.statusCode());
        assertEquals("Bearer realm=\"tickets\", error=\"invalid_token\", error_description=\"EXPIRED\"",
                response.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals(new JsonObject().put("error", "invalid_token").put("error_description", "EXPIRED"),
                new JsonObject(response.body()));
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(null));
    }

    @Test
    void aTokenSignedByAnotherKeyIsInvalidToken() throws Exception {
        String forged = TestTokens.sign(TestTokens.claims().build(), TestTokens.newKey(TestTokens.KEY.getKeyID()));
        HttpResponse<String> response = call("GET", "Bearer " + forged);
        assertEquals(401, response.statusCode());
        assertEquals("BAD_SIGNATURE", new JsonObject(response.body()).getString("error_description"));
    }

    @Test
    void aTokenWithoutTheRequiredScopeIsInsufficientScope() throws Exception {
        HttpResponse<String> response = call("POST", "Bearer " + TestTokens.token());
        assertEquals(403, response.statusCode());
        assertEquals("Bearer realm=\"tickets\", error=\"insufficient_scope\", error_description=\"requires admin\","
                + " scope=\"admin\"", response.headers().firstValue("WWW-Authenticate").orElse(null));
    }

    @Test
    void bearerHeaderParsing() {
        assertEquals("abc", AgentTokenAuthHandler.bearer("Bearer abc"));
        assertEquals("abc", AgentTokenAuthHandler.bearer("bearer abc"));
        assertNull(AgentTokenAuthHandler.bearer("Bearer "));
        assertNull(AgentTokenAuthHandler.bearer("Bearer a b"));
        assertNull(AgentTokenAuthHandler.bearer("DPoP abc"));
    }
}
