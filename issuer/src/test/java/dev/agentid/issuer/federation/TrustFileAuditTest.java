package dev.agentid.issuer.federation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 14: a trust-file change is an audit event, with the partners added and removed; an unchanged reload is not. */
class TrustFileAuditTest {

    @TempDir
    Path dir;

    @Test
    void aChangedTrustFileIsRecordedWithThePartnersAddedAndRemoved() throws Exception {
        try (Organisation b = Organisation.start("b", dir); Organisation a = Organisation.start("a", dir)) {
            a.trust(b, Map.of()).apply();
            JsonObject added = awaitChanges(a, 1).getJsonObject(0).getJsonObject("fields");
            assertEquals("trust-file", added.getString("by"));
            assertEquals(List.of(b.url()), added.getJsonArray("added").getList());
            assertEquals(List.of(b.url()), added.getJsonArray("partners").getList());
            assertTrue(added.getJsonArray("removed").isEmpty());

            a.apply();   // the same content, reloaded: nothing changed, nothing recorded
            a.distrustAll().apply();
            JsonArray changes = awaitChanges(a, 2);
            assertEquals(2, changes.size(), changes.encodePrettily());
            JsonObject removed = changes.getJsonObject(1).getJsonObject("fields");
            assertEquals(List.of(b.url()), removed.getJsonArray("removed").getList());
            assertTrue(removed.getJsonArray("partners").isEmpty());
            assertTrue(!changes.encode().contains("BEGIN") && !changes.encode().contains("\"d\""),
                    "no key material in the record");
        }
    }

    private static JsonArray awaitChanges(Organisation org, int count) throws InterruptedException {
        JsonArray events = new JsonArray();
        for (int i = 0; i < 100 && events.size() < count; i++) {
            var r = org.issuer.admin("GET", "/admin/audit?type=trust.changed&scope=node", null);
            assertEquals(200, r.status(), r.body());
            events = r.json().getJsonArray("events");
            if (events.size() < count) {
                Thread.sleep(20);
            }
        }
        return events;
    }
}
