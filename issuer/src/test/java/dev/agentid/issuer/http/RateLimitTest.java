package dev.agentid.issuer.http;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.issuer.client.AdminToken;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void r03AdminTokenGuessingIsLockedOutPerAddressAtEveryPlaceThatTakesTheAdminToken() {
        MutableClock clock = new MutableClock();
        try (TestIssuer issuer = start("admin-guessing", clock, Map.of())) {
            TestAgent a = issuer.register(agent("bystander"));   // with the right token: costs nothing
            // ten wrong guesses, spread over the four places that take the admin token, are each refused as before
            for (int i = 0; i < AdminToken.FAILURE_BURST; i++) {
                assertEquals(401, presentAdmin(issuer, i % 4, a, "guess-" + i).status(), "guess " + i);
            }
            // then the address is locked out everywhere: nothing it presents is compared, the right token included
            for (int place = 0; place < 4; place++) {
                TestIssuer.Response wrong = presentAdmin(issuer, place, a, "guess-again");
                assertRow(wrong, "R03");
                assertEquals("6", wrong.header("Retry-After"));
                assertRow(presentAdmin(issuer, place, a, TestIssuer.ADMIN_TOKEN), "R03");
            }
            // requests that present no admin token are not affected
            assertEquals(200, issuer.clientCredentials(a).status());
            assertEquals(401, issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents/" + a.id))
                    .GET().build()).status());
            // one more try every 6 s: the right token gets in without spending it, a wrong one spends it
            clock.advance(Duration.ofSeconds(AdminToken.SECONDS_PER_FAILURE));
            for (int place = 0; place < 4; place++) {
                assertEquals(200, presentAdmin(issuer, place, a, TestIssuer.ADMIN_TOKEN).status(), "place " + place);
            }
            assertEquals(401, presentAdmin(issuer, 1, a, "guess-11").status());
            assertRow(presentAdmin(issuer, 0, a, TestIssuer.ADMIN_TOKEN), "R03");
            // a minute later the whole budget is back
            clock.advance(Duration.ofSeconds(60));
            for (int i = 0; i < AdminToken.FAILURE_BURST; i++) {
                assertEquals(401, presentAdmin(issuer, 3, a, "later-" + i).status());
            }
            assertRow(presentAdmin(issuer, 3, a, "later"), "R03");
        }
    }

    /**
     * Presents {@code token} as the admin token at one of the places that take it: 0 the admin API, 1 introspection,
     * 2 approvals, 3 the console's break-glass sign-in.
     */
    private static TestIssuer.Response presentAdmin(TestIssuer issuer, int place, TestAgent agent, String token) {
        URI base = URI.create(issuer.url);
        HttpRequest request = switch (place) {
            case 0 -> HttpRequest.newBuilder(base.resolve("/admin/agents/" + agent.id))
                    .header("Authorization", "Bearer " + token).GET().build();
            case 1 -> HttpRequest.newBuilder(base.resolve(Routes.INTROSPECTION_PATH))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=anything")).build();
            case 2 -> HttpRequest.newBuilder(base.resolve(ApprovalsApi.PATH))
                    .header("Authorization", "Bearer " + token).GET().build();
            default -> HttpRequest.newBuilder(base.resolve("/console/login/break-glass"))
                    .header("Content-Type", "application/json")
                    .header("Origin", base.getScheme() + "://" + base.getRawAuthority())
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("admin_token", token).encode()))
                    .build();
        };
        return issuer.send(request);
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
}
