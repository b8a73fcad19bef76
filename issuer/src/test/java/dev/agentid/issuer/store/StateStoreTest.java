package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {

    @TempDir
    Path dataDir;

    private final TestClock clock = new TestClock();

    @Test
    void restartKeepsAgentsStatusesAndRevocationsButNotSingleUseMarks() {
        Instant exp = clock.now().plusSeconds(600);
        AgentRecord alpha = TestAgents.agent("alpha", clock.now()).build();
        AgentRecord bravo = TestAgents.agent("bravo", clock.now()).delegates(List.of()).maxDelegationDepth(0).build();
        AgentRecord bravoKilled;
        try (StateStore state = StateStore.start(dataDir, clock)) {
            assertTrue(await(state.agents().register(alpha)));
            assertTrue(await(state.agents().register(bravo)));
            bravoKilled = await(state.agents().setStatus("bravo", AgentStatus.KILLED, clock.now().plusSeconds(5)));
            await(state.tokens().revoke("jti-root", "jti-root", exp));
            assertTrue(await(state.replay().firstUse("assertion-1", exp)));
        }

        try (StateStore state = StateStore.start(dataDir, clock)) {
            assertEquals(List.of(alpha, bravoKilled), await(state.agents().list()));
            assertEquals(Map.of("alpha", AgentStatus.ACTIVE, "bravo", AgentStatus.KILLED),
                    await(state.agents().statuses(List.of("alpha", "bravo"))));
            assertEquals(alpha.jwks().toString(), await(state.agents().find("alpha")).jwks().toString());
            assertEquals(Set.of("jti-root"), await(state.tokens().revokedAmong(List.of("jti-root", "jti-child"))));
            // single-use marks live in memory only (StoreConfiguration.Kind.DISTRIBUTED_MEMORY, docs/CLUSTER.md)
            assertTrue(await(state.replay().firstUse("assertion-1", exp)));
        }
    }

    @Test
    void stateLivesUnderDataDirInfinispan() {
        try (StateStore state = StateStore.start(dataDir, clock)) {
            await(state.agents().register(TestAgents.agent("alpha", clock.now()).build()));
        }

        for (String cache : List.of("agents", "revoked")) {
            assertTrue(Files.isDirectory(dataDir.resolve("infinispan").resolve(cache).resolve("data")), cache);
        }
        assertFalse(Files.exists(dataDir.resolve("infinispan").resolve("tokens")), "nothing is stored per token");
        assertFalse(Files.exists(dataDir.resolve("infinispan").resolve("replay")), "single-use marks are never on disk");
    }

    @Test
    void startWhenTheDirectoryIsAlreadyOpenThenRefused() {
        try (StateStore state = StateStore.start(dataDir, clock)) {
            assertThrows(IllegalStateException.class, () -> StateStore.start(dataDir, clock));
            // the refused start left the open store working
            assertTrue(await(state.agents().register(TestAgents.agent("alpha", clock.now()).build())));
        }
        try (StateStore reopened = StateStore.start(dataDir, clock)) {
            assertEquals(1, await(reopened.agents().list()).size());
        }
    }

    @Test
    void closeTwiceIsHarmless() {
        StateStore state = StateStore.start(dataDir, clock);
        state.close();
        state.close();
    }
}
