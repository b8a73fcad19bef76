package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;
import dev.agentid.interop.TestAgents;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Spring Authorization Server peer (src/bench/spring-as, built by the bench profile) as its own JVM on 127.0.0.1,
 * on the issuer's JDK with the issuer's heap and GC flags, clients {@code agent-a} (holder) and {@code agent-b}
 * (actor) registered from their public JWK sets.
 */
final class SpringServer implements Server {

    private static final Duration STARTUP = Duration.ofMinutes(3);

    private final Http http = new Http();
    private final Path javaHome;
    private final Process process;
    private final String base;
    private final Client holder = Client.generate("agent-a");
    private final Client actor = Client.generate("agent-b");

    SpringServer() {
        Path jar = Processes.peersDir().resolve("spring-as-build/spring-as-peer.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: run with -Pbench (the profile builds"
                    + " src/bench/spring-as)");
        }
        javaHome = Jdks.issuerJavaHome();
        int port = Processes.freePort();
        base = "http://127.0.0.1:" + port;
        Path log = Processes.peersDir().resolve("spring-as.log");
        try {
            Path clients = Files.createTempDirectory(Processes.peersDir(), "spring-clients-");
            for (Client c : new Client[] {holder, actor}) {
                Files.writeString(clients.resolve(c.id() + ".jwks.json"), c.publicJwks(), StandardCharsets.UTF_8);
            }
            ProcessBuilder builder = new ProcessBuilder(Jdks.java(javaHome), "-XX:+UseSerialGC", "-Xms64m", "-Xmx1g",
                    "-jar", jar.toString(), "--server.port=" + port, "--bench.clients.dir=" + clients)
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the Spring Authorization Server peer", e);
        }
        try {
            Processes.awaitOk(http, URI.create(base + "/.well-known/oauth-authorization-server"), process, STARTUP, log);
        } catch (RuntimeException | AssertionError e) {
            Processes.stop(process);
            throw e;
        }
    }

    @Override
    public String name() {
        return "Spring AS";
    }

    @Override
    public String describe() {
        return "Spring Authorization Server 7.1.2 (Spring Boot 4.1.2, Tomcat) on " + Jdks.describe(javaHome);
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public URI tokenEndpoint() {
        return URI.create(base + "/oauth2/token");
    }

    @Override
    public URI introspectionEndpoint() {
        return URI.create(base + "/oauth2/introspect");
    }

    @Override
    public String assertionAudience() {
        return base;
    }

    @Override
    public Client holder() {
        return holder;
    }

    @Override
    public Client actor() {
        return actor;
    }

    /** Spring Authorization Server refuses a client assertion without client_id (invalid_request). */
    @Override
    public Map<String, String> authenticate(Client client, Map<String, String> params) {
        Map<String, String> form = new LinkedHashMap<>(params);
        form.put("client_id", client.id());
        return client.authenticated(form, assertionAudience());
    }

    @Override
    public Map<String, String> clientCredentials() {
        return Map.of("grant_type", "client_credentials", "scope", "files:read");
    }

    @Override
    public Map<String, String> exchange(String subjectToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TestAgents.TOKEN_EXCHANGE);
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE);
        form.put("scope", "files:read");
        return form;
    }

    @Override
    public void close() {
        Processes.stop(process);
    }
}
