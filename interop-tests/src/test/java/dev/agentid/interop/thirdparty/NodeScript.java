package dev.agentid.interop.thirdparty;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.interop.Interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the scripts in node/ with the npm packages that package-lock.json pins. Secrets (keys,
 * tokens) go over standard input, never the command line; the script answers with JSON lines.
 */
final class NodeScript {

    private static final long TIMEOUT_SECONDS = 60;

    private final String script;

    private NodeScript(String script) {
        this.script = script;
    }

    /** {@code node/<name>}, which needs {@code node_modules/<requiredPackage>} (installed by npm ci). */
    static NodeScript of(String name, String requiredPackage) {
        Path module = Interop.baseDir();
        if (!Files.isDirectory(module.resolve("node_modules").resolve(requiredPackage))) {
            throw new IllegalStateException("node_modules/" + requiredPackage + " is missing in " + module
                    + ": run npm ci there (the build does it in generate-test-resources)");
        }
        return new NodeScript("node/" + name);
    }

    /** Runs the script with {@code args}, writes {@code stdin}, and parses every line it prints as JSON. */
    List<Map<String, Object>> run(String stdin, String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.nodeExecutable(), script));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Interop.baseDir().toFile());
        try {
            Process node = builder.start();
            // drain both pipes while the child runs, so that a chatty failure cannot block it
            CompletableFuture<String> out = drain(node.getInputStream());
            CompletableFuture<String> err = drain(node.getErrorStream());
            try (OutputStream in = node.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                throw new AssertionError(script + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            if (node.exitValue() != 0) {
                throw new AssertionError(script + " exited with " + node.exitValue() + ": " + masked(err.join()));
            }
            List<Map<String, Object>> lines = new ArrayList<>();
            for (String line : out.join().split("\n")) {
                if (!line.isBlank()) {
                    lines.add(JSONObjectUtils.parse(line));
                }
            }
            return lines;
        } catch (IOException | ParseException e) {
            throw new AssertionError("could not run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The script's error output with anything that looks like a JWT masked, for assertion messages. */
    private static String masked(String text) {
        return text.replaceAll("ey[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*", "<jwt>");
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> {
            Thread thread = new Thread(task, "node-script-drain");
            thread.setDaemon(true);
            thread.start();
        });
    }
}
