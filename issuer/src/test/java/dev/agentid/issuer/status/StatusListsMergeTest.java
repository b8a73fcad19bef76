package dev.agentid.issuer.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.verifier.status.StatusList;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two status-list workers on one replicated state, as two nodes of a cluster are: each sets the bits of the tokens it
 * minted into the one stored list, so every write must merge into the list as stored now, whichever node wrote it
 * last, and never into the copy the worker itself wrote before.
 */
class StatusListsMergeTest {

    static final String ISSUER = "https://issuer.example";

    @TempDir
    Path dir;

    @Test
    void aNodeMergesIntoAListAnotherNodeWroteSinceItsOwnLastWrite() throws Exception {
        Clock clock = Clock.systemUTC();
        try (StateStore store = StateStore.start(dir.resolve("state"), clock)) {
            KeyStoreFile file = KeyStoreFile.in(dir.resolve("keys"));
            KeyService keys = new KeyService(file, file.loadOrCreate(clock), clock, ISSUER, Duration.ofHours(1),
                    Duration.ofSeconds(30), 5);
            try (StatusLists one = node(store, keys, clock, "node-1");
                 StatusLists two = node(store, keys, clock, "node-2")) {
                Instant expires = clock.instant().plus(Duration.ofHours(1));
                one.minted(root("one-a"), List.of("agent-a"), 1, expires);
                two.minted(root("two-b"), List.of("agent-b"), 2, expires);
                one.minted(root("one-c"), List.of("agent-c"), 3, expires);
                one.refresh();
                two.refresh();

                revoke(store, "one-a", expires);
                one.refresh();
                assertEquals(List.of(1), invalid(store), "node 1 wrote its bit");

                revoke(store, "two-b", expires);
                two.refresh();
                assertEquals(List.of(1, 2), invalid(store), "node 2 merged into node 1's list");

                // node 1's own last write no longer is the stored list: its next write must start from node 2's
                revoke(store, "one-c", expires);
                one.refresh();
                assertEquals(List.of(1, 2, 3), invalid(store), "node 1 merged into node 2's list");
                two.refresh();
                one.refresh();
                assertEquals(List.of(1, 2, 3), invalid(store), "forced re-signs keep every bit");
                assertTrue(one.writes() >= 2 && two.writes() >= 1, one.writes() + " / " + two.writes());
            }
        }
    }

    private static StatusLists node(StateStore store, KeyService keys, Clock clock, String self) {
        StatusLists lists = new StatusLists(ISSUER, keys, clock, StatusLists.DEFAULT_TTL, Duration.ofSeconds(30),
                Duration.ofHours(1), store.statusIndices(), new StatusLists.State(
                        store.sharedMap(StoreConfiguration.STATUS_LISTS), store.tokens(), store.agents(),
                        store.dataDir().resolve(self), self, () -> List.of("node-1", "node-2")));
        lists.start();
        return lists;
    }

    private static Lineage root(String jti) {
        return new Lineage(jti, List.of(), Instant.now(), List.of());
    }

    private static void revoke(StateStore store, String jti, Instant expires) throws Exception {
        store.tokens().revoke(jti, jti, expires).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The INVALID indices below 16 of list 0 as stored. */
    private static List<Integer> invalid(StateStore store) throws Exception {
        Object token = store.sharedMap(StoreConfiguration.STATUS_LISTS).get(StatusLists.listKey(0));
        Map<String, Object> claim = SignedJWT.parse((String) token).getJWTClaimsSet()
                .getJSONObjectClaim("status_list");
        StatusList bits = StatusList.decode((String) claim.get("lst"), 1, StatusLists.LIST_SIZE / 8);
        return java.util.stream.IntStream.range(0, 16).filter(i -> bits.status(i) == StatusList.INVALID).boxed()
                .toList();
    }
}
