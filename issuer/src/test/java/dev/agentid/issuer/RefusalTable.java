package dev.agentid.issuer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The refusal table of the profile (spec/refusals/token-endpoint.json), as tests consume it. */
final class RefusalTable {

    static final Path FILE = Path.of(System.getProperty("user.dir")).resolveSibling("spec")
            .resolve("refusals").resolve("token-endpoint.json");

    private static final Map<String, JsonObject> ROWS = load();
    private static final Set<String> EXERCISED = ConcurrentHashMap.newKeySet();

    private RefusalTable() {
    }

    private static Map<String, JsonObject> load() {
        try {
            JsonArray rows = new JsonObject(Files.readString(FILE)).getJsonArray("rows");
            Map<String, JsonObject> byId = new LinkedHashMap<>();
            for (int i = 0; i < rows.size(); i++) {
                byId.put(rows.getJsonObject(i).getString("id"), rows.getJsonObject(i));
            }
            return byId;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<String> ids() {
        return ROWS.keySet();
    }

    static Set<String> exercised() {
        return EXERCISED;
    }

    /** Asserts the response is exactly the row's refusal, with {placeholders} filled in. */
    static void assertRow(TestIssuer.Response response, String id, String... placeholders) {
        JsonObject row = ROWS.get(id);
        assertNotNull(row, "no row " + id + " in " + FILE);
        String description = row.getString("error_description");
        assertNotNull(description, "row " + id + " has a description");
        for (int i = 0; i < placeholders.length; i += 2) {
            description = description.replace("{" + placeholders[i] + "}", placeholders[i + 1]);
        }
        TestIssuer.assertError(response, row.getInteger("status"), row.getString("error"), description);
        EXERCISED.add(id);
    }
}
