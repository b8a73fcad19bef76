package dev.agentid.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs keys/target/keys.jar as its own process, the way an operator would. */
final class KeysCli {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private KeysCli() {
    }

    record Result(int exitCode, String output) {
    }

    /** {@code java -jar keys.jar <args...>}; output (both streams) is kept in target/keys-cli-N.log. */
    static Result run(String... args) {
        List<String> command = new ArrayList<>(List.of(Interop.javaExecutable(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", Interop.keysJar().toString()));
        command.addAll(List.of(args));
        try {
            Path log = Files.createDirectories(Interop.targetDir().resolve("issuer-logs"))
                    .resolve("keys-cli-" + SEQUENCE.incrementAndGet() + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("keys.jar " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
