package dev.agentid.issuer.service;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.TestAgent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TokenLivenessTest {

    static final Instant KILL = Instant.parse("2026-11-29T12:00:00.500Z");

    static AgentRecord restoredAfterKill() {
        String jwks = "{\"keys\":[" + TestAgent.newKey().toPublicJWK().toJSONString() + "]}";
        return new AgentRecord("b", "user:alice", jwks, List.of("read"), List.of("https://api.example"), List.of(),
                3, 300, AgentStatus.ACTIVE, KILL.minusSeconds(60), KILL.plusMillis(100), KILL);
    }

    /** Regression: iat has whole seconds, so a token minted 200 ms after a restore looked pre-kill. */
    @Test
    void tokenMintedAfterARestoreInTheSameSecondAsTheKillIsAlive() {
        Map<String, AgentRecord> chain = new LinkedHashMap<>();
        chain.put("b", restoredAfterKill());
        assertNull(TokenLiveness.disabledAgent(chain, KILL.plusMillis(200)));
    }

    @Test
    void tokenMintedBeforeTheKillInTheSameSecondStaysDead() {
        Map<String, AgentRecord> chain = new LinkedHashMap<>();
        chain.put("b", restoredAfterKill());
        assertEquals("b", TokenLiveness.disabledAgent(chain, KILL.minusMillis(300)));
        assertEquals("b", TokenLiveness.disabledAgent(chain, KILL));
    }

    @Test
    void killedOrUnknownAgentsDisableEveryToken() {
        Map<String, AgentRecord> chain = new LinkedHashMap<>();
        chain.put("a", restoredAfterKill().withStatus(AgentStatus.ACTIVE, KILL));
        chain.put("b", restoredAfterKill().withStatus(AgentStatus.KILLED, KILL.plusSeconds(5)));
        assertEquals("b", TokenLiveness.disabledAgent(chain, KILL.plusSeconds(60)));
        chain.put("b", null);
        assertEquals("b", TokenLiveness.disabledAgent(chain, KILL.plusSeconds(60)));
    }
}
