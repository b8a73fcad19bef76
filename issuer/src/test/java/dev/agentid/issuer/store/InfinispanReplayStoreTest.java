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
        Instant shortLived = clock.now().minus(InfinispanReplayStore.GRACE).plusSeconds(1);   // lifespan about 1 s
        Instant longLived = clock.now().plusSeconds(3600);
        for (int i = 0; i < 200; i++) {
            assertTrue(await(cache().firstUse("short-" + i, shortLived)));
            assertTrue(await(cache().firstUse("long-" + i, longLived)));
        }
        DataContainer<?, ?> memory = state.cache(StoreConfiguration.REPLAY).getAdvancedCache().getDataContainer();
        assertEquals(400, memory.sizeIncludingExpired());

        // a minute from now by Infinispan's wall clock: the short marks are past their lifespan, the long ones are not
        long inAMinute = System.currentTimeMillis() + 60_000;
        int removed = 0;
        int steps = StoreConfiguration.SEGMENTS / ReplayReaper.SEGMENTS_PER_STEP;
        for (int i = 0; i < steps; i++) {
            removed += state.replayReaper().step(inAMinute);
        }
        assertEquals(200, removed, "one pass over the segments removes every expired mark, once");
        assertEquals(200, memory.sizeIncludingExpired());
        assertEquals(0, state.replayReaper().sweepAll(inAMinute), "nothing expired is left");
        for (int i = 0; i < 200; i++) {
            assertFalse(await(cache().firstUse("long-" + i, longLived)), "a live mark still refuses its replay");
        }
    }

    @Test
    void infinispansOwnReaperIsOffForTheMarksAndOnForTheOtherCaches() {
        for (String name : StoreConfiguration.CACHES) {
            boolean reaper = state.cache(name).getCacheConfiguration().expiration().reaperEnabled();
            assertEquals(!name.equals(StoreConfiguration.REPLAY), reaper, name);
        }
    }
}
