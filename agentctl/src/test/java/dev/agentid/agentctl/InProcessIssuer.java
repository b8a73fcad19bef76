package dev.agentid.agentctl;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.IssuerConfig;
import dev.agentid.issuer.IssuerServer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * A real issuer started in-process on 127.0.0.1, port 0, over a temporary data directory. No admin token is
 * configured, so the issuer writes {@code data/admin-token} as in production, and agentctl reads it from there. The
 * HTTP helpers play the agents' side (client_credentials, the backchannel endpoint), which agentctl does not.
 */
final class InProcessIssuer implements AutoCloseable {

    final IssuerServer server;
    final Path dataDir;
    final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private InProcessIssuer(IssuerServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
        this.url = server.issuer();
    }

    static InProcessIssuer start(Path dataDir) {
        Map<String, String> env = Map.of("ISSUER_PORT", "0", "ISSUER_HOST", "127.0.0.1",
                "ISSUER_DATA_DIR", dataDir.toString());
        return new InProcessIssuer(IssuerServer.start(IssuerConfig.load(env, null), Clock.systemUTC()), dataDir);
    }

    Path adminTokenFile() {
        return dataDir.resolve("admin-token");
    }

    /** A response's status and JSON body. */
    record Answer(int status, JsonObject json) {
    }

    Answer form(String path, Map<String, String> params) {
        StringJoiner body = new StringJoiner("&");
        params.forEach((k, v) -> body.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), new JsonObject(r.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonObject getJson(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60)).GET()
                .build();
        try {
            return new JsonObject(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Form parameters authenticated as the agent (private_key_jwt, a fresh assertion each time). */
    Map<String, String> as(TestAgents.Agent agent, String... keyValues) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        params.put("client_assertion", assertion(agent.id(), agent.key()));
        for (int i = 0; i < keyValues.length; i += 2) {
            params.put(keyValues[i], keyValues[i + 1]);
        }
        return params;
    }

    private String assertion(String agentId, ECKey key) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(agentId).subject(agentId).audience(url)
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).issueTime(new Date())
                .jwtID(UUID.randomUUID().toString()).build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
