package dev.agentid.issuer.federation.idp;

import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The {@code acts_for} registration field: validation with the exact admin error body, and JSON out. */
class ActsForRegistrationTest {

    @TempDir
    static Path dir;
    static TestIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    static TestIssuer.Response register(String id, Object actsFor) {
        TestAgent a = agent(id).build();
        a.registration.put("acts_for", actsFor);
        return issuer.admin("POST", "/admin/agents", a.registration);
    }

    static void assertBadField(TestIssuer.Response r, String description) {
        assertEquals(400, r.status(), r.body());
        assertEquals(new JsonObject().put("error", "invalid_request").put("error_description", description)
                .put("field", "acts_for"), r.json());
    }

    @Test
    void actsForIsStoredAndReturned() {
        JsonObject actsFor = new JsonObject()
                .put("users", new JsonArray().add("https://idp.example#alice").add("http://127.0.0.1:9100#bob"))
                .put("groups", new JsonArray().add("https://idp.example#support"));
        TestIssuer.Response r = register("acts-1", actsFor);
        assertEquals(201, r.status(), r.body());
        assertEquals(actsFor, r.json().getJsonObject("acts_for"));
        assertEquals(actsFor, issuer.admin("GET", "/admin/agents/acts-1", null).json().getJsonObject("acts_for"));
    }

    @Test
    void actsForSurvivesARestart(@TempDir Path own) {
        JsonObject actsFor = new JsonObject().put("users", new JsonArray().add("https://idp.example#alice"))
                .put("groups", new JsonArray().add("https://idp.example#support"));
        try (TestIssuer first = TestIssuer.start(own)) {
            TestAgent a = agent("acts-persisted").build();
            a.registration.put("acts_for", actsFor);
            assertEquals(201, first.admin("POST", "/admin/agents", a.registration).status());
        }
        try (TestIssuer second = TestIssuer.start(own)) {
            assertEquals(actsFor, second.admin("GET", "/admin/agents/acts-persisted", null).json()
                    .getJsonObject("acts_for"));
        }
    }

    @Test
    void withoutActsForTheAgentActsForNobodyAndNoFieldIsShown() {
        TestAgent a = agent("acts-2").build();
        TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
        assertEquals(201, r.status(), r.body());
        assertFalse(r.json().containsKey("acts_for"));
    }

    @Test
    void registrationWhenActsForIsNotAnObjectThenRefused() {
        assertBadField(register("acts-3", new JsonArray()),
                "acts_for must be a JSON object {\"users\": [...], \"groups\": [...]}");
    }

    @Test
    void registrationWhenActsForHasAnUnknownFieldThenRefused() {
        assertBadField(register("acts-4", new JsonObject().put("roles", new JsonArray())),
                "unknown field 'acts_for.roles'");
    }

    @Test
    void registrationWhenUserIsNotNamespacedByItsIdpThenRefused() {
        assertBadField(register("acts-5", new JsonObject().put("users", new JsonArray().add("alice"))),
                "acts_for.users holds an invalid entry (each entry is '<identity provider issuer>#<sub>')");
    }

    @Test
    void registrationWhenGroupRepeatsThenRefused() {
        assertBadField(register("acts-6", new JsonObject().put("groups",
                        new JsonArray().add("https://idp.example#ops").add("https://idp.example#ops"))),
                "acts_for.groups holds 'https://idp.example#ops' twice (each entry is '<identity provider issuer>#<group>')");
    }
}
