package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.TokenRecord;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What every {@link TokenStore} guarantees. Subclasses provide a fresh, empty store on {@link #clock} per test. */
@ExtendWith(VertxExtension.class)
abstract class TokenStoreContract {

    protected final TestClock clock = new TestClock();

    /** The store under test, reading time from {@link #clock}; the same instance for the whole test. */
    protected abstract TokenStore store();

    private TokenRecord root(String jti, Instant expiresAt, String actor) {
        return new TokenRecord(jti, null, List.of(), List.of(actor), "user-1", expiresAt, Instant.EPOCH);
    }

    @Test
    void recordIssuedThenFindReturnsTheLineage() {
        Instant exp = clock.now().plusSeconds(300);
        TokenRecord root = root("jti-root", exp, "agent-a");
        TokenRecord child = new TokenRecord("jti-child", "jti-root", List.of("jti-root"), List.of("agent-b", "agent-a"),
                "user-1", exp, Instant.EPOCH);

        await(store().recordIssued(root));
        await(store().recordIssued(child));

        assertEquals(root, await(store().find("jti-root")));
        TokenRecord found = await(store().find("jti-child"));
        assertEquals(child, found);
        assertEquals("jti-root", found.parentJti());
        assertEquals(List.of("agent-b", "agent-a"), found.actors());
    }

    @Test
    void findWhenUnknownThenNull() {
        assertNull(await(store().find("jti-unknown")));
    }

    @Test
    void findWhenTokenExpiredThenNull() {
        await(store().recordIssued(root("jti-1", clock.now().plusSeconds(60), "agent-a")));

        clock.advance(Duration.ofSeconds(60));

        assertNull(await(store().find("jti-1")));
    }

    @Test
    void revokedAmongReturnsOnlyRevokedTokens() {
        Instant exp = clock.now().plusSeconds(300);
        await(store().revoke("jti-parent", exp));

        Set<String> revoked = await(store().revokedAmong(List.of("jti-root", "jti-parent", "jti-self")));

        assertEquals(Set.of("jti-parent"), revoked);
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
        await(store().revoke("jti-1", exp));
        await(store().revoke("jti-1", exp));

        assertEquals(Set.of("jti-1"), await(store().revokedAmong(Set.of("jti-1"))));
    }

    @Test
    void revokeWithoutARecordedTokenStillRevokes() {
        await(store().revoke("jti-from-elsewhere", clock.now().plusSeconds(30)));

        assertEquals(Set.of("jti-from-elsewhere"), await(store().revokedAmong(Set.of("jti-from-elsewhere"))));
    }

    @Test
    void liveTokenCountsCountsUnexpiredTokensOncePerActor() {
        Instant now = clock.now();
        await(store().recordIssued(root("jti-1", now.plusSeconds(300), "agent-a")));
        await(store().recordIssued(new TokenRecord("jti-2", "jti-1", List.of("jti-1"), List.of("agent-b", "agent-a"),
                "user-1", now.plusSeconds(300), Instant.EPOCH)));
        // a chain that passes through agent-a twice counts once for agent-a
        await(store().recordIssued(new TokenRecord("jti-3", "jti-2", List.of("jti-1", "jti-2"),
                List.of("agent-a", "agent-b", "agent-a"), "user-1", now.plusSeconds(300), Instant.EPOCH)));
        await(store().recordIssued(root("jti-expiring", now.plusSeconds(10), "agent-c")));

        assertEquals(Map.of("agent-a", 3L, "agent-b", 2L, "agent-c", 1L), await(store().liveTokenCounts(now)));
        assertEquals(Map.of("agent-a", 3L, "agent-b", 2L), await(store().liveTokenCounts(now.plusSeconds(10))));
    }

    @Test
    void liveTokenCountsWhenNoTokensThenEmpty() {
        assertEquals(Map.of(), await(store().liveTokenCounts(clock.now())));
    }

    @Test
    void resultsArriveOnTheCallersContext(Vertx vertx, VertxTestContext test) {
        await(store().recordIssued(root("jti-1", clock.now().plusSeconds(300), "agent-a")));
        await(store().revoke("jti-1", clock.now().plusSeconds(300)));
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            Future<TokenRecord> found = store().find("jti-1");
            Future<Set<String>> revoked = store().revokedAmong(List.of("jti-1"));
            Future<Map<String, Long>> counts = store().liveTokenCounts(clock.now());
            Future.all(found, revoked, counts).onComplete(test.succeeding(all -> test.verify(() -> {
                assertSame(context, Vertx.currentContext());
                assertEquals("jti-1", found.result().jti());
                assertEquals(Set.of("jti-1"), revoked.result());
                assertEquals(Map.of("agent-a", 1L), counts.result());
                test.completeNow();
            })));
        });
    }
}
