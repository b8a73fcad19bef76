package dev.agentid.issuer.store;

import java.nio.file.Path;
import java.util.List;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfiguration;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.UncleanShutdownAction;

/**
 * The one place the Infinispan configuration lives. Local caches for now; clustering them means changing
 * {@link #CACHE_MODE} to {@code REPL_SYNC}/{@code DIST_SYNC} and starting from a clustered global builder (JGroups
 * TCP). Values are stored as Java objects in memory and marshalled with the ProtoStream schema ({@link StoreSchema})
 * for the file store and, later, the wire.
 */
final class StoreConfiguration {

    static final String AGENTS = "agents";
    static final String TOKENS = "tokens";
    static final String REVOKED = "revoked";
    static final String REPLAY = "replay";
    static final List<String> CACHES = List.of(AGENTS, TOKENS, REVOKED, REPLAY);

    static final CacheMode CACHE_MODE = CacheMode.LOCAL;

    /**
     * Segments per cache; the file store keeps one index file per segment. Infinispan's default, 256, means 1024 index
     * files and slow starts for four small caches; 32 still spreads a DIST cache over a handful of issuer nodes. The
     * persisted state records it: changing it needs a fresh data directory.
     */
    static final int SEGMENTS = 32;

    private StoreConfiguration() {
    }

    /** {@code dataDir/infinispan}: global state and one file store per cache. */
    static Path root(Path dataDir) {
        return dataDir.toAbsolutePath().resolve("infinispan");
    }

    static GlobalConfiguration global(Path root) {
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder();
        global.cacheContainer().name("agentid-issuer");
        global.globalState().enable()
                .persistentLocation(root.toString())
                // After a crash the default, FAIL, refuses to start (dangling global-state lock) and PURGE deletes
                // the state; SIFS recovers from its own log, so start. Local caches write no global state today
                // (checked on 16.1.4); this matters once the caches are clustered. StateStore's own lock keeps a
                // second process off the directory.
                .uncleanShutdownAction(UncleanShutdownAction.IGNORE);
        global.serialization().addContextInitializer(new StoreSchemaImpl());
        // Micrometer is not on the class path; with metrics on, every start warns ISPN000714.
        global.metrics().gauges(false).histograms(false);
        return global.build();
    }

    /**
     * Write-through SoftIndexFileStore with synchronous writes (a write completes only after its fsync), preloaded so
     * reads and misses are answered from memory.
     */
    static Configuration cache(Path root, String name) {
        ConfigurationBuilder cache = new ConfigurationBuilder();
        cache.clustering().cacheMode(CACHE_MODE).hash().numSegments(SEGMENTS);
        cache.encoding().mediaType(MediaType.APPLICATION_OBJECT_TYPE);
        cache.persistence()
                .passivation(false)
                .addSoftIndexFileStore()
                // SIFS appends "<cache name>/data" and "<cache name>/index" to these
                .dataLocation(root.toString())
                .indexLocation(root.toString())
                .syncWrites(true)
                .preload(true)
                .shared(false)
                .purgeOnStartup(false)
                .async().disable();
        return cache.build();
    }
}
