package dev.agentid.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's walk-through, exactly as it stands in README.md, run twice in a row against a real issuer with
 * {@code bash -e -o pipefail}: it must succeed both times (fresh agent ids per run, keys under .walkthrough/), and
 * any refusal on the way fails it.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ReadmeWalkthroughIT {

    private static final String HEADING = "## Walk-through: register";

    @Test
    void theReadmeWalkthroughRunsTwiceInARow() throws Exception {
        Path root = Interop.baseDir().getParent();
        String script = walkthrough(Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8));
        Path walkthroughDir = root.resolve(".walkthrough");
        boolean existed = Files.exists(walkthroughDir);
        try (IssuerProcess issuer = IssuerProcess.named("walkthrough").adminToken(null).start()) {
            String forThisIssuer = replaceOnce(replaceOnce(script, "ISSUER=http://127.0.0.1:8080",
                    "ISSUER=" + issuer.issuer()), "ADMIN=$(cat data/admin-token)",
                    "ADMIN=$(cat " + issuer.dataDir().resolve("admin-token") + ")");
            for (int run = 1; run <= 2; run++) {
                String output = bash(root, forThisIssuer, run);
                assertTrue(output.contains("\"active\": true"), "run " + run + ": the exchanged token is active\n"
                        + output);
                assertTrue(output.contains("{\"active\":false}"), "run " + run + ": revoked\n" + output);
                assertTrue(output.contains("\"status\":\"killed\""), "run " + run + ": killed\n" + output);
                // the runs need a second apart: the run id is the time in seconds
                Interop.pause(java.time.Duration.ofMillis(1100));
            }
        } finally {
            if (!existed) {
                deleteTree(walkthroughDir);
            }
        }
    }

    /** The first sh block after the walk-through heading. */
    static String walkthrough(String readme) {
        int heading = readme.indexOf(HEADING);
        assertTrue(heading >= 0, "README.md has the walk-through");
        int start = readme.indexOf("```sh\n", heading) + "```sh\n".length();
        return readme.substring(start, readme.indexOf("```\n", start));
    }

    private static String replaceOnce(String text, String what, String with) {
        assertEquals(1, text.split(java.util.regex.Pattern.quote(what), -1).length - 1,
                "the walk-through has exactly one '" + what + "'");
        return text.replace(what, with);
    }

    private static String bash(Path root, String script, int run) throws IOException, InterruptedException {
        Path log = Interop.targetDir().resolve("walkthrough-run-" + run + ".log");
        Process process = new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", script)
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "run " + run + " finished within 120 s");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "run " + run + " of the walk-through failed:\n" + output);
        return output;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            List<Path> all = paths.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.delete(p);
            }
        }
    }
}
