package dev.agentid.issuer.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of a node's audit log: {@code seq} (1, 2, ... per node), {@code time} (ISO-8601, milliseconds), the
 * {@code node}, the stable event {@code type}, its {@code fields}, {@code prev} (the previous record's hash; 64 zeros
 * for the first record of a log) and {@code hash}: the lowercase hex SHA-256 of the {@link Canonical canonical
 * encoding} of the record's other six members. A line is the canonical encoding of all seven, then {@code \n}.
 */
public record AuditRecord(long seq, Instant time, String node, String type, Map<String, Object> fields, String prev,
                          String hash) {

    /** {@code prev} of the first record of a log. */
    public static final String GENESIS = "0".repeat(64);

    /** A record whose hash is computed here. */
    public static AuditRecord chain(long seq, Instant time, String node, String type, Map<String, Object> fields,
                                    String prev) {
        Instant millis = time.truncatedTo(ChronoUnit.MILLIS);
        return new AuditRecord(seq, millis, node, type, fields, prev,
                Canonical.sha256(Canonical.encode(body(seq, millis, node, type, fields, prev))));
    }

    /** A record's hash and its log line with the newline, as UTF-8. */
    record Encoded(String hash, byte[] line) {
    }

    /**
     * What {@link #chain} and {@link #line} give, encoded once: the canonical order of the members puts {@code fields}
     * first and {@code hash} right after it, so the line is the hashed body with the hash spliced in, and the fields
     * (the bulk of a record) are encoded once instead of twice. {@code sha256} is the caller's own (the writer's).
     */
    static Encoded encode(long seq, Instant time, String node, String type, Map<String, Object> fields, String prev,
                          MessageDigest sha256) {
        StringBuilder out = new StringBuilder(768);
        out.append("{\"fields\":");
        Canonical.write(out, fields);
        int splice = out.length();
        out.append(",\"node\":");
        Canonical.string(out, node);
        out.append(",\"prev\":");
        Canonical.string(out, prev);
        out.append(",\"seq\":").append(seq);
        out.append(",\"time\":");
        Canonical.string(out, time.truncatedTo(ChronoUnit.MILLIS).toString());
        out.append(",\"type\":");
        Canonical.string(out, type);
        out.append('}');
        sha256.reset();
        String hash = HEX.formatHex(sha256.digest(out.toString().getBytes(StandardCharsets.UTF_8)));
        out.insert(splice, ",\"hash\":\"" + hash + '"');
        out.append('\n');
        return new Encoded(hash, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static final HexFormat HEX = HexFormat.of();

    private static Map<String, Object> body(long seq, Instant time, String node, String type,
                                            Map<String, Object> fields, String prev) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("seq", seq);
        body.put("time", time.toString());
        body.put("node", node);
        body.put("type", type);
        body.put("fields", fields);
        body.put("prev", prev);
        return body;
    }

    /** The hash this record's content yields (equal to {@link #hash} unless the record was altered). */
    public String computedHash() {
        return Canonical.sha256(Canonical.encode(body(seq, time, node, type, fields, prev)));
    }

    /** The log line, without the newline. */
    public String line() {
        Map<String, Object> all = body(seq, time, node, type, fields, prev);
        all.put("hash", hash);
        return Canonical.encode(all);
    }

    /** The record as JSON (the admin API's representation: the log line's members). */
    public JsonObject toJson() {
        return new JsonObject(line());
    }

    /**
     * Parses one log line.
     *
     * @throws IllegalArgumentException if it is not a record of this shape
     */
    @SuppressWarnings("unchecked")
    public static AuditRecord parse(String line) {
        JsonObject json;
        try {
            json = new JsonObject(line);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("not a JSON object");
        }
        try {
            Object seq = json.getValue("seq");
            if (!(seq instanceof Integer || seq instanceof Long) || json.size() != 7) {
                throw new IllegalArgumentException("not an audit record");
            }
            JsonObject fields = json.getJsonObject("fields");
            String prev = json.getString("prev");
            String hash = json.getString("hash");
            if (fields == null || prev == null || hash == null || json.getString("node") == null
                    || json.getString("type") == null) {
                throw new IllegalArgumentException("not an audit record");
            }
            return new AuditRecord(((Number) seq).longValue(), Instant.parse(json.getString("time")),
                    json.getString("node"), json.getString("type"), fields.getMap(), prev, hash);
        } catch (ClassCastException | DateTimeParseException e) {
            throw new IllegalArgumentException("not an audit record");
        }
    }

    /** A string member of the fields, or null. */
    public String field(String name) {
        Object value = fields.get(name);
        return value instanceof String s ? s : null;
    }
}
