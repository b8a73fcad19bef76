package dev.agentid.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/** Where things are (failsafe passes the paths as system properties) and bounded waiting. */
public final class Interop {

    private Interop() {
    }

    /** The interop-tests module directory. */
    public static Path baseDir() {
        return Path.of(System.getProperty("interop.basedir", ".")).toAbsolutePath().normalize();
    }

    /** The module's build directory (target/). */
    public static Path targetDir() {
        return Path.of(System.getProperty("interop.target", baseDir().resolve("target").toString()))
                .toAbsolutePath().normalize();
    }

    public static Path issuerJar() {
        return existing(System.getProperty("issuer.jar", baseDir().resolve("../issuer/target/issuer.jar").toString()));
    }

    public static Path keysJar() {
        return existing(System.getProperty("keys.jar", baseDir().resolve("../keys/target/keys.jar").toString()));
    }

    public static String nodeExecutable() {
        return System.getProperty("node.executable", "node");
    }

    /** The java launcher of the JVM running the tests, so that child processes use the same JDK. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path existing(String path) {
        Path p = Path.of(path).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " does not exist: build it first (mvn -pl issuer,keys -am package)");
        }
        return p;
    }

    /**
     * Polls {@code probe} every {@code interval} until it returns a non-null value, or fails after
     * {@code timeout}. For waiting on another process: this JVM's clock cannot be advanced for it.
     */
    public static <T> T await(String what, Duration timeout, Duration interval, Supplier<T> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            pause(interval);
        }
    }

    public static void pause(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        try {
            Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
