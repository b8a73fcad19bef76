package dev.agentid.interop;

import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Revocation and kill through a real issuer process, and their survival across a restart on the same
 * data directory. Three chains of A → B → C:
 * <ol>
 * <li>chain 1: A revokes its own token;</li>
 * <li>chain 2: the admin kills B;</li>
 * <li>chain 3 (chain 1's agents again, A → B): the admin revokes A's token.</li>
 * </ol>
 * The tests run in order; the last one restarts the issuer and repeats every assertion.
 */
@ExtendWith(IssuerLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RevocationIT {

    static final String API = "https://api.example";
    static final String SCOPES = "files:read files:write";

    static IssuerProcess issuer;
    static TestAgents agents;
    static Agent a1;
    static Agent b1;
    static Agent c1;
    static Agent a2;
    static Agent b2;
    static Agent c2;
    static String tokenA1;
    static String tokenB1;
    static String tokenC1;
    static String tokenA2;
    static String tokenB2;
    static String tokenC2;
    static String tokenA3;
    static String tokenB3;

    @BeforeAll
    static void revokeAndKill() {
        issuer = IssuerProcess.named("revocation").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
        a1 = register("rev-a1", "user:alice", "rev-b1");
        b1 = register("rev-b1", "user:bob", "rev-c1");
        c1 = register("rev-c1", "user:carol");
        a2 = register("rev-a2", "user:dave", "rev-b2");
        b2 = register("rev-b2", "user:erin", "rev-c2");
        c2 = register("rev-c2", "user:frank");

        tokenA1 = a1.token(SCOPES, null);
        tokenB1 = b1.exchanged(tokenA1, null, null);
        tokenC1 = c1.exchanged(tokenB1, "files:read", null);
        tokenA2 = a2.token(SCOPES, null);
        tokenB2 = b2.exchanged(tokenA2, null, null);
        tokenC2 = c2.exchanged(tokenB2, "files:read", null);
        tokenA3 = a1.token(SCOPES, null);
        tokenB3 = b1.exchanged(tokenA3, null, null);
        for (String token : List.of(tokenA1, tokenB1, tokenC1, tokenA2, tokenB2, tokenC2, tokenA3, tokenB3)) {
            assertTrue(agents.isActive(token), "every token is active before revocation");
        }

        a1.revoke(tokenA1).expect(200);
        agents.kill("rev-b2").expect(200);
    }

    private static Agent register(String id, String owner, String... delegates) {
        return agents.agent(id).owner(owner).scopes("files:read", "files:write").audiences(API)
                .delegates(delegates).maxDelegationDepth(3).tokenTtlSeconds(600).register();
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    @Order(1)
    void theAdminRevokesATokenAndEverythingExchangedFromIt() {
        agents.adminRevoke(tokenA3).expect(200);
        assertFalse(agents.isActive(tokenA3), "A3");
        assertFalse(agents.isActive(tokenB3), "B3 exchanged from A3");
    }

    @Test
    @Order(2)
    void revokingTheFirstTokenDeactivatesEverythingExchangedFromIt() {
        assertRevokedChainsInactive();
    }

    @Test
    @Order(3)
    void killingAnAgentDeactivatesTokensContainingItAndLocksItOut() {
        assertKilledAgentEffects();
    }

    @Test
    @Order(4)
    void exchangeOfARevokedSubjectTokenIsRefusedWithTheTableBody() {
        assertRevokedSubjectTokensRefused();
    }

    @Test
    @Order(5)
    void afterARestartOnTheSameDataDirEveryResultStillHolds() {
        String before = issuer.issuer();
        issuer = issuer.restart();
        agents.use(issuer);
        assertEquals(before, issuer.issuer(), "same port, same iss");

        assertRegistryIntact();
        assertRevokedChainsInactive();
        assertKilledAgentEffects();
        assertRevokedSubjectTokensRefused();
        // the surviving token of chain 2 still introspects with its claims, and the signing key survived
        assertEquals("user:dave", agents.adminIntrospect(tokenA2).expect(200).json().get("sub"));
        String afterRestart = a1.token("files:read", null);
        assertEquals(KeyRotationIT.kid(tokenA2), KeyRotationIT.kid(afterRestart), "same signing key after restart");
        // and the agents that were not killed still work
        assertTrue(agents.isActive(afterRestart));
        assertFalse(agents.isActive(tokenA3), "A3 revoked by the admin");
        assertFalse(agents.isActive(tokenB3), "B3 exchanged from A3");
    }

    @Test
    @Order(6)
    void restoringAKilledAgentLetsItAuthenticateAgain() {
        agents.restore("rev-b2").expect(200);
        assertEquals("active", agents.getAgent("rev-b2").expect(200).json().get("status"));
        assertTrue(agents.isActive(b2.token("files:read", null)));
    }

    // ---- assertions run before and after the restart -----------------------------------------

    private static void assertRevokedChainsInactive() {
        assertAll("A revoked its own token (chain 1)",
                () -> assertFalse(agents.isActive(tokenA1), "A1"),
                () -> assertFalse(agents.isActive(tokenB1), "B1 exchanged from A1"),
                () -> assertFalse(agents.isActive(tokenC1), "C1 exchanged from B1"));
        // an agent introspecting gets the same answer, with nothing but "active"
        assertEquals(Map.of("active", false), c1.introspect(tokenC1).expect(200).json());
    }

    private static void assertKilledAgentEffects() {
        assertAll("B2 killed",
                () -> assertTrue(agents.isActive(tokenA2), "A2 does not contain B2"),
                () -> assertFalse(agents.isActive(tokenB2), "B2's own token"),
                () -> assertFalse(agents.isActive(tokenC2), "C2's token has B2 in its chain"));
        assertError(b2.clientCredentials("files:read", null), 401, "invalid_client", "agent 'rev-b2' is disabled");
        assertError(b2.exchange(tokenA2, null, null), 401, "invalid_client", "agent 'rev-b2' is disabled");
        assertError(c2.exchange(tokenB2, "files:read", null), 400, "invalid_request",
                "agent 'rev-b2' in the subject_token's delegation chain is disabled");
        assertEquals("killed", agents.getAgent("rev-b2").expect(200).json().get("status"));
    }

    private static void assertRevokedSubjectTokensRefused() {
        assertError(b1.exchange(tokenA1, null, null), 400, "invalid_request", "subject_token has been revoked");
        assertError(c1.exchange(tokenB1, "files:read", null), 400, "invalid_request",
                "subject_token derives from a revoked token");
    }

    private static void assertRegistryIntact() {
        Map<String, Map<String, Object>> byId = new HashMap<>();
        for (Map<String, Object> agent : agents.listAgents()) {
            byId.put((String) agent.get("agent_id"), agent);
        }
        assertEquals(6, byId.size(), "six agents registered: " + byId.keySet());
        Map<String, String> owners = Map.of("rev-a1", "user:alice", "rev-b1", "user:bob", "rev-c1", "user:carol",
                "rev-a2", "user:dave", "rev-b2", "user:erin", "rev-c2", "user:frank");
        owners.forEach((id, owner) -> {
            Map<String, Object> record = byId.get(id);
            assertTrue(record != null, id + " is listed");
            assertEquals(owner, record.get("owner"), id + "'s owner");
            assertEquals(id.equals("rev-b2") ? "killed" : "active", record.get("status"), id + "'s status");
        });
    }

    /** The whole body and the headers of a refusal, as /tmp/errors.md fixes them. */
    static void assertError(HttpResult result, int status, String error, String description) {
        assertAll(result.describe(),
                () -> assertEquals(status, result.status()),
                () -> assertEquals(Map.of("error", error, "error_description", description), result.json()),
                () -> assertTrue(String.valueOf(result.header("Content-Type")).startsWith("application/json"),
                        "Content-Type: " + result.header("Content-Type")),
                () -> assertEquals("no-store", result.header("Cache-Control")),
                () -> assertEquals("no-cache", result.header("Pragma")));
    }
}
