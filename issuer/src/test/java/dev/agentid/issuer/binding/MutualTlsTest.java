package dev.agentid.issuer.binding;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.keys.ca.AgentCa;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.binding.BindingVerifier;
import dev.agentid.verifier.binding.PresentedRequest;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutual TLS (RFC 8705) against an issuer serving TLS on port 0 with the agent CA: {@code tls_client_auth},
 * certificate-bound tokens, and a resource server (Vert.x HTTPS, client certificates requested) that checks the
 * binding with verifier-lib and refuses the token over a connection presenting another certificate.
 */
class MutualTlsTest {

    @TempDir
    static Path dir;
    static TlsFixture tls;
    static TestIssuer issuer;
    static HttpServer resourceServer;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        MutableClock clock = new MutableClock();
        tls = new TlsFixture(dir.resolve("tls-material"), clock);
        issuer = TestIssuer.start(tls.issuerValues(), clock, dir.resolve("issuer"), tls.anonymousClient());
        resourceServer = startResourceServer();
    }

    @AfterAll
    static void stop() throws Exception {
        if (resourceServer != null) {
            resourceServer.close().await(10, TimeUnit.SECONDS);
        }
        issuer.close();
    }

    static String id(String name) {
        return name + "-mtls-" + SEQ.incrementAndGet();
    }

    /** A resource server: verifies the token (verifier-lib), then its binding to the connection's certificate. */
    static HttpServer startResourceServer() throws Exception {
        TestIssuer.Response jwks = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/jwks")).GET()
                .build());
        AgentTokenVerifier tokens = AgentTokenVerifier.builder().trustIssuer(issuer.url, JWKSet.parse(jwks.body()))
                .audience("https://api.example").build();
        BindingVerifier bindings = BindingVerifier.builder().build();
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.serverCertFile.toString())
                        .setKeyPath(tls.serverKeyFile.toString()))
                .setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile.toString()))
                .setClientAuth(ClientAuth.REQUEST);
        return issuer.server.vertx().createHttpServer(options).requestHandler(request -> {
            String authorization = request.getHeader("Authorization");
            String token = authorization == null ? "" : authorization.substring("Bearer ".length());
            X509Certificate certificate = ClientCertificates.peer(request);
            try {
                bindings.verify(tokens.verify(token), PresentedRequest.bearer(token).clientCertificate(certificate));
                request.response().setStatusCode(200).end("ok");
            } catch (TokenVerificationException e) {
                request.response().setStatusCode(401).end(e.reason().name());
            }
        }).listen().await(10, TimeUnit.SECONDS);
    }

    static TestIssuer.Response callResource(HttpClient client, String token) {
        return issuer.send(client, HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + resourceServer.actualPort()
                + "/orders")).header("Authorization", "Bearer " + token).GET().build());
    }

    static TestAgent register(TestAgent a, boolean sanUri, boolean certificateBound) {
        if (sanUri) {
            a.registration.put("tls_client_auth_san_uri", AgentCa.agentUri(a.id));
        }
        if (certificateBound) {
            a.registration.put("tls_client_certificate_bound_access_tokens", true);
        }
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
        assertEquals(201, r.status(), r.body());
        return a;
    }

    static TestIssuer.Response token(HttpClient client, Map<String, String> params) {
        return issuer.send(client, HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params))).build());
    }

    static Map<String, String> tlsClientAuth(TestAgent a) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("grant_type", "client_credentials");
        params.put("client_id", a.id);
        return params;
    }

    @Test
    void issuerServesHttpsAndAdvertisesMutualTls() {
        assertTrue(issuer.url.startsWith("https://127.0.0.1:"), issuer.url);
        JsonObject md = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                + "/.well-known/oauth-authorization-server")).GET().build()).json();
        assertEquals(issuer.url + "/oauth2/token", md.getString("token_endpoint"));
        assertEquals(new JsonArray().add("private_key_jwt").add("tls_client_auth"),
                md.getJsonArray("token_endpoint_auth_methods_supported"));
        assertEquals(true, md.getBoolean("tls_client_certificate_bound_access_tokens"));
        assertEquals(new JsonArray().add("ES256"), md.getJsonArray("dpop_signing_alg_values_supported"));
    }

    @Test
    void tlsClientAuthWithTheAgentsCertificateIssuesABearerToken() throws Exception {
        TestAgent a = register(agent(id("a")).build(), true, false);
        HttpClient client = tls.clientWith(a.key, tls.certificateFor(a.key, a.id));
        TestIssuer.Response r = token(client, tlsClientAuth(a));
        assertEquals(200, r.status(), r.body());
        assertEquals("Bearer", r.json().getString("token_type"));
        SignedJWT jwt = SignedJWT.parse(r.json().getString("access_token"));
        assertEquals(a.id, jwt.getJWTClaimsSet().getStringClaim("client_id"));
        assertNull(jwt.getJWTClaimsSet().getClaim("cnf"));
    }

    @Test
    void tlsClientAuthWithoutCertificateIsNoClientAuthentication() {
        TestAgent a = register(agent(id("a")).build(), true, false);
        TestIssuer.Response r = token(tls.anonymousClient(), tlsClientAuth(a));
        TestIssuer.assertError(r, 401, "invalid_client", "client authentication is required: use private_key_jwt");
    }

    @Test
    void certificateBoundTokenCarriesTheCertificateThumbprintAndOnlyThatCertificateMayUseIt() throws Exception {
        TestAgent a = register(agent(id("a")).build(), true, true);
        X509Certificate certificate = tls.certificateFor(a.key, a.id);
        HttpClient client = tls.clientWith(a.key, certificate);
        TestIssuer.Response r = token(client, tlsClientAuth(a));
        assertEquals(200, r.status(), r.body());
        assertEquals("Bearer", r.json().getString("token_type"));
        String token = r.json().getString("access_token");
        Map<String, Object> cnf = SignedJWT.parse(token).getJWTClaimsSet().getJSONObjectClaim("cnf");
        assertEquals(Map.of("x5t#S256", AgentCa.thumbprintS256(certificate)), cnf);
        assertEquals(new JsonObject().put("x5t#S256", AgentCa.thumbprintS256(certificate)),
                issuer.introspect(token).getJsonObject("cnf"));

        // the same certificate: accepted
        TestIssuer.Response same = callResource(client, token);
        assertEquals(200, same.status(), same.body());
        // a renewed certificate for the same agent and key is another certificate: refused
        HttpClient renewed = tls.clientWith(a.key, tls.certificateFor(a.key, a.id));
        assertEquals(401, callResource(renewed, token).status());
        // another agent's certificate: refused
        TestAgent other = agent(id("other")).build();
        TestIssuer.Response another = callResource(tls.clientWith(other.key, tls.certificateFor(other.key, other.id)),
                token);
        assertEquals(401, another.status());
        assertEquals("BINDING_MISMATCH", another.body());
        // no certificate: refused
        assertEquals(401, callResource(tls.anonymousClient(), token).status());
    }

    @Test
    void privateKeyJwtAgentGetsCertificateBoundTokenOverItsConnection() throws Exception {
        TestAgent a = register(agent(id("a")).build(), false, true);
        X509Certificate certificate = tls.certificateFor(a.key, a.id);
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        TestIssuer.Response r = token(tls.clientWith(a.key, certificate), params);
        assertEquals(200, r.status(), r.body());
        Map<String, Object> cnf = SignedJWT.parse(r.json().getString("access_token")).getJWTClaimsSet()
                .getJSONObjectClaim("cnf");
        assertEquals(AgentCa.thumbprintS256(certificate), cnf.get("x5t#S256"));
    }

    @Test
    void certificateFromAnotherCaIsInvalidClientNotAHandshakeAbort() {
        TestAgent a = register(agent(id("a")).build(), true, false);
        AgentCa rogue = AgentCa.generate(java.time.Clock.systemUTC());
        // the same SAN URI and key, but issued by a CA the issuer does not trust
        X509Certificate foreign = rogue.issue(dev.agentid.keys.ca.AgentCsr.create(a.key, a.id), a.id,
                java.time.Duration.ofHours(1));
        TestIssuer.Response r = token(tls.clientWith(a.key, foreign, rogue.certificate()), tlsClientAuth(a));
        dev.agentid.issuer.RefusalTable.assertRow(r, "M01");
    }

    @Test
    void privateKeyJwtAgentIsUnaffectedByTheForeignCertificateItsTlsStackPresents() throws Exception {
        TestAgent a = register(agent(id("a")).build(), false, false);
        AgentCa rogue = AgentCa.generate(java.time.Clock.systemUTC());
        X509Certificate foreign = rogue.issue(dev.agentid.keys.ca.AgentCsr.create(a.key, a.id), a.id,
                java.time.Duration.ofHours(1));
        TestIssuer.Response r = token(tls.clientWith(a.key, foreign, rogue.certificate()),
                issuer.as(a, "grant_type", "client_credentials"));
        assertEquals(200, r.status(), r.body());
        assertNull(SignedJWT.parse(r.json().getString("access_token")).getJWTClaimsSet().getClaim("cnf"));
    }

    @Test
    void registrationWithAnotherAgentsSanUriIsRefused() {
        TestAgent a = agent(id("a")).build();
        a.registration.put("tls_client_auth_san_uri", AgentCa.agentUri("someone-else"));
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
        assertEquals(400, r.status(), r.body());
        assertEquals("tls_client_auth_san_uri", r.json().getString("field"));
    }
}
