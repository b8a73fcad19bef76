package dev.agentid.interop;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.net.URI;
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
 * Runs node/verify.mjs: panva/jose verifies tokens in a separate Node process that knows only the
 * issuer's metadata URL. Tokens go over standard input, never the command line.
 */
public final class NodeJose {

    private static final long TIMEOUT_SECONDS = 60;

    private NodeJose() {
    }

    /** One verdict of jose's jwtVerify. */
    public record Verdict(boolean ok, Map<String, Object> header, Map<String, Object> payload, String code) {

        @SuppressWarnings("unchecked")
        static Verdict of(Map<String, Object> line) {
            boolean ok = Boolean.TRUE.equals(line.get("ok"));
            return new Verdict(ok, (Map<String, Object>) line.get("header"),
                    (Map<String, Object>) line.get("payload"), (String) line.get("code"));
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> {
            Thread thread = new Thread(task, "node-verify-drain");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /** The verdicts for {@code tokens}, in order, with {@code audience} as the expected audience. */
    public static List<Verdict> verify(URI metadataUri, String audience, List<String> tokens) {
        Path module = Interop.baseDir();
        if (!Files.isDirectory(module.resolve("node_modules/jose"))) {
            throw new IllegalStateException("node_modules/jose is missing in " + module + ": run npm ci there");
        }
        ProcessBuilder builder = new ProcessBuilder(Interop.nodeExecutable(), "node/verify.mjs",
                metadataUri.toString(), audience)
                .directory(module.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE);
        try {
            Process node = builder.start();
            try (OutputStream stdin = node.getOutputStream()) {
                stdin.write((String.join("\n", tokens) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            // drain both pipes while the child runs, so that a chatty failure cannot block it
            CompletableFuture<String> out = drain(node.getInputStream());
            CompletableFuture<String> err = drain(node.getErrorStream());
            if (!node.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                throw new AssertionError("node verify.mjs did not finish within " + TIMEOUT_SECONDS + " s");
            }
            String output = out.join();
            if (node.exitValue() != 0) {
                throw new AssertionError("node verify.mjs exited with " + node.exitValue() + ": " + err.join());
            }
            List<Verdict> verdicts = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (!line.isBlank()) {
                    verdicts.add(Verdict.of(JSONObjectUtils.parse(line)));
                }
            }
            if (verdicts.size() != tokens.size()) {
                throw new AssertionError("node printed " + verdicts.size() + " verdicts for " + tokens.size() + " tokens");
            }
            return verdicts;
        } catch (IOException | ParseException e) {
            throw new AssertionError("could not run node verify.mjs", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
