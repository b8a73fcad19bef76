package dev.agentid.agentctl;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shaded {@code agentctl.jar} as a real process (after package), against a real issuer: what a script sees, exit
 * codes included, with the connection taken from the process environment ($AGENTID_ISSUER, $AGENTID_ADMIN_TOKEN).
 */
class AgentctlJarIT {

    @TempDir
    static Path dir;
    static InProcessIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = InProcessIssuer.start(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result agentctl(Map<String, String> env, String... args) throws Exception {
        return agentctlIn(dir, env, args);
    }

    static Result agentctlIn(Path workingDir, Map<String, String> env, String... args) throws Exception {
        String jar = System.getProperty("agentctl.jar");
        assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "agentctl.jar is built: " + jar);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", jar));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile());
        builder.environment().remove("AGENTID_ISSUER");
        builder.environment().remove("AGENTID_ADMIN_TOKEN");
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String out = read(process.getInputStream());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("agentctl did not exit: " + command);
        }
        return new Result(process.exitValue(), out, err.join());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theJarRegistersKillsAndShowsWithTheConnectionFromTheEnvironment() throws Exception {
        String token = Files.readString(issuer.adminTokenFile()).trim();
        Map<String, String> env = Map.of("AGENTID_ISSUER", issuer.url, "AGENTID_ADMIN_TOKEN", token);
        TestAgents.Agent a = TestAgents.agent("jar");
        Path file = dir.resolve("agent.json");
        Files.writeString(file, a.registration().encode());

        Result register = agentctl(env, "register", "-f", file.toString(), "-o", "json");
        assertEquals(0, register.code(), register.toString());
        assertEquals(a.id(), new JsonObject(register.out()).getString("agent_id"));

        Result kill = agentctl(env, "kill", a.id(), "--reason", "from a script");
        assertEquals(0, kill.code(), kill.toString());
        Result show = agentctl(env, "show", a.id(), "-o", "json");
        assertEquals(0, show.code(), show.toString());
        assertEquals("killed", new JsonObject(show.out()).getString("status"));
        assertFalse(show.out().contains(token) || show.err().contains(token));

        Result ghost = agentctl(env, "show", "ghost");
        assertEquals(3, ghost.code(), ghost.toString());
        assertTrue(ghost.err().startsWith("agentctl: not_found: "), ghost.err());
    }

    @Test
    void theJarsHelpAndUsageErrors() throws Exception {
        Result help = agentctl(Map.of(), "--help");
        assertEquals(0, help.code(), help.toString());
        assertTrue(help.out().contains("Exit codes:"), help.out());

        Result version = agentctl(Map.of(), "--version");
        assertEquals(0, version.code(), version.toString());
        assertEquals("agentctl " + System.getProperty("project.version"), version.out().strip());

        Result usage = agentctl(Map.of(), "kill");
        assertEquals(2, usage.code(), usage.toString());

        // the issuer's data directory is ./data here: its admin-token file is the default
        Result defaultToken = agentctl(Map.of("AGENTID_ISSUER", issuer.url), "list");
        assertEquals(0, defaultToken.code(), "./data/admin-token: " + defaultToken);

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Result noToken = agentctlIn(elsewhere, Map.of("AGENTID_ISSUER", issuer.url), "list");
        assertEquals(2, noToken.code(), "no --token-file, no $AGENTID_ADMIN_TOKEN, no ./data/admin-token: " + noToken);
        assertTrue(noToken.err().startsWith("agentctl: no --token-file and no $AGENTID_ADMIN_TOKEN, and"
                + " data/admin-token: cannot read the token file"), noToken.err());
    }
}
