package dev.agentid.issuer;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An issuer started in-process on port 0 over a temporary data directory, with HTTP helpers. */
public final class TestIssuer implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token-0123456789";
    public static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public final IssuerServer server;
    public final MutableClock clock;
    public final Path dataDir;
    public final String url;
    private final HttpClient http;

    private TestIssuer(IssuerServer server, MutableClock clock, Path dataDir, HttpClient http) {
        this.server = server;
        this.clock = clock;
        this.dataDir = dataDir;
        this.url = server.issuer();
        this.http = http;
    }

    public static TestIssuer start(Path dataDir) {
        return start(dataDir, new MutableClock(), 0, Map.of());
    }

    public static TestIssuer start(Path dataDir, MutableClock clock, int port, Map<String, String> extra) {
        Map<String, String> values = new HashMap<>();
        values.put("ISSUER_PORT", Integer.toString(port));
        values.put("ISSUER_DATA_DIR", dataDir.toString());
        values.put("ISSUER_ADMIN_TOKEN", ADMIN_TOKEN);
        values.putAll(extra);
        return start(values, clock, dataDir, HttpClient.newHttpClient());
    }

    /** An issuer over TLS (ISSUER_TLS_* in {@code values}); {@code http} trusts its certificate. */
    public static TestIssuer start(Map<String, String> values, MutableClock clock, Path dataDir, HttpClient http) {
        Map<String, String> all = new HashMap<>(values);
        all.putIfAbsent("ISSUER_PORT", "0");
        all.putIfAbsent("ISSUER_DATA_DIR", dataDir.toString());
        all.putIfAbsent("ISSUER_ADMIN_TOKEN", ADMIN_TOKEN);
        all.putIfAbsent("ISSUER_FEDERATION_LOOPBACK_HTTP", "true");   // partners and IdPs of tests are http loopback
        return new TestIssuer(IssuerServer.start(IssuerConfig.fromValues(all), clock), clock, dataDir, http);
    }

    /** A response: status, headers and body. */
    public record Response(int status, java.net.http.HttpHeaders headers, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    /** The longest any test request may wait for its response. */
    static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(60);

    public Response send(HttpRequest request) {
        return send(http, request);
    }

    /** Sends with another client (e.g. one presenting an agent's TLS client certificate). */
    public Response send(HttpClient client, HttpRequest request) {
        try {
            // a lost response fails the test instead of hanging the build
            HttpRequest bounded = request.timeout().isPresent() ? request
                    : HttpRequest.newBuilder(request, (name, value) -> true).timeout(REQUEST_TIMEOUT).build();
            HttpResponse<String> r = client.send(bounded, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public Response admin(String method, String path, JsonObject body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return send(b.build());
    }

    public TestAgent register(TestAgent.Builder builder) {
        TestAgent agent = builder.build();
        Response r = admin("POST", "/admin/agents", agent.registration);
        assertEquals(201, r.status(), r.body());
        return agent;
    }

    public static String form(Map<String, String> params) {
        StringJoiner joiner = new StringJoiner("&");
        params.forEach((k, v) -> joiner.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return joiner.toString();
    }

    public Response token(Map<String, String> params) {
        return post("/oauth2/token", "application/x-www-form-urlencoded", form(params));
    }

    /** Form parameters authenticated as the agent (a fresh client assertion each time). */
    public Map<String, String> as(TestAgent agent, String... keyValues) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("client_assertion_type", JWT_BEARER);
        params.put("client_assertion", agent.assertion(url));
        for (int i = 0; i < keyValues.length; i += 2) {
            params.put(keyValues[i], keyValues[i + 1]);
        }
        return params;
    }

    public Response clientCredentials(TestAgent agent, String... extra) {
        Map<String, String> params = as(agent, extra);
        params.put("grant_type", "client_credentials");
        return token(params);
    }

    /** A client_credentials token; fails the test if refused. */
    public String tokenFor(TestAgent agent, String... extra) {
        Response r = clientCredentials(agent, extra);
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    public Response exchange(TestAgent client, String subjectToken, String... extra) {
        Map<String, String> params = as(client, "grant_type", EXCHANGE, "subject_token", subjectToken,
                "subject_token_type", ACCESS_TOKEN_TYPE);
        for (int i = 0; i < extra.length; i += 2) {
            params.put(extra[i], extra[i + 1]);
        }
        return token(params);
    }

    public String exchanged(TestAgent client, String subjectToken, String... extra) {
        Response r = exchange(client, subjectToken, extra);
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    public JsonObject introspect(String token) {
        Response r = send(HttpRequest.newBuilder(URI.create(url + "/oauth2/introspect"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("token", token)))).build());
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    public Response revoke(TestAgent caller, String token) {
        Map<String, String> params = as(caller, "token", token);
        return post("/oauth2/revoke", "application/x-www-form-urlencoded", form(params));
    }

    @Override
    public void close() {
        server.close();
    }

    /** Asserts the exact RFC 6749 §5.2 body and the no-store header. */
    public static void assertError(Response r, int status, String error, String description) {
        assertEquals(status, r.status(), r.body());
        assertEquals(new JsonObject().put("error", error).put("error_description", description), r.json());
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals("application/json", r.header("Content-Type"));
    }
}
