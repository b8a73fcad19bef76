package dev.agentid.issuer.status;

import static dev.agentid.issuer.store.Await.await;
import static dev.agentid.issuer.store.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.store.ForwardingSharedMap;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.verifier.status.StatusList;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two status-list workers on one replicated state, as two nodes of a cluster are: each sets the bits of the tokens it
 * minted into the one stored list, so every write must merge into the list as stored now, whichever node wrote it
 * last, and never into the copy the worker itself wrote before; a write that fails must leave its bits to be
 * written again; and a node that stops must not lose the tokens it minted last.
 */
class StatusListsMergeTest {

    static final String ISSUER = "https://issuer.example";

    @TempDir
    Path dir;

    @Test
    void aNodeMergesIntoAListAnotherNodeWroteSinceItsOwnLastWrite() throws Exception {
        Clock clock = Clock.systemUTC();
        try (StateStore store = StateStore.start(dir.resolve("state"), clock)) {
            KeyService keys = keys(clock);
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

    /**
     * A write whose compare-and-set fails (the store refuses it for a moment) leaves the worker's copy holding bits no
     * stored list has; the next tick must write them from the stored list, not take its copy for the stored one and
     * drop them as already set (they would then wait for the list's next scheduled re-sign, 30 s later).
     */
    @Test
    void aBitWhoseWriteFailedIsWrittenOnTheNextTick() throws Exception {
        Clock clock = Clock.systemUTC();
        try (StateStore store = StateStore.start(dir.resolve("state"), clock)) {
            KeyService keys = keys(clock);
            Refusing map = new Refusing(store.sharedMap(StoreConfiguration.STATUS_LISTS));
            try (StatusLists one = node(store, map, keys, clock, "node-1")) {
                Instant expires = clock.instant().plus(Duration.ofHours(1));
                one.minted(root("one-a"), List.of("agent-a"), 1, expires);
                one.minted(root("one-c"), List.of("agent-c"), 3, expires);
                revoke(store, "one-a", expires);
                one.refresh();
                assertEquals(List.of(1), invalid(store));

                map.refuseNextReplace.set(true);
                revoke(store, "one-c", expires);   // no refresh: the worker's own ticks write it
                assertTrue(eventually(Duration.ofSeconds(5), () -> invalid(store).equals(List.of(1, 3))),
                        "the refused bit is written by a later tick: " + invalid(store));
                assertFalse(map.refuseNextReplace.get(), "the write was refused once");
                assertTrue(one.lostWrites() == 0, "a refused write is not a lost race");
            }
        }
    }

    /**
     * A node stopped within the worker's 10 ms tick of answering a token request (the HTTP server closes first, then the
     * status lists) still has that token in its crash log, so that a revocation or kill after the restart sets its bit.
     * Before, the stop dropped whatever the request path had queued for the worker, and partners were never told.
     */
    @Test
    void aTokenMintedJustBeforeAStopIsIndexedAgainAfterTheRestart() throws Exception {
        Clock clock = Clock.systemUTC();
        try (StateStore store = StateStore.start(dir.resolve("state"), clock)) {
            KeyService keys = keys(clock);
            Instant expires = clock.instant().plus(Duration.ofHours(1));
            try (StatusLists one = node(store, keys, clock, "node-1")) {
                one.refresh();   // the worker has run its first pass; the token is queued behind nothing
                one.minted(root("one-a"), List.of("agent-a"), 1, expires);
            }   // stopped at once, before the worker's next tick
            try (StatusLists again = node(store, keys, clock, "node-1")) {
                revoke(store, "one-a", expires);
                again.refresh();
                assertEquals(List.of(1), invalid(store), "the token minted before the stop is in the rebuilt index");
            }
        }
    }

    private KeyService keys(Clock clock) {
        KeyStoreFile file = KeyStoreFile.in(dir.resolve("keys"));
        return new KeyService(file, file.loadOrCreate(clock), clock, ISSUER, Duration.ofHours(1),
                Duration.ofSeconds(30), 5);
    }

    private static StatusLists node(StateStore store, KeyService keys, Clock clock, String self) {
        return node(store, store.sharedMap(StoreConfiguration.STATUS_LISTS), keys, clock, self);
    }

    private static StatusLists node(StateStore store, SharedMap<String, Object> map, KeyService keys, Clock clock,
                                    String self) {
        StatusLists lists = new StatusLists(ISSUER, keys, clock, StatusLists.DEFAULT_TTL, Duration.ofSeconds(30),
                Duration.ofHours(1), store.statusIndices(), new StatusLists.State(map, store.tokens(), store.agents(),
                        store.dataDir().resolve(self), self, () -> List.of("node-1", "node-2")));
        lists.start();
        return lists;
    }

    private static Lineage root(String jti) {
        return new Lineage(jti, List.of(), Instant.now(), List.of());
    }

    private static void revoke(StateStore store, String jti, Instant expires) {
        await(store.tokens().revoke(jti, jti, expires));
    }

    /** The store's map, but its next compare-and-set, once asked to, throws as a store that refuses writes does. */
    private static final class Refusing extends ForwardingSharedMap<String, Object> {

        final AtomicBoolean refuseNextReplace = new AtomicBoolean();

        Refusing(SharedMap<String, Object> map) {
            super(map);
        }

        @Override
        public boolean replace(String key, Object expected, Object value) {
            if (refuseNextReplace.compareAndSet(true, false)) {
                throw new IllegalStateException("the store refuses writes for a moment");
            }
            return map.replace(key, expected, value);
        }
    }

    /** The INVALID indices below 16 of list 0 as stored. */
    private static List<Integer> invalid(StateStore store) {
        Object token = store.sharedMap(StoreConfiguration.STATUS_LISTS).get(StatusLists.listKey(0));
        Map<String, Object> claim;
        try {
            claim = SignedJWT.parse((String) token).getJWTClaimsSet().getJSONObjectClaim("status_list");
        } catch (ParseException e) {
            throw new AssertionError("the stored list is not a JWT", e);
        }
        StatusList bits = StatusList.decode((String) claim.get("lst"), 1, StatusLists.LIST_SIZE / 8);
        return java.util.stream.IntStream.range(0, 16).filter(i -> bits.status(i) == StatusList.INVALID).boxed()
                .toList();
    }
}
