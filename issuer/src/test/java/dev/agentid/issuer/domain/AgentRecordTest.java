package dev.agentid.issuer.domain;

import dev.agentid.issuer.store.TestAgents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentRecordTest {

    private final Instant now = Instant.parse("2026-11-29T10:15:30.123456789Z");

    @Test
    void buildWhenJwksHoldsAPrivateKeyThenRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> TestAgents.agent("agent-a", now).jwksJson(TestAgents.PRIVATE_JWKS).build());
    }

    @Test
    void buildWhenJwksIsNotAKeySetThenRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> TestAgents.agent("agent-a", now).jwksJson("{\"kty\":\"EC\"").build());
    }

    @Test
    void withStatusKeepsTheRegistrationAndSharesTheParsedKeys() {
        AgentRecord active = TestAgents.agent("agent-a", now).build();
        Instant killedAt = now.truncatedTo(ChronoUnit.MILLIS).plusSeconds(60);   // records keep milliseconds

        AgentRecord killed = active.withStatus(AgentStatus.KILLED, killedAt);

        assertEquals(AgentStatus.KILLED, killed.status());
        assertEquals(killedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS), killed.statusChangedAt());
        assertEquals(active.createdAt(), killed.createdAt());
        assertEquals(active.scopes(), killed.scopes());
        assertEquals(active.jwksJson(), killed.jwksJson());
        assertSame(active.jwks(), killed.jwks());
    }

    @Test
    void instantsAreKeptAtMillisecondPrecisionLikeTheStore() {
        AgentRecord agent = TestAgents.agent("agent-a", now).build();

        assertEquals(Instant.parse("2026-11-29T10:15:30.123Z"), agent.createdAt());
        assertEquals(agent.createdAt(), agent.statusChangedAt());
    }

    @Test
    void listsAreCopiedAndUnmodifiable() {
        List<String> scopes = new ArrayList<>(List.of("a"));
        AgentRecord agent = TestAgents.agent("agent-a", now).scopes(scopes).build();
        scopes.add("b");

        assertEquals(List.of("a"), agent.scopes());
        assertThrows(UnsupportedOperationException.class, () -> agent.scopes().add("c"));
    }

    @Test
    void toStringShowsNoKeyMaterial() {
        String text = TestAgents.agent("agent-a", now).build().toString();

        assertEquals(-1, text.indexOf("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"));
    }

    /** The kill switch, one rule for the request path, the status lists, redemption and client authentication. */
    @Test
    void killSwitchDisablesAnAgentForTokensIssuedUpToItsLastKillAndForNewOnesWhileKilled() {
        AgentRecord active = TestAgents.agent("agent-a", now).build();
        Instant killedAt = now.truncatedTo(ChronoUnit.MILLIS).plusSeconds(60);   // records keep milliseconds
        AgentRecord killed = active.withStatus(AgentStatus.KILLED, killedAt);
        AgentRecord restored = killed.withStatus(AgentStatus.ACTIVE, killedAt.plusSeconds(60));

        assertEquals(false, active.disabledFor(null));
        assertEquals(false, active.disabledFor(now));
        assertEquals(true, killed.disabledFor(null));
        assertEquals(true, killed.disabledFor(killedAt.plusSeconds(1)));
        assertEquals(false, restored.disabledFor(null));
        assertEquals(true, restored.disabledFor(killedAt));
        assertEquals(true, restored.disabledFor(killedAt.minusSeconds(1)));
        assertEquals(false, restored.disabledFor(killedAt.plusSeconds(1)));
    }

    /** The status lists apply the kill switch to mint times in epoch milliseconds, as one bound: the same rule. */
    @Test
    void theKillBoundInMillisecondsAgreesWithTheKillSwitchForEveryMintTime() {
        AgentRecord active = TestAgents.agent("agent-a", now).build();
        Instant killedAt = now.truncatedTo(ChronoUnit.MILLIS).plusSeconds(60);
        AgentRecord killed = active.withStatus(AgentStatus.KILLED, killedAt);
        AgentRecord restored = killed.withStatus(AgentStatus.ACTIVE, killedAt.plusSeconds(60));
        AgentRecord restoredAfterASubMillisecondKill = active
                .withStatus(AgentStatus.KILLED, killedAt.plusNanos(400_000))
                .withStatus(AgentStatus.ACTIVE, killedAt.plusSeconds(60));
        for (AgentRecord agent : List.of(active, killed, restored, restoredAfterASubMillisecondKill)) {
            for (long ms = killedAt.toEpochMilli() - 2; ms <= killedAt.toEpochMilli() + 2; ms++) {
                assertEquals(agent.disabledFor(Instant.ofEpochMilli(ms)), ms <= agent.disabledThroughMillis(),
                        agent.status() + " killed at " + agent.lastKilledAt() + ", minted at " + ms);
            }
        }
        assertEquals(Long.MIN_VALUE, active.disabledThroughMillis(), "never killed: no token is disabled");
        assertEquals(Long.MAX_VALUE, killed.disabledThroughMillis(), "killed now: every token is");
    }
}
