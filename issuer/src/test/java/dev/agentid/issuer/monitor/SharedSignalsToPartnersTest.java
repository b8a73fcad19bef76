package dev.agentid.issuer.monitor;

import static dev.agentid.issuer.TestAgent.agent;
import static dev.agentid.issuer.monitor.MonitoringEndpointTest.eventually;
import static dev.agentid.issuer.monitor.MonitoringEndpointTest.judgedAtOnce;
import static dev.agentid.issuer.monitor.MonitoringEndpointTest.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.federation.SharedSignalsTransmitter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts go to the partners subscribed to our Shared Signals (trust file {@code ssf_receivers}) where the agent's
 * tokens travel: a suspension by monitoring reaches a receiver whose {@code agent_audiences} include the agent's
 * audience as a CAEP session-revoked SET, signed with the issuer's published key; a receiver of other audiences hears
 * nothing. Driven through the real token endpoint of a real issuer, with real HTTP receivers.
 */
class SharedSignalsToPartnersTest {

    @TempDir
    Path dir;

    record Received(String contentType, String body) {
    }

    static HttpServer receiver(LinkedBlockingQueue<Received> into) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ssf/events", x -> {
            into.add(new Received(x.getRequestHeaders().getFirst("Content-Type"),
                    new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            x.sendResponseHeaders(202, -1);
            x.close();
        });
        server.start();
        return server;
    }

    static String endpoint(HttpServer server) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/ssf/events";
    }

    @Test
    void suspensionByMonitoringIsSentToSubscribedPartnersAsASignedSessionRevokedEvent() throws Exception {
        LinkedBlockingQueue<Received> concerned = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Received> elsewhere = new LinkedBlockingQueue<>();
        HttpServer partner = receiver(concerned);
        HttpServer other = receiver(elsewhere);
        Path trust = dir.resolve("trust.json");
        Files.writeString(trust, new JsonObject().put("ssf_receivers", new JsonArray()
                .add(new JsonObject().put("endpoint", endpoint(partner)).put("audience", "https://partner.example")
                        .put("agent_audiences", new JsonArray().add("https://api.example")))
                .add(new JsonObject().put("endpoint", endpoint(other)).put("audience", "https://other.example")
                        .put("agent_audiences", new JsonArray().add("https://api.other.example")))).encode());
        Map<String, String> env = new HashMap<>(judgedAtOnce(dir, new JsonObject()));
        env.put("ISSUER_TRUST_FILE", trust.toString());
        env.put("ISSUER_FEDERATION_LOOPBACK_HTTP", "true");
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0, env)) {
            TestAgent victim = issuer.register(agent("ssf-victim").scopes("read"));   // audience https://api.example
            for (int i = 0; i < 12; i++) {   // a refusal storm: stolen keys tried against other scopes
                issuer.clientCredentials(victim, "scope", "payroll:export");
            }
            eventually("the agent is suspended", () -> "killed".equals(status(issuer, "ssf-victim")));
            eventually("the partner hears of it", () -> concerned.stream().anyMatch(r -> session(r.body())));
            Received received = concerned.stream().filter(r -> session(r.body())).findFirst()
                    .orElseThrow(() -> new AssertionError("no session-revoked SET among " + concerned));
            assertEquals("application/secevent+jwt", received.contentType());

            SignedJWT set = SignedJWT.parse(received.body());
            assertEquals(new JOSEObjectType("secevent+jwt"), set.getHeader().getType());
            JWKSet published = JWKSet.parse(issuer.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(issuer.url + "/oauth2/jwks")).GET().build()).body());
            ECKey key = (ECKey) published.getKeyByKeyId(set.getHeader().getKeyID());
            assertTrue(set.verify(new ECDSAVerifier(key)), "signed with the issuer's published key");
            assertEquals(issuer.url, set.getJWTClaimsSet().getIssuer());
            assertEquals(List.of("https://partner.example"), set.getJWTClaimsSet().getAudience());
            assertEquals(Map.of("format", "iss_sub", "iss", issuer.url, "sub", "ssf-victim"),
                    set.getJWTClaimsSet().getJSONObjectClaim("sub_id"));
            @SuppressWarnings("unchecked")
            Map<String, Object> event = (Map<String, Object>) set.getJWTClaimsSet().getJSONObjectClaim("events")
                    .get(SharedSignalsTransmitter.SESSION_REVOKED);
            assertEquals("policy", event.get("initiating_entity"));
            assertTrue(String.valueOf(event.get("reason_admin")).contains("refusal_storm"), event.toString());
            assertTrue(elsewhere.isEmpty(), "a receiver of other audiences hears nothing: " + elsewhere);
        } finally {
            partner.stop(0);
            other.stop(0);
        }
    }

    static boolean session(String set) {
        try {
            return SignedJWT.parse(set).getJWTClaimsSet().getJSONObjectClaim("events")
                    .containsKey(SharedSignalsTransmitter.SESSION_REVOKED);
        } catch (java.text.ParseException e) {
            return false;
        }
    }
}
