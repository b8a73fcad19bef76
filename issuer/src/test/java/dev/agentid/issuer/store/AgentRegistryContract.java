package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What every {@link AgentRegistry} guarantees. Subclasses provide a fresh, empty registry per test. */
@ExtendWith(VertxExtension.class)
abstract class AgentRegistryContract {

    protected final TestClock clock = new TestClock();

    /** The registry under test; the same instance for the whole test. */
    protected abstract AgentRegistry registry();

    @Test
    void registerWhenNewThenTrueAndFindReturnsIt() {
        AgentRecord agent = TestAgents.agent("agent-a", clock.now()).build();

        assertTrue(await(registry().register(agent)));

        AgentRecord found = await(registry().find("agent-a"));
        assertEquals(agent, found);
        assertEquals(List.of("tickets:read", "tickets:write"), found.scopes());
        assertEquals(AgentStatus.ACTIVE, found.status());
        assertEquals("agent-key-1", found.jwks().getKeys().get(0).getKeyID());
    }

    @Test
    void registerWhenIdExistsThenFalseAndFirstRegistrationKept() {
        AgentRecord first = TestAgents.agent("agent-a", clock.now()).owner("first-owner").build();
        AgentRecord second = TestAgents.agent("agent-a", clock.now()).owner("second-owner").build();

        assertTrue(await(registry().register(first)));
        assertFalse(await(registry().register(second)));

        assertEquals("first-owner", await(registry().find("agent-a")).owner());
    }

    @Test
    void registerOfOneIdFromManyThreadsSucceedsExactlyOnce() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                AgentRecord agent = TestAgents.agent("agent-a", clock.now()).owner("owner-" + i).build();
                results.add(pool.submit(() -> {
                    start.await();
                    return await(registry().register(agent));
                }));
            }
            start.countDown();
            int wins = 0;
            for (java.util.concurrent.Future<Boolean> result : results) {
                wins += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(1, wins);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void findWhenUnknownThenNull() {
        assertNull(await(registry().find("nobody")));
    }

    @Test
    void listReturnsEveryAgentSortedByAgentId() {
        for (String id : List.of("charlie", "alpha", "bravo")) {
            assertTrue(await(registry().register(TestAgents.agent(id, clock.now()).build())));
        }

        List<AgentRecord> all = await(registry().list());

        assertEquals(List.of("alpha", "bravo", "charlie"), all.stream().map(AgentRecord::agentId).toList());
    }

    @Test
    void listWhenEmptyThenEmpty() {
        assertEquals(List.of(), await(registry().list()));
    }

    @Test
    void setStatusWhenKnownThenStoredAndReturned() {
        Instant created = clock.now();
        await(registry().register(TestAgents.agent("agent-a", created).build()));
        clock.advance(Duration.ofMinutes(3));

        AgentRecord killed = await(registry().setStatus("agent-a", AgentStatus.KILLED, clock.now()));

        assertEquals(AgentStatus.KILLED, killed.status());
        assertEquals(clock.now(), killed.statusChangedAt());
        assertEquals(created, killed.createdAt());
        assertEquals(killed, await(registry().find("agent-a")));
    }

    @Test
    void setStatusWhenUnknownThenNullAndNothingCreated() {
        assertNull(await(registry().setStatus("nobody", AgentStatus.KILLED, clock.now())));
        assertNull(await(registry().find("nobody")));
    }

    @Test
    void setStatusToTheCurrentStatusKeepsTheFirstChange() {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));
        Instant killedAt = clock.now().plusSeconds(10);
        await(registry().setStatus("agent-a", AgentStatus.KILLED, killedAt));

        AgentRecord again = await(registry().setStatus("agent-a", AgentStatus.KILLED, killedAt.plusSeconds(50)));

        assertEquals(killedAt, again.statusChangedAt());
        assertEquals(killedAt, await(registry().find("agent-a")).statusChangedAt());
    }

    @Test
    void setStatusToActiveRevivesAndRemembersTheLastKill() {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));
        Instant killedAt = clock.now().plusSeconds(1);
        await(registry().setStatus("agent-a", AgentStatus.KILLED, killedAt));

        AgentRecord revived = await(registry().setStatus("agent-a", AgentStatus.ACTIVE, clock.now().plusSeconds(2)));

        assertEquals(AgentStatus.ACTIVE, revived.status());
        assertEquals(killedAt, revived.lastKilledAt());
        assertEquals(revived, await(registry().find("agent-a")));
    }

    @Test
    void deregisteredIsFinalAndDeadForAnyIssueTime() {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));
        Instant at = clock.now().plusSeconds(1);
        AgentRecord gone = await(registry().setStatus("agent-a", AgentStatus.DEREGISTERED, at));
        assertEquals(AgentStatus.DEREGISTERED, gone.status());
        assertTrue(gone.disabledFor(null));
        assertTrue(gone.disabledFor(at.plusSeconds(3600)), "a token issued after the deregistration is dead too");
        assertEquals(gone, await(registry().setStatus("agent-a", AgentStatus.ACTIVE, clock.now().plusSeconds(2))));
        assertEquals(gone, await(registry().setStatus("agent-a", AgentStatus.KILLED, clock.now().plusSeconds(3))));
        assertEquals(gone, await(registry().find("agent-a")));
    }

    @Test
    void replaceWhenUnchangedThenStoredElseFalse() {
        AgentRecord current = TestAgents.agent("agent-a", clock.now()).build();
        await(registry().register(current));
        AgentRecord stored = await(registry().find("agent-a"));
        AgentRecord next = stored.withSettingsOf(TestAgents.agent("agent-a", clock.now()).owner("new-owner").build());
        assertTrue(await(registry().replace(stored, next)));
        assertEquals("new-owner", await(registry().find("agent-a")).owner());
        AgentRecord other = stored.withSettingsOf(TestAgents.agent("agent-a", clock.now()).owner("late").build());
        assertFalse(await(registry().replace(stored, other)), "the stored record changed meanwhile");
        assertEquals("new-owner", await(registry().find("agent-a")).owner());
    }

    @Test
    void statusesReturnsKnownAgentsOnly() {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));
        await(registry().register(TestAgents.agent("agent-b", clock.now()).build()));
        await(registry().setStatus("agent-b", AgentStatus.KILLED, clock.now()));

        Map<String, AgentStatus> statuses = await(registry().statuses(List.of("agent-a", "agent-b", "nobody")));

        assertEquals(Map.of("agent-a", AgentStatus.ACTIVE, "agent-b", AgentStatus.KILLED), statuses);
    }

    @Test
    void statusesOfNoAgentsIsEmpty() {
        assertEquals(Map.of(), await(registry().statuses(Set.of())));
    }

    @Test
    void resultsArriveOnTheCallersContext(Vertx vertx, VertxTestContext test) {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            Future<AgentRecord> found = registry().find("agent-a");
            Future<List<AgentRecord>> listed = registry().list();
            Future<Map<String, AgentStatus>> statuses = registry().statuses(List.of("agent-a"));
            Future.all(found, listed, statuses).onComplete(test.succeeding(all -> test.verify(() -> {
                assertSame(context, Vertx.currentContext());
                assertEquals("agent-a", found.result().agentId());
                assertEquals(1, listed.result().size());
                assertEquals(Map.of("agent-a", AgentStatus.ACTIVE), statuses.result());
                test.completeNow();
            })));
        });
    }
}
