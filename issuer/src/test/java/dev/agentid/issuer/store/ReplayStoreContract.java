package dev.agentid.issuer.store;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What every {@link ReplayStore} guarantees. Subclasses provide a fresh, empty cache on {@link #clock} per test. */
@ExtendWith(VertxExtension.class)
abstract class ReplayStoreContract {

    protected final TestClock clock = new TestClock();

    /** The cache under test, reading time from {@link #clock}; the same instance for the whole test. */
    protected abstract ReplayStore cache();

    @Test
    void firstUseIsTrueOnceThenFalse() {
        Instant exp = clock.now().plusSeconds(120);

        assertTrue(await(cache().firstUse("jti-1", exp)));
        assertFalse(await(cache().firstUse("jti-1", exp)));
        assertFalse(await(cache().firstUse("jti-1", exp.plusSeconds(600))));
    }

    @Test
    void keysAreIndependent() {
        Instant exp = clock.now().plusSeconds(120);

        assertTrue(await(cache().firstUse("jti-1", exp)));
        assertTrue(await(cache().firstUse("jti-2", exp)));
    }

    @Test
    void firstUseOfOneKeyFromManyThreadsIsTrueExactlyOnce() throws Exception {
        int threads = 16;
        Instant exp = clock.now().plusSeconds(120);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return await(cache().firstUse("jti-contended", exp));
                }));
            }
            start.countDown();
            int firsts = 0;
            for (Future<Boolean> result : results) {
                firsts += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, firsts);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void firstUseWhenExpiredBeyondTheGraceThenFalse() {
        assertFalse(await(cache().firstUse("jti-old", clock.now().minusSeconds(3600))));
    }

    @Test
    void resultArrivesOnTheCallersContext(Vertx vertx, VertxTestContext test) {
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> cache().firstUse("jti-1", clock.now().plusSeconds(60))
                .onComplete(test.succeeding(first -> test.verify(() -> {
                    assertSame(context, Vertx.currentContext());
                    assertTrue(first);
                    test.completeNow();
                }))));
    }
}
