package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;

import java.time.Instant;
import java.util.List;

/** Pre-filled agent registrations. */
public final class TestAgents {

    /** The public P-256 key of RFC 7517 appendix A.1. */
    public static final String PUBLIC_JWKS = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
            + "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
            + "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\",\"use\":\"sig\",\"kid\":\"agent-key-1\"}]}";

    /** The same key with its private part (RFC 7517 appendix A.2). */
    public static final String PRIVATE_JWKS = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
            + "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
            + "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\","
            + "\"d\":\"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE\",\"use\":\"sig\",\"kid\":\"agent-key-1\"}]}";

    private TestAgents() {
    }

    public static AgentRecord.Builder agent(String agentId, Instant createdAt) {
        return AgentRecord.builder(agentId)
                .owner("team-" + agentId)
                .jwksJson(PUBLIC_JWKS)
                .scopes(List.of("tickets:read", "tickets:write"))
                .audiences(List.of("https://api.example.test"))
                .delegates(List.of("helper-agent"))
                .maxDelegationDepth(2)
                .tokenTtlSeconds(300)
                .createdAt(createdAt);
    }
}
