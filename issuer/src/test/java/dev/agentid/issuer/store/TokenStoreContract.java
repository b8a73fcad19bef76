package dev.agentid.issuer.store;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What every {@link TokenStore} guarantees. Subclasses provide a fresh, empty store on {@link #clock} per test. */
@ExtendWith(VertxExtension.class)
abstract class TokenStoreContract {

    protected final TestClock clock = new TestClock();

    /** The store under test, reading time from {@link #clock}; the same instance for the whole test. */
    protected abstract TokenStore store();

    @Test
    void revokedAmongReturnsOnlyRevokedTokens() {
        Instant exp = clock.now().plusSeconds(300);
        await(store().revoke("jti-parent", "jti-root", exp));

        Set<String> revoked = await(store().revokedAmong(List.of("jti-root", "jti-parent", "jti-self")));

        assertEquals(Set.of("jti-parent"), revoked);
        assertEquals(Set.of("jti-parent"), store().revokedHere(List.of("jti-root", "jti-parent", "jti-self")));
    }

    @Test
    void revokedAmongWhenNothingRevokedThenEmpty() {
        assertEquals(Set.of(), await(store().revokedAmong(List.of("jti-root", "jti-self"))));
    }

    @Test
    void revokedAmongOfNoTokensIsEmpty() {
        assertEquals(Set.of(), await(store().revokedAmong(List.of())));
    }

    @Test
    void revokeTwiceIsTheSameAsOnce() {
        Instant exp = clock.now().plusSeconds(300);
        await(store().revoke("jti-1", "jti-1", exp));
        await(store().revoke("jti-1", "jti-1", exp));

        assertEquals(Set.of("jti-1"), await(store().revokedAmong(Set.of("jti-1"))));
        assertEquals(Map.of("jti-1", "jti-1"), store().revocationsHere());
    }

    @Test
    void aRevocationKeepsItsLineageRootForTheStatusLists() {
        Instant exp = clock.now().plusSeconds(300);
        await(store().revoke("jti-child", "jti-root", exp));

        assertEquals(Map.of("jti-child", "jti-root"), store().revocationsHere());
    }

    @Test
    void listenersHearOfEachNewRevocationOnceWithItsRoot() {
        List<String> heard = new CopyOnWriteArrayList<>();
        store().onRevocation((jti, root) -> heard.add(jti + "<" + root));
        Instant exp = clock.now().plusSeconds(300);

        await(store().revoke("jti-child", "jti-root", exp));
        await(store().revoke("jti-child", "jti-root", exp));
        await(store().revoke("jti-root", "jti-root", exp));

        assertEquals(List.of("jti-child<jti-root", "jti-root<jti-root"), heard);
    }

    @Test
    void resultsArriveOnTheCallersContext(Vertx vertx, VertxTestContext test) {
        await(store().revoke("jti-1", "jti-1", clock.now().plusSeconds(300)));
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            Future<Set<String>> revoked = store().revokedAmong(List.of("jti-1"));
            Future<Void> again = store().revoke("jti-2", "jti-1", clock.now().plusSeconds(300));
            Future.all(revoked, again).onComplete(test.succeeding(all -> test.verify(() -> {
                assertSame(context, Vertx.currentContext());
                assertEquals(Set.of("jti-1"), revoked.result());
                test.completeNow();
            })));
        });
    }
}
