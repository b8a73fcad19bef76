package dev.agentid.interop.cluster;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.TestAgents;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions the cluster tests share: whole refusal bodies, and what a node says about a token. */
final class ClusterAssertions {

    static final String API = "https://api.example";
    static final String SCOPES = "files:read files:write";

    /** The 503 of a node that cannot serve from the cluster's state (docs/CLUSTER.md). */
    static final String TEMPORARILY_UNAVAILABLE = "temporarily_unavailable";

    private ClusterAssertions() {
    }

    /** The whole body and the headers of a refusal. */
    static void assertError(HttpResult result, int status, String error, String description) {
        assertAll(result.describe(),
                () -> assertEquals(status, result.status()),
                () -> assertEquals(Map.of("error", error, "error_description", description), result.json()),
                () -> assertTrue(String.valueOf(result.header("Content-Type")).startsWith("application/json"),
                        "Content-Type: " + result.header("Content-Type")),
                () -> assertEquals("no-store", result.header("Cache-Control")),
                () -> assertEquals("no-cache", result.header("Pragma")));
    }

    /** A revoked subject token (the revoked token itself, or one exchanged from it) is refused with the table body. */
    static void assertExchangeRefusedAsRevoked(HttpResult result, boolean derived) {
        assertError(result, 400, "invalid_request",
                derived ? "subject_token derives from a revoked token" : "subject_token has been revoked");
    }

    /** Registers an agent at {@code agents}' node: scopes files:read/write, audience {@link #API}, TTL 600 s. */
    static TestAgents.Agent register(TestAgents agents, String id, String owner, String... delegates) {
        return agents.agent(id).owner(owner).scopes("files:read", "files:write").audiences(API)
                .delegates(delegates).maxDelegationDepth(3).tokenTtlSeconds(600).register();
    }

}
