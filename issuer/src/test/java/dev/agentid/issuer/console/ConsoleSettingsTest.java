package dev.agentid.issuer.console;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trust file's console object: roles from the IdP's users and groups, and what a bad object is refused for. */
class ConsoleSettingsTest {

    static final String IDP = "https://idp.example";

    static JsonObject console() {
        return new JsonObject("{\"idp\": \"" + IDP + "\", \"client_id\": \"console\", \"client_secret\": \"s\","
                + " \"roles\": {\"viewer\": {\"groups\": [\"" + IDP + "#security\"]},"
                + " \"operator\": {\"groups\": [\"" + IDP + "#sre\"], \"users\": [\"" + IDP + "#alice\"]},"
                + " \"approver\": {\"groups\": [\"" + IDP + "#finance\"]}}}");
    }

    @Test
    void aHumanHoldsEveryRoleThatListsHerOrOneOfHerGroups() {
        ConsoleSettings s = ConsoleSettings.parse(console(), List.of(IDP));
        assertTrue(s.signInConfigured());
        assertEquals(List.of("openid"), s.scopes());
        assertEquals(Set.of(Role.VIEWER), s.rolesOf(IDP + "#bob", List.of(IDP + "#security")));
        assertEquals(Set.of(Role.OPERATOR), s.rolesOf(IDP + "#alice", List.of()));
        assertEquals(Set.of(Role.OPERATOR, Role.APPROVER), s.rolesOf(IDP + "#carol",
                List.of(IDP + "#sre", IDP + "#finance")));
        assertEquals(Set.of(), s.rolesOf(IDP + "#mallory", List.of(IDP + "#everyone")));
        assertEquals(Set.of(), s.rolesOf("https://other.example#alice", List.of("https://other.example#sre")),
                "the same names at another IdP are other people");
        assertEquals(ConsoleSettings.DEFAULT_IDLE, s.idle());
    }

    @Test
    void withoutAConsoleObjectOnlyBreakGlassIsOffered() {
        assertFalse(ConsoleSettings.parse(null, List.of(IDP)).signInConfigured());
    }

    @Test
    void aBadConsoleObjectIsRefusedNamingTheProblem() {
        assertEquals("console.idp 'https://idp.example' is not among identity_providers", assertThrows(
                IllegalArgumentException.class, () -> ConsoleSettings.parse(console(), List.of())).getMessage());
        assertEquals("console.roles: unknown role 'admin' (viewer, operator, approver)", assertThrows(
                IllegalArgumentException.class, () -> ConsoleSettings.parse(console().put("roles",
                        new JsonObject().put("admin", new JsonObject())), List.of(IDP))).getMessage());
        assertEquals("console.roles.viewer: 'sre' must be 'https://idp.example#<sub or group>'", assertThrows(
                IllegalArgumentException.class, () -> ConsoleSettings.parse(console().put("roles",
                        new JsonObject("{\"viewer\": {\"groups\": [\"sre\"]}}")), List.of(IDP))).getMessage());
        assertEquals("console: unknown field 'secret'", assertThrows(IllegalArgumentException.class,
                () -> ConsoleSettings.parse(console().put("secret", "x"), List.of(IDP))).getMessage());
        assertEquals("console.scopes must include openid", assertThrows(IllegalArgumentException.class,
                () -> ConsoleSettings.parse(console().put("scopes", new io.vertx.core.json.JsonArray()
                        .add("groups")), List.of(IDP))).getMessage());
    }
}
