package dev.agentid.issuer.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.issuer.store.ForwardingSharedMap;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First sightings and alert claims when every write is one Infinispan retried after a topology change: a retried
 * put-if-absent or compare-and-set succeeds when it finds the value it writes (docs/CLUSTER.md, "Conditional writes
 * survive a retry"), so a node must never write the same value twice.
 */
class ClusterCountersTest {

    @TempDir
    Path dir;

    @Test
    void aSightingOrAClaimRetriedAfterATopologyChangeDoesNotWinTwice() {
        try (StateStore store = StateStore.start(dir)) {
            Counters node = new ClusterCounters(new Shared(store.sharedMap(StoreConfiguration.MONITOR), true, 0),
                    "node-1", () -> List.of("node-1"));
            node.exchange(1_000);
            assertTrue(node.firstInCluster("alpha", "audience", "https://rare.example"));
            assertFalse(node.firstInCluster("alpha", "audience", "https://rare.example"),
                    "the node took its own earlier sighting for a retry of this one");
            assertTrue(node.claim("alpha burst"));
            assertFalse(node.claim("alpha burst"), "the node took its own earlier claim for a retry of this one");
        }
    }

    /** Counts whose publication failed (the store refused it for a moment) are published at the next exchange. */
    @Test
    void countsWhosePublicationFailedArePublishedAgain() {
        try (StateStore store = StateStore.start(dir)) {
            SharedMap<String, String> map = store.sharedMap(StoreConfiguration.MONITOR);
            List<String> nodes = List.of("node-1", "node-2");
            Counters one = new ClusterCounters(new Shared(map, false, 1), "node-1", () -> nodes);
            Counters two = new ClusterCounters(map, "node-2", () -> nodes);
            one.add("alpha", Counters.Metric.ISSUED, 1_000);
            one.exchange(1_000);   // refused
            one.exchange(1_000);   // the same counts, again
            two.exchange(1_000);
            assertEquals(1, two.sum("alpha", Counters.Metric.ISSUED, 990, 1_000), "node-2 sees node-1's token");
        }
    }

    /**
     * A shared map that, with {@code retried}, makes every conditional write behave as Infinispan's retried write does,
     * and fails its first {@code failedPuts} puts.
     */
    private static final class Shared extends ForwardingSharedMap<String, String> {

        private final boolean retried;
        private int failedPuts;

        Shared(SharedMap<String, String> map, boolean retried, int failedPuts) {
            super(map);
            this.retried = retried;
            this.failedPuts = failedPuts;
        }

        @Override
        public boolean putIfAbsent(String key, String value) {
            String present = map.get(key);
            return present == null || !retried ? map.putIfAbsent(key, value) : present.equals(value);
        }

        @Override
        public boolean replace(String key, String expected, String value) {
            return retried && value.equals(map.get(key)) || map.replace(key, expected, value);
        }

        @Override
        public Future<Void> putAsync(String key, String value) {
            if (failedPuts > 0) {
                failedPuts--;
                return Future.failedFuture(new IllegalStateException("the store refuses writes for a moment"));
            }
            return map.putAsync(key, value);
        }
    }
}
