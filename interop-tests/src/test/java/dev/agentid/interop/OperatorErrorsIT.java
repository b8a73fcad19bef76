package dev.agentid.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees when a start goes wrong: a line or two that say what is wrong and what to do, no stack
 * trace, and an exit (2 for configuration, 1 for runtime) that a supervisor can act on. And what a healthy node
 * answers to a load balancer.
 */
class OperatorErrorsIT {

    private static final Duration EXIT_LIMIT = Duration.ofSeconds(20);

    @Test
    void aPortInUseExitsNonZeroWithinFiveSecondsNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            IssuerProcess issuer = IssuerProcess.named("port-taken").port(port).startWithoutWaiting();
            long started = System.nanoTime();
            OptionalInt code = issuer.awaitExit(EXIT_LIMIT);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(code.isPresent(), "the issuer must exit when its port is taken");
            assertEquals(1, code.getAsInt(), "a port in use is a runtime failure");
            // the JVM's own start-up is part of the figure; the issuer itself fails before the store starts
            assertTrue(millis < 5_000, "exited after " + millis + " ms");
            String stderr = issuer.stderrText();
            assertTrue(stderr.contains("127.0.0.1:" + port), "names the address: " + stderr);
            assertNoStackTrace(stderr);
        }
    }

    @Test
    void aMisspelledVariableRefusesToStartAndNamesTheSuggestion() {
        IssuerProcess issuer = IssuerProcess.named("typo").port(freePort()).env("ISSUER_PROT", "9090")
                .startWithoutWaiting();
        assertEquals(2, issuer.awaitExit(EXIT_LIMIT).orElse(-1));
        String stderr = issuer.stderrText();
        assertTrue(stderr.contains("ISSUER_PROT") && stderr.contains("did you mean ISSUER_PORT?"), stderr);
        assertNoStackTrace(stderr);
    }

    @Test
    void anAbbreviatedVariableSuggestsTheFullName() {
        IssuerProcess issuer = IssuerProcess.named("abbrev").port(freePort()).env("ISSUER_MAX_TTL", "600")
                .startWithoutWaiting();
        assertEquals(2, issuer.awaitExit(EXIT_LIMIT).orElse(-1));
        assertTrue(issuer.stderrText().contains("did you mean ISSUER_MAX_TOKEN_TTL_SECONDS?"), issuer.stderrText());
    }

    @Test
    void anUnknownKeyInTheConfigFileRefusesToStart() throws Exception {
        Path config = Files.createTempFile(Interop.targetDir(), "issuer-", ".properties");
        Files.writeString(config, "port: 9093\n", StandardCharsets.UTF_8);
        IssuerProcess issuer = IssuerProcess.named("config-key").port(freePort())
                .arguments("--config", config.toString()).startWithoutWaiting();
        assertEquals(2, issuer.awaitExit(EXIT_LIMIT).orElse(-1));
        String stderr = issuer.stderrText();
        assertTrue(stderr.contains("'port'") && stderr.contains("did you mean ISSUER_PORT?"), stderr);
    }

    @Test
    void aDataDirectoryThatCannotBeCreatedIsOneLineAndExitOne() throws Exception {
        Path file = Files.createTempFile(Interop.targetDir(), "not-a-dir-", ".txt");
        IssuerProcess issuer = IssuerProcess.named("bad-dir").port(freePort())
                .env("ISSUER_DATA_DIR", file.resolve("data").toString()).startWithoutWaiting();
        assertEquals(1, issuer.awaitExit(EXIT_LIMIT).orElse(-1));
        String stderr = issuer.stderrText();
        assertTrue(stderr.startsWith("cannot start the issuer: ") && stderr.contains(file.toString()), stderr);
        assertNoStackTrace(stderr);
    }

    @Test
    void aDamagedKeyFileIsOneLineAndExitOne() throws Exception {
        IssuerProcess first = IssuerProcess.named("damaged-key").start();
        Path keyFile = first.dataDir().resolve("keys/signing-keys.json");
        first.stop();
        Files.writeString(keyFile, "{\"keys\": [", StandardCharsets.UTF_8);
        IssuerProcess again = first.relaunch().startWithoutWaiting();
        assertEquals(1, again.awaitExit(EXIT_LIMIT).orElse(-1));
        String stderr = again.stderrText();
        assertTrue(stderr.startsWith("cannot start the issuer: "), stderr);
        assertNoStackTrace(stderr);
    }

    @Test
    void healthAndVersionAnswerOnARunningNode() {
        try (IssuerProcess issuer = IssuerProcess.named("health").start()) {
            Http http = new Http();
            HttpResult live = http.get(java.net.URI.create(issuer.localBase() + "/health/live"), null).expect(200);
            assertEquals("UP", live.json().get("status"));
            HttpResult ready = http.get(java.net.URI.create(issuer.localBase() + "/health/ready"), null).expect(200);
            assertEquals("UP", ready.json().get("status"));
            assertEquals(Boolean.FALSE, ready.json().get("clustered"));
            Map<String, Object> version = http.get(java.net.URI.create(issuer.localBase() + "/version"), null).expect(200)
                    .json();
            assertEquals("0.1.0-SNAPSHOT", version.get("version"));
            assertTrue(String.valueOf(version.get("commit")).matches("[0-9a-f]{40}|unknown"), version.toString());
            assertTrue(issuer.stderrText().contains("agentid issuer 0.1.0-SNAPSHOT"), "the banner names the build");
        }
    }

    private static void assertNoStackTrace(String output) {
        for (String line : List.of(output.split("\n"))) {
            assertFalse(line.startsWith("\tat ") || line.contains("Exception in thread"),
                    "no stack trace in: " + output);
        }
        assertTrue(output.lines().count() <= 3, "one or two lines, got: " + output);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
