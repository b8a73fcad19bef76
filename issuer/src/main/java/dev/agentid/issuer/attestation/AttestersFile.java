package dev.agentid.issuer.attestation;

import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The trusted attesters, loaded from a JSON file ({@link TrustedAttesters}) and reloaded when the
 * file changes. A file that cannot be read or parsed at startup stops the issuer; a bad edit later is
 * logged and the previous attesters stay in force.
 */
public final class AttestersFile implements Supplier<TrustedAttesters> {

    private static final Logger LOG = Logger.getLogger(AttestersFile.class.getName());

    private final Path file;
    private final AtomicReference<TrustedAttesters> current;
    private volatile Stamp stamp;

    private record Stamp(long modifiedMillis, long size, Object key) {
    }

    private AttestersFile(Path file, TrustedAttesters initial, Stamp stamp) {
        this.file = file;
        this.current = new AtomicReference<>(initial);
        this.stamp = stamp;
    }

    /**
     * Loads the file.
     *
     * @throws IllegalArgumentException if it cannot be read or is not a valid attesters file
     */
    public static AttestersFile load(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            Stamp stamp = stamp(file);
            return new AttestersFile(file, TrustedAttesters.parse(Files.readString(file, StandardCharsets.UTF_8)),
                    stamp);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the attesters file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attesters file " + file + ": " + e.getMessage());
        }
    }

    /** A fixed set of attesters (no file). */
    public static Supplier<TrustedAttesters> fixed(TrustedAttesters attesters) {
        return () -> attesters;
    }

    @Override
    public TrustedAttesters get() {
        return current.get();
    }

    /** Polls the file for changes on a worker thread; the timer stops with the Vert.x instance. */
    public void watch(Vertx vertx, Duration interval) {
        vertx.setPeriodic(interval.toMillis(), id -> vertx.executeBlocking(() -> {
            reloadIfChanged();
            return null;
        }, false));
    }

    /** Re-reads the file if its modification time, size or identity changed; true when reloaded. */
    public boolean reloadIfChanged() {
        Stamp now;
        try {
            now = stamp(file);
        } catch (NoSuchFileException e) {
            LOG.warning("attesters file " + file + " is missing; keeping the trusted attesters "
                    + current.get().issuers());
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (now.equals(stamp)) {
            return false;
        }
        try {
            TrustedAttesters next = TrustedAttesters.parse(Files.readString(file, StandardCharsets.UTF_8));
            current.set(next);
            stamp = now;
            LOG.info("reloaded trusted attesters: " + next);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            stamp = now;   // do not retry a broken file until it changes again
            LOG.warning("attesters file " + file + " was not reloaded: " + e.getMessage());
            return false;
        }
    }

    private static Stamp stamp(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(attrs.lastModifiedTime().toMillis(), attrs.size(), attrs.fileKey());
    }
}
