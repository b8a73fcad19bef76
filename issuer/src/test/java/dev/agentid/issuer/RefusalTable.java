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
public final class RefusalTable {

    /** Rows of the sender-constrained token step (DPoP, mutual TLS), exercised by binding/BindingRefusalTest. */
    public static final java.util.List<String> BINDING_PREFIXES = java.util.List.of("D", "M");
    /** Rows of the client-attestation step, exercised by attestation/ClientAttestationTest. */
    public static final java.util.List<String> ATTESTATION_PREFIXES = java.util.List.of("A");
    /** Rows of human principals (federation/idp), exercised by federation/idp/HumanPrincipalRefusalTest. */
    public static final java.util.List<String> HUMAN_PREFIXES = java.util.List.of("H");
    /** Rows of identity chaining across organisations, exercised by federation/FederationTest. */
    public static final java.util.List<String> FEDERATION_PREFIXES = java.util.List.of("F");
    /** Rows of the token endpoint's rate limits, exercised by http/RateLimitTest. */
    public static final java.util.List<String> RATE_LIMIT_PREFIXES = java.util.List.of("R");
    /** Rows of human approval (profile section 6.13), exercised by approval/ApprovalFlowTest. */
    public static final java.util.List<String> APPROVAL_PREFIXES = java.util.List.of("P");
    /** Rows that a class other than TokenEndpointRefusalTest exercises and checks. */
    public static final java.util.List<String> DELEGATED_PREFIXES = java.util.stream.Stream
            .of(BINDING_PREFIXES, ATTESTATION_PREFIXES, HUMAN_PREFIXES, FEDERATION_PREFIXES, RATE_LIMIT_PREFIXES,
                    APPROVAL_PREFIXES)
            .flatMap(java.util.List::stream).toList();

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

    /** The ids of the rows whose id starts with none of the prefixes. */
    public static Set<String> idsExcept(java.util.List<String> prefixes) {
        return select(ids(), prefixes, false);
    }

    public static Set<String> exercisedExcept(java.util.List<String> prefixes) {
        return select(EXERCISED, prefixes, false);
    }

    /** The ids of the rows whose id starts with one of the prefixes. */
    public static Set<String> idsOf(java.util.List<String> prefixes) {
        return select(ids(), prefixes, true);
    }

    public static Set<String> exercisedOf(java.util.List<String> prefixes) {
        return select(EXERCISED, prefixes, true);
    }

    private static Set<String> select(Set<String> ids, java.util.List<String> prefixes, boolean matching) {
        Set<String> selected = new java.util.TreeSet<>();
        for (String id : ids) {
            if (prefixes.stream().anyMatch(id::startsWith) == matching) {
                selected.add(id);
            }
        }
        return selected;
    }

    /** Asserts the response is exactly the row's refusal, with {placeholders} filled in. */
    public static void assertRow(TestIssuer.Response response, String id, String... placeholders) {
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
