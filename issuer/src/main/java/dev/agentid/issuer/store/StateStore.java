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
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;
import dev.agentid.keys.KeyStoreFile;
import io.vertx.core.Future;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.infinispan.Cache;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;

/**
 * The issuer's state: an embedded Infinispan cache manager with the {@code agents}, {@code revoked}, {@code replay},
 * {@code keys} and status-list caches (no cache holds anything per issued token), persisted under {@code dataDir/infinispan/}. Every write is acknowledged only after it is on
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
    private final ReplayStore replay;
    private final IndexAllocator statusIndices;
    private final boolean clustered;
    private final ClusterSettings cluster;
    private final ScheduledExecutorService permissions;
    private final ReplayReaper replayReaper;
    private final Path dataDir;
    private final Readiness ready;
    private boolean closed;

    private StateStore(EmbeddedCacheManager cacheManager, FileChannel lockChannel, FileLock lock, Clock clock,
                       ClusterSettings cluster, Path dataDir, ScheduledExecutorService permissions) {
        this.cacheManager = cacheManager;
        this.dataDir = dataDir;
        this.cluster = cluster;
        this.clustered = cluster != null;
        this.permissions = permissions;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.ready = clustered ? Readiness.of(StoreConfiguration.CACHES.stream()
                .<Cache<?, ?>>map(cacheManager::getCache).toList()) : Readiness.ALWAYS;
        this.agents = new InfinispanAgentRegistry(cacheManager.getCache(StoreConfiguration.AGENTS), ready);
        Cache<String, Revocation> revokedCache = cacheManager.getCache(StoreConfiguration.REVOKED);
        this.tokens = new InfinispanTokenStore(revokedCache, clock, ready);
        Cache<String, Long> replayCache = cacheManager.getCache(StoreConfiguration.REPLAY);
        this.replay = new InfinispanReplayStore(replayCache, clock, ready);
        this.replayReaper = new ReplayReaper(replayCache, StoreConfiguration.SEGMENTS).start();
        this.statusIndices = new InfinispanIndexAllocator(cacheManager.getCache(StoreConfiguration.STATUS_ALLOC),
                ready);
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
        return start(dataDir, clock, null);
    }

    /**
     * As {@link #start(Path, Clock)}; with {@code cluster} non-null the node joins that cluster (JGroups TCP, every
     * cache {@code REPL_SYNC}) and returns once it holds the cluster's state. See docs/CLUSTER.md.
     *
     * @param cluster null for a single node (local caches)
     */
    public static StateStore start(Path dataDir, Clock clock, ClusterSettings cluster) {
        Objects.requireNonNull(clock, "clock");
        quietLogging();
        Path root = StoreConfiguration.root(dataDir);
        FileChannel lockChannel = null;
        FileLock lock = null;
        EmbeddedCacheManager cacheManager = null;
        try {
            DataDirectory.secure(dataDir);
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
            boolean clustered = cluster != null;
            cacheManager = new DefaultCacheManager(StoreConfiguration.global(root, cluster), false);
            for (String name : StoreConfiguration.CACHES) {
                cacheManager.defineConfiguration(name, StoreConfiguration.cache(root, name, clustered));
            }
            cacheManager.start();
            // start every cache now, in one order on every node, so that a joiner has all the state before serving
            cacheManager.startCaches(StoreConfiguration.CACHES.toArray(new String[0]));
            // the file stores created their files under the process umask: owner-only now, and again periodically
            DataDirectory.secure(dataDir);
            StateStore store = new StateStore(cacheManager, lockChannel, lock, clock, cluster, dataDir,
                    DataDirectory.keepPrivate(dataDir));
            if (clustered) {
                store.awaitAvailable(cluster.startTimeout());
            }
            return store;
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

    public ReplayStore replay() {
        return replay;
    }

    /** Status-list index allocation, unique across the cluster and restarts. */
    public IndexAllocator statusIndices() {
        return statusIndices;
    }

    /**
     * A cache declared in {@link StoreConfiguration#CACHES}, configured by its {@link StoreConfiguration.Kind}
     * (replicated and persisted when clustered). Its value type must be in {@link StoreSchema} or known to ProtoStream.
     * Wrap Infinispan's completion stages with Vert.x futures (see {@code Async}); failures that mean "no majority"
     * surface as {@code AvailabilityException} and map to 503 in the HTTP layer.
     *
     * @throws IllegalArgumentException for a name not in {@link StoreConfiguration#CACHES}
     */
    public <K, V> Cache<K, V> cache(String name) {
        if (!StoreConfiguration.CACHES.contains(name)) {
            throw new IllegalArgumentException("no such cache: " + name + " (declare it in StoreConfiguration.CACHES)");
        }
        return cacheManager.getCache(name);
    }

    /** A cache of {@link StoreConfiguration#CACHES} as a {@link SharedMap}, with this node's readiness check. */
    public <K, V> SharedMap<K, V> sharedMap(String name) {
        return new InfinispanSharedMap<>(cache(name), ready);
    }

    /**
     * Runs a non-blocking call on a cache from {@link #cache(String)} the way the built-in stores do: refused at once
     * with {@link StoreUnavailableException} when this node may not answer (minority side of a partition, or the
     * cluster reconciling after one), the result on the caller's Vert.x context, and Infinispan's "cannot answer now"
     * failures translated to {@link StoreUnavailableException} (which the HTTP layer answers with 503).
     */
    public <T> Future<T> guarded(Supplier<? extends CompletionStage<T>> call) {
        return Async.call(ready, call);
    }

    /** Throws {@link StoreUnavailableException} if this node may not answer from its caches right now. */
    public void requireAvailable() {
        StoreUnavailableException unavailable = ready.check();
        if (unavailable != null) {
            throw unavailable;
        }
    }

    /**
     * Blocks until this node may answer from its caches: a node that joins a survivor whose caches are still degraded
     * (its peers crashed) waits until the survivor and it form a majority again, instead of failing on its first
     * write. Startup thread only.
     */
    private void awaitAvailable(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        StoreUnavailableException unavailable;
        while ((unavailable = ready.check()) != null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster's state did not become available within " + limit + ": "
                        + unavailable.description());
            }
            try {
                Thread.sleep(AVAILABILITY_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster's state", e);
            }
        }
    }

    private static final long AVAILABILITY_POLL_MILLIS = 100;

    /** Entries of {@code cache} held in this node's memory (not a cluster-wide count); for gauges. */
    public long localEntries(String cache) {
        return cacheManager.getCache(cache).getAdvancedCache().getDataContainer().sizeIncludingExpired();
    }

    /** Whether this node is a member of a cluster (else it runs alone on local caches). */
    public boolean clustered() {
        return clustered;
    }

    /**
     * The signing key file shared through the {@code keys} cache, or empty when not clustered (a single node uses its
     * key file alone, as before).
     */
    public Optional<ReplicatedKeyFile> replicatedKeys(KeyStoreFile file) {
        if (!clustered) {
            return Optional.empty();
        }
        return Optional.of(new ReplicatedKeyFile(cacheManager.getCache(StoreConfiguration.KEYS), file,
                KeyFileSeal.of(cluster)));
    }

    /** The cluster members this node currently sees (itself included); just itself when not clustered. */
    public List<String> members() {
        if (!clustered) {
            return List.of("local");
        }
        return cacheManager.getMembers().stream().map(Object::toString).toList();
    }

    /** This node's name in the cluster ({@code "local"} when not clustered). */
    public String self() {
        return clustered ? cacheManager.getAddress().toString() : "local";
    }

    /** The data directory this store was opened on. */
    public Path dataDir() {
        return dataDir;
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
        permissions.shutdownNow();
        replayReaper.close();
        try {
            cacheManager.stop();
            // the file stores write their indexes and the global state at stop: owner-only as well
            try {
                DataDirectory.secure(dataDir);
            } catch (DataDirectory.NotPrivateException e) {
                java.util.logging.Logger.getLogger(StateStore.class.getName()).warning(e.getMessage());
            }
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
