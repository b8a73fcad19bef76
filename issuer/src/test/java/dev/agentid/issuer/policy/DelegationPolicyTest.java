package dev.agentid.issuer.policy;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.policy.DelegationPolicy.ScopeBound;
import dev.agentid.issuer.store.TestAgents;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Each delegation rule, once, on its own: the grants (client_credentials, token exchange, human-principal exchange,
 * partner grant, jwt-bearer redemption) call these and pass their own refusal. Test names name the rule.
 */
class DelegationPolicyTest {

    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final String ISSUER = "https://issuer.example";

    private final DelegationPolicy policy = new DelegationPolicy(5, Duration.ofHours(1));

    private static AgentRecord agent(String id, int maxDepth, long ttl, List<String> scopes, List<String> audiences,
                                     List<String> delegates) {
        return TestAgents.agent(id, NOW).maxDelegationDepth(maxDepth).tokenTtlSeconds(ttl).scopes(scopes)
                .audiences(audiences).delegates(delegates).build();
    }

    private static AgentRecord agent(String id) {
        return agent(id, 5, 600, List.of("read", "write"), List.of("https://api.example"), List.of());
    }

    private static void assertRefused(String error, String description, Runnable call) {
        OAuthException e = assertThrows(OAuthException.class, call::run);
        assertEquals(error, e.error());
        assertEquals(description, e.description());
    }

    // ---- who may act (X14) ----

    @Test
    void whoMayActWhenClientNotInCurrentActorsDelegatesThenInvalidRequest() {
        AgentRecord a = agent("a", 5, 600, List.of("read"), List.of("https://api.example"), List.of("b"));
        policy.requireMayAct(a, agent("b"));
        assertRefused("invalid_request", "agent 'c' may not act for agent 'a'",
                () -> policy.requireMayAct(a, agent("c")));
    }

    // ---- cycles (X15, F17) ----

    @Test
    void cycleWhenClientAlreadyInChainThenTheGrantsRefusal() {
        DelegationChain chain = DelegationChain.of(new Actor("a", ISSUER)).extendedBy(new Actor("b", ISSUER));
        policy.requireNotInChain(chain, new Actor("c", ISSUER), OAuthException::invalidRequest);
        policy.requireNotInChain(chain, new Actor("a", "https://partner.example"), OAuthException::invalidRequest);
        assertRefused("invalid_request", "agent 'a' is already in the delegation chain",
                () -> policy.requireNotInChain(chain, new Actor("a", ISSUER), OAuthException::invalidRequest));
        assertRefused("invalid_grant", "agent 'b' is already in the delegation chain",
                () -> policy.requireNotInChain(chain, new Actor("b", ISSUER),
                        d -> new OAuthException("invalid_grant", 400, d, null)));
    }

    // ---- depth (X16, F18) ----

    @Test
    void depthIsBoundedByTheSmallestAgentLimitAndTheGlobalCap() {
        AgentRecord shallow = agent("s", 2, 600, List.of("read"), List.of("x"), List.of());
        AgentRecord deep = agent("d", 9, 600, List.of("read"), List.of("x"), List.of());
        policy.requireDepth(2, List.of(shallow, deep), OAuthException::invalidRequest);
        assertRefused("invalid_request", "delegation depth 3 exceeds the limit of 2",
                () -> policy.requireDepth(3, List.of(deep, shallow), OAuthException::invalidRequest));
        policy.requireDepth(5, List.of(deep), OAuthException::invalidRequest);
        assertRefused("invalid_grant", "delegation depth 6 exceeds the limit of 5",
                () -> policy.requireDepth(6, List.of(deep), d -> new OAuthException("invalid_grant", 400, d, null)));
    }

    // ---- scope narrowing (C01, X17–X19, F19–F22) ----

    @Test
    void scopeNarrowingWhenNothingRequestedThenTheIntersectionInTheFirstBoundsOrder() {
        AgentRecord client = agent("c", 5, 600, List.of("write", "read", "admin"), List.of("x"), List.of());
        assertEquals(List.of("read", "write"), policy.exchangeScope(List.of("read", "write", "delete"), client, null));
        assertEquals(List.of("write", "read", "admin"), policy.clientCredentialsScope(client, List.of()));
    }

    @Test
    void scopeNarrowingWhenARequestedScopeExceedsABoundThenThatBoundNamesTheRefusal() {
        AgentRecord client = agent("c", 5, 600, List.of("read"), List.of("x"), List.of());
        assertRefused("invalid_scope", "scope 'write' exceeds the subject_token's scope",
                () -> policy.exchangeScope(List.of("read"), client, List.of("write")));
        assertRefused("invalid_scope", "scope 'write' is not registered for agent 'c'",
                () -> policy.exchangeScope(List.of("read", "write"), client, List.of("read", "write")));
        assertRefused("invalid_scope", "scope 'write' is not registered for agent 'c'",
                () -> policy.clientCredentialsScope(client, List.of("write")));
        assertEquals(List.of("read"), policy.narrowScope(List.of("read", "read"), List.of(
                new ScopeBound(List.of("read"), s -> "beyond " + s), ScopeBound.registered(client)), null));
    }

    @Test
    void scopeNarrowingWhenNothingRemainsThenInvalidScope() {
        AgentRecord client = agent("c", 5, 600, List.of("admin"), List.of("x"), List.of());
        assertRefused("invalid_scope", "no scope remains: the subject_token's scope and agent 'c''s scopes do not"
                + " intersect", () -> policy.exchangeScope(List.of("read"), client, null));
    }

    // ---- audience (C02–C04, X20) ----

    @Test
    void audienceIsExactlyOneOfTheAgentsAudiences() {
        AgentRecord one = agent("o", 5, 600, List.of("read"), List.of("https://api.example"), List.of());
        AgentRecord two = agent("t", 5, 600, List.of("read"), List.of("https://a.example", "https://b.example"),
                List.of());
        assertEquals("https://api.example", policy.audience(one, List.of()));
        assertEquals("https://b.example", policy.audience(two, List.of("https://b.example")));
        assertRefused("invalid_target", "audience or resource is required", () -> policy.audience(two, List.of()));
        assertRefused("invalid_target", "exactly one audience or resource may be requested",
                () -> policy.audience(two, List.of("https://a.example", "https://b.example")));
        assertRefused("invalid_target", "audience 'https://evil.example' is not allowed for agent 'o'",
                () -> policy.audience(one, List.of("https://evil.example")));
    }

    // ---- lifetime (only shrinks; H08, F10) ----

    @Test
    void lifetimeIsTheSmallestOfTheAgentsTtlTheParentsExpAndTheGlobalCap() {
        AgentRecord shortTtl = agent("s", 5, 300, List.of("read"), List.of("x"), List.of());
        AgentRecord longTtl = agent("l", 5, 86_400, List.of("read"), List.of("x"), List.of());
        assertEquals(NOW.plusSeconds(300), policy.expiry(NOW, shortTtl, null));
        assertEquals(NOW.plusSeconds(3600), policy.expiry(NOW, longTtl, null));
        assertEquals(NOW.plusSeconds(120), policy.expiry(NOW, longTtl, NOW.plusSeconds(120)));
    }

    @Test
    void lifetimeWhenNothingIsLeftOfTheParentThenTheGrantsRefusal() {
        AgentRecord client = agent("c");
        OAuthException expired = OAuthException.invalidRequest("subject_token has expired");
        assertEquals(NOW.plusSeconds(1), policy.remainingExpiry(NOW, client, NOW.plusSeconds(1), expired));
        assertSame(expired, assertThrows(OAuthException.class,
                () -> policy.remainingExpiry(NOW, client, NOW, expired)));
    }
}
