package dev.agentid.issuer.http;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** R01, R02: the token endpoint's rate limits, against real issuers on port 0 with a clock the test advances. */
class RateLimitTest {

    @TempDir
    static Path dir;

    @AfterAll
    static void allRowsExercised() {
        assertEquals(RefusalTable.idsOf(RefusalTable.RATE_LIMIT_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.RATE_LIMIT_PREFIXES), "every R row of the refusal table has a test");
    }

    static TestIssuer start(String name, MutableClock clock, Map<String, String> limits) {
        return TestIssuer.start(limits, clock, dir.resolve(name), HttpClient.newHttpClient());
    }

    @Test
    void r01TokenRequestFloodFromOneAddressIs429WithRetryAfter() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = start("address", clock, Map.of("ISSUER_RATE_LIMIT_ADDRESS_PER_SECOND", "1",
                "ISSUER_RATE_LIMIT_ADDRESS_BURST", "3"))) {
            TestAgent a = issuer.register(agent("flooder"));
            for (int i = 0; i < 3; i++) {
                assertEquals(200, issuer.clientCredentials(a).status());
            }
            TestIssuer.Response refused = issuer.clientCredentials(a);
            assertRow(refused, "R01");
            assertEquals("1", refused.header("Retry-After"));
            // a malformed request counts too: the limit comes before the body is read
            assertRow(issuer.post(Routes.TOKEN_PATH, "application/x-www-form-urlencoded", "%"), "R01");
            // other endpoints are not limited
            assertEquals(200, issuer.admin("GET", "/admin/agents/" + a.id, null).status());
            clock.advance(Duration.ofSeconds(1));
            assertEquals(200, issuer.clientCredentials(a).status());
            assertRow(issuer.clientCredentials(a), "R01");
            assertEquals(3, issuer.server.rateLimiter().refused());
        }
    }

    @Test
    void r02OneAgentsFloodIs429ForThatAgentOnly() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = start("client", clock, Map.of("ISSUER_RATE_LIMIT_CLIENT_PER_SECOND", "1",
                "ISSUER_RATE_LIMIT_CLIENT_BURST", "2"))) {
            TestAgent a = issuer.register(agent("greedy"));
            TestAgent b = issuer.register(agent("modest"));
            assertEquals(200, issuer.clientCredentials(a).status());
            assertEquals(200, issuer.clientCredentials(a).status());
            TestIssuer.Response refused = issuer.clientCredentials(a);
            assertRow(refused, "R02", "agent", a.id);
            assertEquals("1", refused.header("Retry-After"));
            assertEquals(200, issuer.clientCredentials(b).status(), "another agent keeps its own budget");
            // naming the agent without authenticating as it spends nothing of its budget
            clock.advance(Duration.ofSeconds(2));
            for (int i = 0; i < 5; i++) {
                assertEquals(401, issuer.token(Map.of("grant_type", "client_credentials", "client_id", a.id,
                        "client_assertion_type", TestIssuer.JWT_BEARER, "client_assertion",
                        b.assertion(issuer.url))).status());
            }
            assertEquals(200, issuer.clientCredentials(a).status());
        }
    }

    @Test
    void defaultConfigurationHasNoLimit() {
        try (TestIssuer issuer = start("default", new MutableClock(), Map.of())) {
            TestAgent a = issuer.register(agent("busy"));
            for (int i = 0; i < 50; i++) {
                assertEquals(200, issuer.clientCredentials(a).status());
            }
            assertEquals(0, issuer.server.rateLimiter().refused());
        }
    }

    /** The per-address buckets are keyed by unauthenticated input: they must not grow without bound. */
    @Test
    void addressBucketsStayBoundedUnderManyAddresses() {
        MutableClock clock = new MutableClock();
        RateLimiter.Buckets buckets = new RateLimiter.Buckets(1, 2, 100, clock);
        for (int i = 0; i < 10_000; i++) {
            buckets.take("10.0." + (i / 256) + "." + (i % 256));
        }
        assertTrue(buckets.map.size() <= 100, "buckets: " + buckets.map.size());
        // beyond the bound, new addresses share the overflow bucket: still limited
        long admitted = 0;
        for (int i = 0; i < 10; i++) {
            if (buckets.take("192.168.0." + i) == 0) {
                admitted++;
            }
        }
        assertTrue(admitted <= 2, "the overflow bucket admitted " + admitted);
        // idle buckets (refilled) are evicted to make room for new keys
        clock.advance(Duration.ofSeconds(5));
        assertEquals(0, buckets.take("fresh"));
        assertTrue(buckets.map.containsKey("fresh"));
        assertTrue(buckets.map.size() <= 100);
    }
}
