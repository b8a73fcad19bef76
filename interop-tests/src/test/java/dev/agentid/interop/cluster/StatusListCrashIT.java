package dev.agentid.interop.cluster;

import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing per token is replicated or fsync'd, yet a token minted before a {@code kill -9} still gets its status bit
 * when its ancestor is revoked, or an agent of its chain killed, after the restart: the node rebuilds the index of the
 * tokens it minted from its crash log (written without fsync: the page cache outlives the process).
 */
@ExtendWith(IssuerLogsOnFailure.class)
class StatusListCrashIT {

    @Test
    void tokensMintedBeforeAKill9GetTheirBitsWhenTheirAncestorIsRevokedOrTheirAgentKilledAfterTheRestart()
            throws Exception {
        IssuerProcess issuer = IssuerProcess.named("status-crash").start();
        try {
            TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
            Agent a = agents.agent("crash-a").delegates("crash-b").register();
            Agent b = agents.agent("crash-b").delegates("crash-c").register();
            Agent c = agents.agent("crash-c").register();
            Agent d = agents.agent("crash-d").register();
            String root = a.token(null, null);
            String child = b.exchanged(root, null, null);
            String grandchild = c.exchanged(child, null, null);
            String ofD = d.token(null, null);
            String unrelated = a.token(null, null);
            // the inventory's live counts come from the worker after it has indexed, logged and flushed what it
            // took in: once they hold all five tokens, the crash log has them (root, child, grandchild and
            // unrelated have crash-a in their chain; ofD only crash-d)
            until("the five tokens reach the minted-token log",
                    () -> liveTokens(agents, "crash-a") == 4 && liveTokens(agents, "crash-d") == 1);
            issuer.kill();

            issuer = issuer.relaunch().start();
            agents.use(issuer);
            assertTrue(agents.isActive(grandchild), "alive after the restart");
            b.revoke(child).expect(200);
            agents.kill("crash-d").expect(200);
            assertFalse(agents.isActive(grandchild), "the issuer refuses it from its claims at once");

            StatusLists.Reference ref = StatusLists.reference(grandchild);
            IssuerProcess node = issuer;
            until("the grandchild's bit is set after the restart",
                    () -> StatusLists.fetch(node, ref.uri()).status(ref.idx()) != StatusList.VALID);
            StatusLists.Fetched list = StatusLists.fetch(issuer, ref.uri());
            until("d's token: d was killed", () -> StatusLists.fetch(node, ref.uri())
                    .status(StatusLists.reference(ofD).idx()) != StatusList.VALID);
            list = StatusLists.fetch(issuer, ref.uri());
            assertEquals(StatusList.INVALID, list.status(StatusLists.reference(child).idx()));
            assertEquals(StatusList.VALID, list.status(StatusLists.reference(root).idx()));
            assertEquals(StatusList.VALID, list.status(StatusLists.reference(unrelated).idx()));
        } finally {
            issuer.close();
        }
    }

    private static long liveTokens(TestAgents agents, String agentId) {
        Object live = agents.getAgent(agentId).expect(200).json().get("live_tokens");
        return live instanceof Number n ? n.longValue() : -1;
    }

    /** Polls {@code condition} (another process's state) every 50 ms; fails naming {@code what} after 10 s. */
    private static void until(String what, BooleanSupplier condition) {
        Interop.await(what, Duration.ofSeconds(10), Duration.ofMillis(50),
                () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }
}
