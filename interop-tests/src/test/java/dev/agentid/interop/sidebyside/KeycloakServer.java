package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.TestAgents;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keycloak (the Quarkus distribution the bench profile unpacks into target/peers) in dev mode on 127.0.0.1, empty
 * at every start, on the JDK of {@link Jdks#keycloakJavaHome()}. The realm is set up through the admin REST API: an
 * ES256 signing key (new realms only carry RSA and HMAC keys), access tokens valid an hour, and three clients:
 * {@code agent-a} (service account, private_key_jwt ES256, audience mapper to agent-b), {@code agent-b} (service
 * account, private_key_jwt ES256, standard token exchange, audience mapper to agent-c) and {@code agent-c} (the
 * target audience of exchanges).
 */
final class KeycloakServer implements Server {

    static final String REALM = "agents";
    private static final Duration STARTUP = Duration.ofMinutes(5);

    private final Http http = new Http();
    private final Path javaHome;
    private final String version;
    private final Process process;
    private final long javaPid;
    private final String base;
    private final Client holder = Client.generate("agent-a");
    private final Client actor = Client.generate("agent-b");

    KeycloakServer() {
        version = System.getProperty("keycloak.version", "26.7.3");
        Path home = Processes.peersDir().resolve("keycloak-" + version);
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            throw new IllegalStateException(home + " has no bin/kc.sh: run with -Pbench (the profile unpacks"
                    + " org.keycloak:keycloak-quarkus-dist:" + version + ":zip)");
        }
        javaHome = Jdks.keycloakJavaHome();
        deleteTree(home.resolve("data"));
        int port = Processes.freePort();
        int management = Processes.freePort();
        base = "http://127.0.0.1:" + port;
        String adminPassword = TestAgents.randomSecret();
        Path log = Processes.peersDir().resolve("keycloak.log");
        try {
            ProcessBuilder builder = new ProcessBuilder("bash", home.resolve("bin/kc.sh").toString(), "start-dev",
                    "--http-host=127.0.0.1", "--http-port=" + port,
                    "--http-management-host=127.0.0.1", "--http-management-port=" + management)
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("JAVA_HOME", javaHome.toString());
            builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start Keycloak", e);
        }
        try {
            Processes.awaitOk(http, URI.create(base + "/realms/master/.well-known/openid-configuration"), process,
                    STARTUP, log);
            javaPid = Processes.javaPid(process);
            setUpRealm(adminPassword);
        } catch (RuntimeException | AssertionError e) {
            Processes.stop(process);
            throw e;
        }
    }

    private void setUpRealm(String adminPassword) {
        Map<String, String> login = new LinkedHashMap<>();
        login.put("grant_type", "password");
        login.put("client_id", "admin-cli");
        login.put("username", "admin");
        login.put("password", adminPassword);
        String admin = (String) http.postForm(URI.create(base + "/realms/master/protocol/openid-connect/token"), login,
                null).expect(200).json().get("access_token");
        URI realms = URI.create(base + "/admin/realms");
        created(http.postJson(realms, Map.of("realm", REALM, "enabled", true, "accessTokenLifespan", 3600,
                "defaultSignatureAlgorithm", "ES256"), admin));
        String realmId = (String) http.get(URI.create(realms + "/" + REALM), admin).expect(200).json().get("id");
        created(http.postJson(URI.create(realms + "/" + REALM + "/components"), Map.of(
                "name", "ecdsa-generated-P-256",
                "providerId", "ecdsa-generated",
                "providerType", "org.keycloak.keys.KeyProvider",
                "parentId", realmId,
                "config", Map.of("priority", List.of("200"), "enabled", List.of("true"), "active", List.of("true"),
                        "ecdsaEllipticCurveKey", List.of("P-256"))), admin));
        URI clients = URI.create(realms + "/" + REALM + "/clients");
        // audience targets first: a mapper names an existing client
        created(http.postJson(clients, Map.of("clientId", "agent-c", "enabled", true, "publicClient", false,
                "standardFlowEnabled", false, "directAccessGrantsEnabled", false, "serviceAccountsEnabled", false,
                "secret", TestAgents.randomSecret()), admin));
        created(http.postJson(clients, client(actor, true, "agent-c"), admin));
        created(http.postJson(clients, client(holder, false, actor.id()), admin));
    }

    private static Map<String, Object> client(Client client, boolean exchange, String audience) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("use.jwks.string", "true");
        attributes.put("use.jwks.url", "false");
        attributes.put("jwks.string", client.publicJwks());
        attributes.put("token.endpoint.auth.signing.alg", "ES256");
        if (exchange) {
            attributes.put("standard.token.exchange.enabled", "true");
        }
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("clientId", client.id());
        rep.put("enabled", true);
        rep.put("protocol", "openid-connect");
        rep.put("publicClient", false);
        rep.put("standardFlowEnabled", false);
        rep.put("implicitFlowEnabled", false);
        rep.put("directAccessGrantsEnabled", false);
        rep.put("serviceAccountsEnabled", true);
        rep.put("clientAuthenticatorType", "client-jwt");
        rep.put("attributes", attributes);
        rep.put("protocolMappers", List.of(Map.of("name", "aud-" + audience, "protocol", "openid-connect",
                "protocolMapper", "oidc-audience-mapper", "config", Map.of(
                        "included.client.audience", audience, "access.token.claim", "true",
                        "id.token.claim", "false", "introspection.token.claim", "true"))));
        return rep;
    }

    private static void created(HttpResult result) {
        if (result.status() != 201 && result.status() != 204) {
            throw new AssertionError("Keycloak admin API: " + result.describe());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "Keycloak";
    }

    @Override
    public String describe() {
        return "Keycloak " + version + " (start-dev) on " + Jdks.describe(javaHome);
    }

    @Override
    public long pid() {
        return javaPid;
    }

    private String issuer() {
        return base + "/realms/" + REALM;
    }

    @Override
    public URI tokenEndpoint() {
        return URI.create(issuer() + "/protocol/openid-connect/token");
    }

    @Override
    public URI introspectionEndpoint() {
        return URI.create(issuer() + "/protocol/openid-connect/token/introspect");
    }

    @Override
    public String assertionAudience() {
        return issuer();
    }

    @Override
    public Client holder() {
        return holder;
    }

    @Override
    public Client actor() {
        return actor;
    }

    /** Keycloak answers {"active":false} unless the caller is an audience of the token: agent-b is. */
    @Override
    public Client introspector() {
        return actor;
    }

    @Override
    public Map<String, String> clientCredentials() {
        return Map.of("grant_type", "client_credentials");
    }

    @Override
    public Map<String, String> exchange(String subjectToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TestAgents.TOKEN_EXCHANGE);
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE);
        form.put("audience", "agent-c");
        return form;
    }

    @Override
    public void close() {
        Processes.stop(process);
    }
}
