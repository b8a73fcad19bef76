package dev.agentid.issuer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 14: refusals at the introspection and revocation endpoints are audit events too, without the token. */
class IntrospectionRevocationAuditTest {

    @TempDir
    Path dir;

    @Test
    void probingIntrospectionAndRevocationWithoutCredentialsLeavesRefusalRecords() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            String probe = "eyJhbGciOiJFUzI1NiJ9.probe-token-value.sig";
            TestIssuer.Response introspection = issuer.post("/oauth2/introspect",
                    "application/x-www-form-urlencoded", "token=" + probe + "&client_id=someone-else");
            assertEquals(401, introspection.status(), introspection.body());
            TestIssuer.Response revocation = issuer.post("/oauth2/revoke",
                    "application/x-www-form-urlencoded", "token=" + probe);
            assertEquals(401, revocation.status(), revocation.body());

            JsonArray events = new JsonArray();
            for (int i = 0; i < 100 && events.size() < 2; i++) {
                TestIssuer.Response r = issuer.admin("GET", "/admin/audit?type=token.refused", null);
                assertEquals(200, r.status(), r.body());
                events = r.json().getJsonArray("events");
                if (events.size() < 2) {
                    Thread.sleep(20);
                }
            }
            assertEquals(2, events.size(), events.encodePrettily());
            JsonObject first = events.getJsonObject(0).getJsonObject("fields");
            assertEquals("introspection", first.getString("endpoint"));
            assertEquals("invalid_client", first.getString("error"));
            JsonObject second = events.getJsonObject(1).getJsonObject("fields");
            assertEquals("revocation", second.getString("endpoint"));
            assertEquals("invalid_client", second.getString("error"));
            assertFalse(events.encode().contains("probe-token-value"), "never the token");
            assertTrue(first.getValue("authenticated") == null || !first.getBoolean("authenticated"));
        }
    }
}
