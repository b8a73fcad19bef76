package dev.agentid.issuer.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.infinispan.Cache;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;

/**
 * The issuer's state: an embedded Infinispan cache manager with the {@code agents}, {@code tokens}, {@code revoked} and
 * {@code replay} caches, persisted under {@code dataDir/infinispan/}. Every write is acknowledged only after it is on
 * disk, so a restart (or a crash) keeps everything acknowledged. One process per data directory.
 */
public final class StateStore implements AutoCloseable {

    /** Held strongly: java.util.logging keeps only weak references to loggers, which would drop the level. */
    private static final List<Logger> QUIETED = List.of(Logger.getLogger("org.infinispan"),
            Logger.getLogger("org.jgroups"));

    private final EmbeddedCacheManager cacheManager;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AgentRegistry agents;
    private final TokenStore tokens;
    private final ReplayCache replay;
    private boolean closed;

    private StateStore(EmbeddedCacheManager cacheManager, FileChannel lockChannel, FileLock lock, Clock clock) {
        this.cacheManager = cacheManager;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.agents = new InfinispanAgentRegistry(cacheManager.getCache(StoreConfiguration.AGENTS));
        Cache<String, TokenRecord> tokenCache = cacheManager.getCache(StoreConfiguration.TOKENS);
        Cache<String, Revocation> revokedCache = cacheManager.getCache(StoreConfiguration.REVOKED);
        this.tokens = new InfinispanTokenStore(tokenCache, revokedCache, clock);
        this.replay = new InfinispanReplayCache(cacheManager.getCache(StoreConfiguration.REPLAY), clock);
    }

    /** Opens (or creates) the state under {@code dataDir/infinispan/}. Blocking; call once, off the event loop. */
    public static StateStore start(Path dataDir) {
        return start(dataDir, Clock.systemUTC());
    }

    /**
     * As {@link #start(Path)}, with the clock that lifespans and expiry checks are computed from.
     *
     * @throws IllegalStateException if another process (or another store in this JVM) has the directory open
     */
    public static StateStore start(Path dataDir, Clock clock) {
        Objects.requireNonNull(clock, "clock");
        quietLogging();
        Path root = StoreConfiguration.root(dataDir);
        FileChannel lockChannel = null;
        FileLock lock = null;
        EmbeddedCacheManager cacheManager = null;
        try {
            Files.createDirectories(root);
            lockChannel = FileChannel.open(root.resolve("agentid.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("state directory is in use by another store: " + root);
            }
            cacheManager = new DefaultCacheManager(StoreConfiguration.global(root), true);
            for (String name : StoreConfiguration.CACHES) {
                cacheManager.defineConfiguration(name, StoreConfiguration.cache(root, name));
            }
            return new StateStore(cacheManager, lockChannel, lock, clock);
        } catch (IOException e) {
            release(cacheManager, lockChannel);
            throw new UncheckedIOException("cannot open state directory " + root, e);
        } catch (RuntimeException | Error e) {
            release(cacheManager, lockChannel);
            throw e;
        }
    }

    public AgentRegistry agents() {
        return agents;
    }

    public TokenStore tokens() {
        return tokens;
    }

    public ReplayCache replay() {
        return replay;
    }

    /** For tests in this package: the underlying caches. */
    EmbeddedCacheManager cacheManager() {
        return cacheManager;
    }

    /** Stops the caches (flushing the file stores) and releases the directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            cacheManager.stop();
        } finally {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it as well
            }
            release(null, lockChannel);
        }
    }

    private static void release(EmbeddedCacheManager cacheManager, FileChannel lockChannel) {
        if (cacheManager != null) {
            cacheManager.stop();
        }
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    /**
     * Infinispan and JGroups log through JBoss Logging, which falls back to java.util.logging on this class
     * path. Their INFO start-up chatter goes to WARNING unless a level was configured for them already.
     */
    private static void quietLogging() {
        for (Logger logger : QUIETED) {
            synchronized (logger) {
                if (logger.getLevel() == null) {
                    logger.setLevel(Level.WARNING);
                }
            }
        }
    }
}
