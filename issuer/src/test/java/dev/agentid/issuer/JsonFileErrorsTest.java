package dev.agentid.issuer;

import dev.agentid.issuer.json.JsonSyntax;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A trust or attesters file with a JSON syntax error stops the real process (Main, in its own JVM) with its line and
 * column, in one or two lines, exit code 2, no stack trace.
 */
class JsonFileErrorsTest {

    @TempDir
    Path dir;

    /** Output and exit code of {@code java dev.agentid.issuer.Main} with the given ISSUER_* variables. */
    private record Run(int exitCode, String stderr) {
    }

    private Run start(String... env) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().keySet().removeIf(k -> k.startsWith("ISSUER_"));
        builder.environment().put("ISSUER_DATA_DIR", dir.resolve("data").toString());
        builder.environment().put("ISSUER_PORT", Integer.toString(freePort()));
        for (int i = 0; i < env.length; i += 2) {
            builder.environment().put(env[i], env[i + 1]);
        }
        Process process = builder.start();
        String stderr;
        try {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the issuer must exit");
            stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            process.destroyForcibly();
        }
        return new Run(process.exitValue(), stderr);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The lines of stderr that are not log records (those start with their ISO timestamp). */
    private static List<String> report(String stderr) {
        return stderr.lines().filter(l -> !l.matches("\\d{4}-\\d\\d-\\d\\dT.*")).toList();
    }

    private static void assertOneOrTwoLinesWithoutStackTrace(String stderr) {
        assertFalse(stderr.contains("\tat ") || stderr.contains("Exception"), stderr);
        assertTrue(report(stderr).size() <= 2, "one or two lines: " + stderr);
    }

    @Test
    void aTrustFileMissingABraceIsReportedWithLineAndColumnAndExitTwo() throws Exception {
        Path trust = dir.resolve("trust.json");
        Files.writeString(trust, "{\n  \"partners\": [\n    {\"issuer\": \"https://b.example\"\n  ]\n}\n");
        Run run = start("ISSUER_TRUST_FILE", trust.toString());
        assertEquals(2, run.exitCode(), run.stderr());
        assertEquals("cannot start the issuer: trust file " + trust + ": line 4, column 3: expected '}' before ']'",
                report(run.stderr()).get(0), run.stderr());
        assertOneOrTwoLinesWithoutStackTrace(run.stderr());
    }

    @Test
    void anAttestersFileThatEndsEarlyIsReportedWithLineAndColumnAndExitTwo() throws Exception {
        Path attesters = dir.resolve("attesters.json");
        Files.writeString(attesters, "{\n  \"attesters\": [\n");
        Run run = start("ISSUER_ATTESTERS_FILE", attesters.toString());
        assertEquals(2, run.exitCode(), run.stderr());
        assertEquals("cannot start the issuer: attesters file " + attesters + ": line 3, column 1: "
                + "expected ']' (the file ends inside an array)", report(run.stderr()).get(0), run.stderr());
        assertOneOrTwoLinesWithoutStackTrace(run.stderr());
    }

    @Test
    void syntaxErrorsNameTheirPlace() {
        assertEquals("line 3, column 1: expected '}' (the file ends inside an object)", message("{\n \"a\": 1\n"));
        assertEquals("line 1, column 10: expected '\"' to start a member name (a trailing comma, or a name without"
                + " quotes?)", message("{\"a\": 1, }"));
        assertEquals("line 2, column 2: expected ',' or '}' (a missing comma between members?)",
                message("{\"a\": 1\n \"b\": 2}"));
        assertEquals("line 1, column 1: the file is empty, expected a JSON object", message(""));
        JsonSyntax.check("{\"a\": [1, 2, {\"b\": null}]}");
    }

    private static String message(String json) {
        return assertThrows(IllegalArgumentException.class, () -> JsonSyntax.check(json)).getMessage();
    }
}
