package dev.agentid.issuer.store;

import static dev.agentid.issuer.store.Await.await;
import static dev.agentid.issuer.store.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.infinispan.container.DataContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfinispanReplayStoreTest extends ReplayStoreContract {

    @TempDir
    Path dataDir;

    private StateStore state;

    @BeforeEach
    void open() {
        state = StateStore.start(dataDir, clock);
    }

    @AfterEach
    void close() {
        state.close();
    }

    @Override
    protected ReplayStore cache() {
        return state.replay();
    }

    @Test
    void keyIsForgottenWhenTheGraceAfterExpiryEnds() {
        Instant exp = clock.now().minus(InfinispanReplayStore.GRACE).plusMillis(300);
        assertTrue(await(cache().firstUse("jti-1", exp)));
        assertFalse(await(cache().firstUse("jti-1", exp)));

        // once the lifespan (expiry + grace) has passed, the key is unknown again
        assertTrue(eventually(Duration.ofMillis(2500), () -> await(cache().firstUse("jti-1", exp))));
    }

    @Test
    void expiredMarksLeaveMemoryByTheReplayReaperWhileLiveOnesStay() {
        // lifespans of about 30 s and of an hour: the store's own reaper, on real time, removes neither during the test
        Instant shortLived = clock.now().minus(InfinispanReplayStore.GRACE).plusSeconds(30);
        Instant longLived = clock.now().plusSeconds(3600);
        for (int i = 0; i < 200; i++) {
            assertTrue(await(cache().firstUse("short-" + i, shortLived)));
            assertTrue(await(cache().firstUse("long-" + i, longLived)));
        }
        DataContainer<?, ?> memory = state.cache(StoreConfiguration.REPLAY).getAdvancedCache().getDataContainer();
        assertEquals(400, memory.sizeIncludingExpired());

        // a reaper stepped by hand, two minutes ahead of Infinispan's wall clock: the short marks are past their
        // lifespan then, the long ones are not
        ReplayReaper reaper = new ReplayReaper(state.cache(StoreConfiguration.REPLAY), StoreConfiguration.SEGMENTS);
        long later = System.currentTimeMillis() + 120_000;
        int removed = 0;
        for (int i = 0; i < StoreConfiguration.SEGMENTS / ReplayReaper.SEGMENTS_PER_STEP; i++) {
            removed += reaper.step(later);
        }
        assertEquals(200, removed, "one pass over the segments removes every expired mark, once");
        assertEquals(200, memory.sizeIncludingExpired());
        assertEquals(0, reaper.sweepAll(later), "nothing expired is left");
        for (int i = 0; i < 200; i++) {
            assertFalse(await(cache().firstUse("long-" + i, longLived)), "a live mark still refuses its replay");
        }
    }

    @Test
    void aSingleNodesReaperVisitsAnEqualShareOfTheMarksEachStepInsteadOfWalkingThemAll() {
        // a single node's cache is LOCAL: one map, not segments, so the reaper walks it a slice a step
        Instant shortLived = clock.now().minus(InfinispanReplayStore.GRACE).plusSeconds(30);
        for (int i = 0; i < 400; i++) {
            assertTrue(await(cache().firstUse("expiring-" + i, shortLived)));
        }
        DataContainer<?, ?> memory = state.cache(StoreConfiguration.REPLAY).getAdvancedCache().getDataContainer();
        ReplayReaper reaper = new ReplayReaper(state.cache(StoreConfiguration.REPLAY), StoreConfiguration.SEGMENTS);
        long later = System.currentTimeMillis() + 120_000;
        int steps = StoreConfiguration.SEGMENTS / ReplayReaper.SEGMENTS_PER_STEP;
        for (int i = 0; i < steps; i++) {
            assertEquals(400 / steps, reaper.step(later), "step " + i + " removes its share, no more");
        }
        assertEquals(0, memory.sizeIncludingExpired(), "one pass visits every mark");

        // the next pass starts over with the marks written since
        for (int i = 0; i < 16; i++) {
            assertTrue(await(cache().firstUse("later-" + i, shortLived)));
        }
        assertEquals(16 / steps, reaper.step(later));
    }

    @Test
    void aSingleNodesReaperKeepsUpWithMarksWrittenAfterItsPassBegan() {
        // the reaper's first step comes when the node has started, on a nearly empty map; the marks come after it.
        // A walk that kept the share of its first step (one mark a step) fell ever further behind (the soak of
        // 2026-12-07: 565,858 marks in memory after 4.5 minutes at 2,200 requests a second, and a full heap).
        ReplayReaper reaper = new ReplayReaper(state.cache(StoreConfiguration.REPLAY), StoreConfiguration.SEGMENTS);
        long later = System.currentTimeMillis() + 120_000;
        Instant shortLived = clock.now().minus(InfinispanReplayStore.GRACE).plusSeconds(30);
        assertTrue(await(cache().firstUse("first", shortLived)));
        assertTrue(await(cache().firstUse("second", shortLived)));
        reaper.step(later);   // a pass begins on a map of two marks
        for (int i = 0; i < 800; i++) {
            assertTrue(await(cache().firstUse("more-" + i, shortLived)));
        }
        DataContainer<?, ?> memory = state.cache(StoreConfiguration.REPLAY).getAdvancedCache().getDataContainer();
        int steps = StoreConfiguration.SEGMENTS / ReplayReaper.SEGMENTS_PER_STEP;
        for (int i = 0; i < 2 * steps; i++) {
            reaper.step(later);
        }
        assertEquals(0, memory.sizeIncludingExpired(), "within two passes every expired mark is gone");
    }

    @Test
    void infinispansOwnReaperIsOffForTheMarksAndOnForTheOtherCaches() {
        for (String name : StoreConfiguration.CACHES) {
            boolean reaper = state.cache(name).getCacheConfiguration().expiration().reaperEnabled();
            assertEquals(!name.equals(StoreConfiguration.REPLAY), reaper, name);
        }
    }
}
