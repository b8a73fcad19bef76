package dev.agentid.issuer.monitor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
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
            Counters node = new ClusterCounters(new Retried(store.sharedMap(StoreConfiguration.MONITOR)), "node-1",
                    () -> List.of("node-1"));
            node.exchange(1_000);
            assertTrue(node.firstInCluster("alpha", "audience", "https://rare.example"));
            assertFalse(node.firstInCluster("alpha", "audience", "https://rare.example"),
                    "the node took its own earlier sighting for a retry of this one");
            assertTrue(node.claim("alpha burst"));
            assertFalse(node.claim("alpha burst"), "the node took its own earlier claim for a retry of this one");
        }
    }

    /** A shared map whose every conditional write behaves as Infinispan's retried write does. */
    private record Retried(SharedMap<String, String> map) implements SharedMap<String, String> {

        @Override
        public boolean putIfAbsent(String key, String value) {
            String present = map.get(key);
            return present == null ? map.putIfAbsent(key, value) : present.equals(value);
        }

        @Override
        public boolean replace(String key, String expected, String value) {
            String present = map.get(key);
            return value.equals(present) || map.replace(key, expected, value);
        }

        @Override
        public String get(String key) {
            return map.get(key);
        }

        @Override
        public void remove(String key) {
            map.remove(key);
        }

        @Override
        public Future<String> getAsync(String key) {
            return map.getAsync(key);
        }

        @Override
        public Future<Void> putAsync(String key, String value) {
            return map.putAsync(key, value);
        }

        @Override
        public Future<Void> putIfAbsentAsync(String key, String value) {
            return map.putIfAbsentAsync(key, value);
        }

        @Override
        public Future<Boolean> putIfAbsentAsync(String key, String value, Duration lifespan) {
            return map.putIfAbsentAsync(key, value, lifespan);
        }

        @Override
        public Future<Boolean> replaceAsync(String key, String expected, String value, Duration lifespan) {
            return map.replaceAsync(key, expected, value, lifespan);
        }

        @Override
        public Set<String> localKeys() {
            return map.localKeys();
        }

        @Override
        public Collection<String> localValues() {
            return map.localValues();
        }
    }
}
