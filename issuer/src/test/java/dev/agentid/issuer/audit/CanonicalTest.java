package dev.agentid.issuer.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The canonical encoding the record hashes are computed over (docs/AUDIT.md). */
class CanonicalTest {

    @Test
    void keysAreSortedNullsDroppedAndOnlyQuotesBackslashesAndControlsEscaped() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("z", 1L);
        value.put("a", "é \"q\" \\ \n\u0001");
        value.put("m", null);
        value.put("l", List.of(true, 2, "x"));
        assertEquals("{\"a\":\"é \\\"q\\\" \\\\ \\n\\u0001\",\"l\":[true,2,\"x\"],\"z\":1}", Canonical.encode(value));
    }

    /** The writer encodes a record once; its hash and line are those of the record as the verifier rebuilds them. */
    @Test
    void aRecordEncodedOnceHasTheHashAndLineOfTheChainedRecord() throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("grant", "token-exchange");
        fields.put("agent", "é \"q\" \\ \n\u0001\u2028");
        fields.put("parent_jti", null);
        fields.put("chain", List.of(Map.of("sub", "b", "iss", "https://i"), Map.of("sub", "a", "iss", "https://i")));
        fields.put("exp", 1_900_000_000L);
        fields.put("binding", new JsonObject().put("jkt", "abc"));
        Instant time = Instant.parse("2026-12-05T16:00:00.123456789Z");
        java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
        for (Map<String, Object> f : List.of(fields, Map.<String, Object>of())) {
            AuditRecord chained = AuditRecord.chain(42, time, "node-1", AuditEvent.TOKEN_ISSUED, f, "ab".repeat(32));
            AuditRecord.Encoded once = AuditRecord.encode(42, time, "node-1", AuditEvent.TOKEN_ISSUED, f,
                    "ab".repeat(32), sha256);
            assertEquals(chained.hash(), once.hash());
            assertEquals(chained.line() + "\n", new String(once.line(), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(chained.hash(), AuditRecord.parse(chained.line()).computedHash());
        }
    }

    /** Regression: a JsonObject is Iterable (of its entries), so it was encoded as a list and the record refused. */
    @Test
    void nestedVertxJsonIsEncodedAsObjectsAndArrays() {
        JsonObject registration = new JsonObject().put("attestation", new JsonObject().put("required", true)
                .put("digests", new JsonArray().add("sha256:ab"))).put("scopes", new JsonArray().add("read"));
        assertEquals("{\"attestation\":{\"digests\":[\"sha256:ab\"],\"required\":true},\"scopes\":[\"read\"]}",
                Canonical.encode(registration.getMap()));
    }

    @Test
    void aLineParsesBackToTheSameBytesAndHash() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("nested", new JsonObject().put("b", new JsonArray().add(new JsonObject().put("k", "v"))));
        fields.put("text", "ünïcödé\t");
        AuditRecord record = AuditRecord.chain(7, Instant.parse("2026-12-05T12:00:00.120Z"), "n", "t", fields,
                AuditRecord.GENESIS);
        AuditRecord parsed = AuditRecord.parse(record.line());
        assertEquals(record.line(), parsed.line());
        assertEquals(record.hash(), parsed.computedHash());
    }

    @Test
    void fractionsAreNotCanonical() {
        assertThrows(IllegalArgumentException.class, () -> Canonical.encode(Map.of("x", 1.5)));
    }
}
