package dev.agentid.issuer.store;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfinispanAgentRegistryTest extends AgentRegistryContract {

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
    protected AgentRegistry registry() {
        return state.agents();
    }

    @Test
    void findReturnsTheSameParsedKeySetEachTime() {
        await(registry().register(TestAgents.agent("agent-a", clock.now()).build()));

        assertSame(await(registry().find("agent-a")).jwks(), await(registry().find("agent-a")).jwks());
    }
}
