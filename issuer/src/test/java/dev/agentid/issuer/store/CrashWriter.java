package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentStatus;

import static dev.agentid.issuer.store.Await.await;

import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process of {@link StateStoreCrashIT}: writes one of everything, prints {@code written} once every write has
 * been acknowledged, then waits to be killed. Never closes the store.
 */
public final class CrashWriter {

    static final String WRITTEN = "written";
    static final int BURST = 500;

    private CrashWriter() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dataDir = Path.of(args[0]);
        Instant now = Instant.now();
        Instant exp = now.plusSeconds(600);
        StateStore state = StateStore.start(dataDir);
        if (!await(state.agents().register(TestAgents.agent("crash-agent", now).build()))
                || await(state.agents().setStatus("crash-agent", AgentStatus.KILLED, now)) == null) {
            throw new IllegalStateException("registration failed");
        }
        await(state.tokens().revoke("jti-parent", "jti-root", exp));
        if (!await(state.replay().firstUse("assertion-crash", exp))) {
            throw new IllegalStateException("replay key already used");
        }
        // a burst, so that anything still queued behind the acknowledgement (write-behind) would be caught by the kill
        List<Future<Void>> burst = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            burst.add(state.tokens().revoke("jti-burst-" + i, "jti-burst-" + i, exp));
        }
        await(Future.all(burst));
        System.out.println(WRITTEN);
        System.out.flush();
        Thread.currentThread().join();
    }
}
