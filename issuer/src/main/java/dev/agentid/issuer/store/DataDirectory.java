package dev.agentid.issuer.store;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps {@code DATA_DIR} owner-only: the directory and every directory under it 0700, every file 0600. The data
 * directory holds the signing keys, the admin token and the persisted caches (agents, tokens, revocations); an
 * existing directory created 0755, or files the cache store creates under the process umask (0644), would otherwise
 * be readable by every local user. {@link #secure} runs at start (and refuses the start if it cannot); {@link
 * #keepPrivate} re-tightens periodically on its own daemon thread, for files created later (never on an event loop).
 * Symbolic links inside the directory are neither followed nor changed.
 */
public final class DataDirectory {

    private static final Logger LOG = Logger.getLogger(DataDirectory.class.getName());
    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** How often {@link #keepPrivate} re-tightens. */
    static final long RECHECK_SECONDS = 10;

    private DataDirectory() {
    }

    /** Thrown when the data directory cannot be made private; the message is one line for the operator. */
    public static final class NotPrivateException extends IllegalStateException {
        NotPrivateException(String message) {
            super(message);
        }
    }

    /**
     * Creates {@code dir} (0700) if it is missing, then sets every directory in it to 0700 and every file to 0600.
     *
     * @return how many entries had to be tightened
     * @throws NotPrivateException if that fails (e.g. the directory belongs to another user)
     */
    public static int secure(Path dir) {
        if (!posix(dir)) {
            try {
                Files.createDirectories(dir);
                return 0;
            } catch (IOException e) {
                throw new NotPrivateException("cannot create the data directory " + dir + ": " + e.getMessage());
            }
        }
        try {
            if (!Files.exists(dir)) {
                Files.createDirectories(dir);
            }
            if (!Files.isDirectory(dir)) {
                throw new NotPrivateException("the data directory " + dir + " is not a directory");
            }
            int[] changed = {0};
            Files.walkFileTree(dir.toRealPath(), new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    changed[0] += tighten(d, DIRECTORY);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isRegularFile() || attrs.isOther()) {
                        changed[0] += tighten(f, FILE);
                    }
                    return FileVisitResult.CONTINUE;   // links: not followed, not changed
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;   // removed meanwhile (a compacted cache file)
                    }
                    throw e;
                }
            });
            return changed[0];
        } catch (NotPrivateException e) {
            throw e;
        } catch (FileSystemException e) {
            throw new NotPrivateException("cannot make the data directory " + dir + " private (0700 directories,"
                    + " 0600 files): " + e.getFile() + ": " + (e.getReason() == null ? e.getClass().getSimpleName()
                    : e.getReason()));
        } catch (IOException e) {
            throw new NotPrivateException("cannot make the data directory " + dir + " private (0700 directories,"
                    + " 0600 files): " + e.getMessage());
        }
    }

    private static int tighten(Path path, Set<PosixFilePermission> wanted) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> current;
        try {
            current = view.readAttributes().permissions();
        } catch (NoSuchFileException e) {
            return 0;
        }
        // only ever remove bits: a 0400 file stays 0400
        Set<PosixFilePermission> target = java.util.EnumSet.noneOf(PosixFilePermission.class);
        target.addAll(current);
        target.retainAll(wanted);
        if (wanted == DIRECTORY) {
            target.addAll(DIRECTORY);   // the owner must be able to use its own directories
        }
        if (target.equals(current)) {
            return 0;
        }
        try {
            view.setPermissions(target);
        } catch (NoSuchFileException e) {
            return 0;
        }
        return 1;
    }

    /**
     * Re-runs {@link #secure} every {@value #RECHECK_SECONDS} seconds on a daemon thread until the returned executor
     * is shut down; failures are logged, not thrown (the files already written stay as tight as they were).
     */
    public static ScheduledExecutorService keepPrivate(Path dir) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "data-dir-permissions");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                int changed = secure(dir);
                if (changed > 0) {
                    LOG.fine("tightened " + changed + " new entries in " + dir + " to owner-only");
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot keep the data directory private: " + e.getMessage());
            }
        }, RECHECK_SECONDS, RECHECK_SECONDS, TimeUnit.SECONDS);
        return timer;
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
