package dev.agentid.issuer.store;

import java.util.List;
import org.infinispan.AdvancedCache;
import org.infinispan.Cache;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.PartitionStatusChanged;
import org.infinispan.notifications.cachelistener.event.PartitionStatusChangedEvent;
import org.infinispan.partitionhandling.AvailabilityMode;
import org.infinispan.topology.CacheTopology;

/**
 * Whether this node may answer from its caches right now. Infinispan refuses reads and writes on the minority side of
 * a partition by itself (DENY_READ_WRITES, {@code AvailabilityException}). But once the partition heals, a node that
 * was on the minority side is AVAILABLE again while the cluster still reconciles the two sides (topology phase
 * CONFLICT_RESOLUTION), and until then it may miss what the majority wrote meanwhile (about 200 ms in
 * ClusteredStateStoreIT). So a node that has been degraded keeps refusing until its caches are AVAILABLE with no
 * conflict resolution or rebalance in progress. Nodes that stayed on the majority side are unaffected.
 */
final class Readiness {

    static final Readiness ALWAYS = new Readiness(List.of());

    private final List<AdvancedCache<?, ?>> caches;
    /** Set when a cache was seen degraded; cleared once every cache is settled again. */
    private volatile boolean recovering;

    private Readiness(List<AdvancedCache<?, ?>> caches) {
        this.caches = caches;
    }

    static Readiness of(List<? extends Cache<?, ?>> caches) {
        Readiness readiness = new Readiness(caches.stream().<AdvancedCache<?, ?>>map(Cache::getAdvancedCache).toList());
        for (Cache<?, ?> cache : caches) {
            cache.addListener(readiness.new DegradedListener());
        }
        return readiness;
    }

    /** Null if this node may answer, else why not. */
    StoreUnavailableException check() {
        boolean settled = true;
        for (AdvancedCache<?, ?> cache : caches) {
            if (cache.getAvailability() != AvailabilityMode.AVAILABLE) {
                recovering = true;
                return new StoreUnavailableException(StoreUnavailableException.NO_MAJORITY, null);
            }
            CacheTopology topology = cache.getDistributionManager().getCacheTopology();
            settled &= topology == null || topology.getPhase() == CacheTopology.Phase.NO_REBALANCE;
        }
        if (recovering) {
            if (!settled) {
                return new StoreUnavailableException(StoreUnavailableException.MERGING, null);
            }
            recovering = false;
        }
        return null;
    }

    @Listener(sync = true)
    public final class DegradedListener {

        @PartitionStatusChanged
        public void onPartitionStatus(PartitionStatusChangedEvent<?, ?> event) {
            if (event.getAvailabilityMode() != AvailabilityMode.AVAILABLE) {
                recovering = true;
            }
        }
    }
}
