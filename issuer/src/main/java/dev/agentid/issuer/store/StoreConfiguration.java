package dev.agentid.issuer.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.infinispan.AdvancedCache;
import org.infinispan.Cache;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfiguration;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.UncleanShutdownAction;
import org.infinispan.conflict.MergePolicy;
import org.infinispan.context.Flag;
import org.infinispan.partitionhandling.PartitionHandling;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;

/**
 * The one place the Infinispan configuration lives. Without {@link ClusterSettings} every cache is LOCAL (one node,
 * as before clustering); with them the cache manager joins a JGroups TCP cluster (stack:
 * {@code agentid-jgroups-tcp.xml}, plus encryption and member authentication keyed by the cluster secret: see
 * {@link ClusterChannel}). Each cache has a {@link Kind}: durable, replicated state (every node persists it in its
 * own SoftIndexFileStore with fsync'd writes), or in-memory single-use marks. Values are Java objects in memory,
 * marshalled with the ProtoStream
 * schema ({@link StoreSchema}) for the file store and the wire. The choices are explained in docs/CLUSTER.md.
 *
 * <p>Adding a cache (e.g. for status lists): add its name to {@link #CACHES} with a {@link Kind}, put its value type in
 * {@link StoreSchema} (or use a type ProtoStream knows: String, Long, byte[], ...), and obtain it with
 * {@link StateStore#cache(String)}. Every cache in {@link #CACHES} is defined at start, so all nodes agree on it.
 */
public final class StoreConfiguration {

    static final String AGENTS = "agents";
    static final String REVOKED = "revoked";
    public static final String REPLAY = "replay";
    /** The cluster's signing key file (one entry); only used when clustered. */
    static final String KEYS = "keys";
    /** Status-list index allocation: list name to the next free index (see {@link IndexAllocator}). */
    public static final String STATUS_ALLOC = "status-alloc";
    /** Status list tokens as served (list name to the signed JWT) and the revocation generation (see StatusLists). */
    public static final String STATUS_LISTS = "status-lists";
    /**
     * Requests held for a human's approval (profile section 6.13): auth_req_id to the request's JSON, each entry
     * expiring a while after its request (see approval.Approvals). Replicated and persisted, so that another node, or
     * this one after a restart, answers the poll and the approver.
     */
    public static final String APPROVALS = "approvals";
    /** Behavioural monitoring: each node's recent per-agent counts, and the claims of alert responses. */
    public static final String MONITOR = "monitor";
    /** Lifecycle governance: offboarded owners, access reviews (lifecycle package). */
    public static final String GOVERNANCE = "governance";
    static final List<String> CACHES = List.of(AGENTS, REVOKED, REPLAY, KEYS, STATUS_ALLOC, STATUS_LISTS, APPROVALS,
            MONITOR, GOVERNANCE);

    /** How a cache is kept: one kind per kind of data, with its reasons in docs/CLUSTER.md. */
    public enum Kind {
        /**
         * What an operator or a revocation creates: on every node (LOCAL alone, {@code REPL_SYNC} in a cluster: a write
         * completes after every member has it), persisted on each node with fsync'd writes, reads and writes refused
         * on the minority side of a partition.
         */
        REPLICATED_PERSISTENT,
        /**
         * Single-use marks of client assertions, DPoP proofs, attestation PoPs and chain grants: in memory only, never
         * fsync'd, expiring with the proof they mark. Clustered: {@code DIST_SYNC} with {@link #REPLAY_OWNERS} owners,
         * so a mark costs two members' memory, not every member's, and survives the crash of any one node.
         */
        DISTRIBUTED_MEMORY,
        /**
         * Behavioural monitoring's per-node counts of the last two minutes (one entry per node, rewritten every
         * second) and its claims of alert responses: on every node ({@code REPL_SYNC}), in memory only, never
         * fsync'd. Lost at a full restart, which costs the detectors two minutes of history, nothing else.
         */
        REPLICATED_MEMORY,
        /**
         * Per-token facts a node needs only for the tokens it minted itself: the status lists' index of live tokens
         * ({@code status.MintedIndex}, primitive columns in the heap) and its crash log ({@code status.MintedLog},
         * {@code DATA_DIR/minted}, appended without fsync). Never replicated, never in an Infinispan cache: a cache
         * entry per token costs more heap than the whole row, and no other node reads it.
         */
        LOCAL
    }

    /** Owners of each single-use mark in a cluster: any one node may crash without losing a mark. */
    static final int REPLAY_OWNERS = 2;

    /** The kind of each cache in {@link #CACHES}. */
    static Kind kind(String name) {
        return REPLAY.equals(name) ? Kind.DISTRIBUTED_MEMORY
                : MONITOR.equals(name) ? Kind.REPLICATED_MEMORY : Kind.REPLICATED_PERSISTENT;
    }

    /**
     * Segments per cache; the file store keeps one index file per segment. Infinispan's default, 256, means 1024 index
     * files and slow starts for four small caches; 32 still spreads a DIST cache over a handful of issuer nodes. The
     * persisted state records it: changing it needs a fresh data directory.
     */
    static final int SEGMENTS = 32;

    /** How often Infinispan's reaper purges expired entries from memory (not the replay marks: {@link ReplayReaper}). */
    static final long EXPIRATION_WAKE_UP_SECONDS = 10;

    /** How long a clustered write waits for every member's acknowledgement; more than failure detection needs. */
    static final long REMOTE_TIMEOUT_MILLIS = 15_000;

    /** How long a joining node waits for the state of the running members. */
    static final long STATE_TRANSFER_TIMEOUT_MILLIS = 60_000;

    static final String JGROUPS_TEMPLATE = "agentid-jgroups-tcp.xml";

    private StoreConfiguration() {
    }

    /** {@code dataDir/infinispan}: global state and one file store per cache. */
    static Path root(Path dataDir) {
        return dataDir.toAbsolutePath().resolve("infinispan");
    }

    static GlobalConfiguration global(Path root) {
        return global(root, null);
    }

    /** The cache manager: local if {@code cluster} is null, else a JGroups TCP member of {@code cluster}. */
    static GlobalConfiguration global(Path root, ClusterSettings cluster) {
        GlobalConfigurationBuilder global = cluster == null ? new GlobalConfigurationBuilder()
                : GlobalConfigurationBuilder.defaultClusteredBuilder();
        global.cacheContainer().name("agentid-issuer");
        global.globalState().enable()
                .persistentLocation(root.toString())
                // After a crash the default, FAIL, refuses to start (dangling global-state lock) and PURGE deletes
                // the state; SIFS recovers from its own log, so start. StateStore's own lock keeps a second process
                // off the directory.
                .uncleanShutdownAction(UncleanShutdownAction.IGNORE);
        global.serialization().addContextInitializer(new StoreSchemaImpl());
        // Micrometer is not on the class path; with metrics on, every start warns ISPN000714.
        global.metrics().gauges(false).histograms(false);
        if (cluster != null) {
            global.transport()
                    .clusterName(cluster.clusterName())
                    .nodeName(cluster.bind().toString())
                    // a node starts only once it sees a majority of the member list: one that is cut off from the
                    // others at start never forms a cluster of its own and serves its (possibly stale) data
                    .initialClusterSize(cluster.majority())
                    .initialClusterTimeout(cluster.startTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    // the stack of agentid-jgroups-tcp.xml plus encryption and member authentication (ClusterChannel)
                    .addProperty(JGroupsTransport.CHANNEL_CONFIGURATOR,
                            new ClusterChannel(cluster, jgroupsXml(cluster), new ClusterRefusals()));
        }
        return global.build();
    }

    /**
     * The JGroups stack of {@code agentid-jgroups-tcp.xml} with this node's address, port and member list filled in
     * (here, not through JVM system properties, so that several nodes can run in one JVM in tests).
     */
    static String jgroupsXml(ClusterSettings cluster) {
        String template;
        try (InputStream in = StoreConfiguration.class.getClassLoader().getResourceAsStream(JGROUPS_TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException(JGROUPS_TEMPLATE + " is missing from the class path");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + JGROUPS_TEMPLATE, e);
        }
        return template
                .replace("@BIND_ADDR@", xml(cluster.bind().host()))
                .replace("@BIND_PORT@", Integer.toString(cluster.bind().port()))
                .replace("@INITIAL_HOSTS@", xml(cluster.initialHosts()))
                .replace("@FD_OFFSET@", Integer.toString(ClusterSettings.FD_SOCK_OFFSET));
    }

    private static String xml(String value) {
        return value.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /**
     * The handle to read {@code cache} with: memory only, never the store. Every cache here either has no store or is
     * preloaded, without eviction and without passivation, and written through synchronously, so memory holds every
     * entry the store holds and a key missing from memory is missing from the store too. Without the flag, Infinispan
     * looks every miss up in the SoftIndexFileStore anyway (it has no notion of "fully preloaded"): a hop to its
     * blocking pool and back for each key that is not there, which is the common case on the request path (an
     * ancestor that is not revoked).
     */
    static <K, V> AdvancedCache<K, V> reads(Cache<K, V> cache) {
        return cache.getAdvancedCache().withFlags(Flag.SKIP_CACHE_LOAD);
    }

    static Configuration cache(Path root, String name) {
        return cache(root, name, false);
    }

    /**
     * {@link Kind#DISTRIBUTED_MEMORY}: memory only, {@code DIST_SYNC} with two owners when clustered.
     * {@link Kind#REPLICATED_PERSISTENT}: write-through SoftIndexFileStore with synchronous writes (a write completes only after its fsync), preloaded so
     * reads and misses are answered from memory. Clustered: {@code REPL_SYNC}, every node holds every entry and a write
     * completes once all members have it; on the minority side of a partition reads and writes fail with
     * {@code AvailabilityException} (DENY_READ_WRITES); after a merge entries present on either side are kept
     * (PREFERRED_NON_NULL), so no revocation is dropped.
     */
    static Configuration cache(Path root, String name, boolean clustered) {
        Kind kind = Objects.requireNonNull(kind(name));
        ConfigurationBuilder cache = new ConfigurationBuilder();
        if (clustered) {
            if (kind == Kind.DISTRIBUTED_MEMORY) {
                cache.clustering().cacheMode(CacheMode.DIST_SYNC).hash().numOwners(REPLAY_OWNERS);
            } else {
                cache.clustering().cacheMode(CacheMode.REPL_SYNC);
            }
            cache.clustering()
                    .remoteTimeout(REMOTE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .hash().numSegments(SEGMENTS);
            cache.clustering().partitionHandling()
                    .whenSplit(PartitionHandling.DENY_READ_WRITES)
                    .mergePolicy(MergePolicy.PREFERRED_NON_NULL);
            cache.clustering().stateTransfer()
                    .fetchInMemoryState(true)
                    .awaitInitialTransfer(true)
                    .timeout(STATE_TRANSFER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            cache.clustering().cacheMode(CacheMode.LOCAL).hash().numSegments(SEGMENTS);
        }
        cache.encoding().mediaType(MediaType.APPLICATION_OBJECT_TYPE);
        // expired entries are removed in the background too, not only when they are next read: by Infinispan's reaper,
        // except for the single-use marks, whose reaper is ReplayReaper (no full scan, no hand-off or message per mark)
        cache.expiration().wakeUpInterval(EXPIRATION_WAKE_UP_SECONDS, TimeUnit.SECONDS)
                .reaperEnabled(kind != Kind.DISTRIBUTED_MEMORY);
        if (kind == Kind.DISTRIBUTED_MEMORY || kind == Kind.REPLICATED_MEMORY) {
            return cache.build();
        }
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
