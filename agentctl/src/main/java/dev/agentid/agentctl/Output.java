package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What a command prints on stdout: {@code -o json} the issuer's JSON as it came (pretty-printed, its field order kept),
 * {@code -o table} aligned columns for lists and {@code FIELD  VALUE} lines for one object. Cells: arrays of strings
 * comma-separated, a JWK set as its key ids, other objects as compact JSON, absent or empty as {@code -}.
 */
final class Output {

    private final PrintWriter out;
    private final Connection.Format format;

    Output(PrintWriter out, Connection.Format format) {
        this.out = out;
        this.format = format;
    }

    boolean json() {
        return format == Connection.Format.json;
    }

    /** One column: its heading and how a row's JSON gives its cell. */
    record Column(String heading, Function<JsonObject, Object> value) {
        static Column of(String heading, String field) {
            return new Column(heading, row -> row.getValue(field));
        }
    }

    /** {@code -o json}: {@code whole}; {@code -o table}: one line per row of {@code rows}. */
    void list(JsonObject whole, List<JsonObject> rows, List<Column> columns) {
        if (json()) {
            printJson(whole);
            return;
        }
        List<String[]> lines = new ArrayList<>();
        String[] headings = new String[columns.size()];
        for (int i = 0; i < headings.length; i++) {
            headings[i] = columns.get(i).heading();
        }
        lines.add(headings);
        for (JsonObject row : rows) {
            String[] cells = new String[columns.size()];
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cell(columns.get(i).value().apply(row));
            }
            lines.add(cells);
        }
        printAligned(lines);
    }

    /** {@code -o json}: the object; {@code -o table}: {@code FIELD  VALUE}, one line per member. */
    void object(JsonObject json) {
        if (json()) {
            printJson(json);
            return;
        }
        List<String[]> lines = new ArrayList<>();
        for (String name : json.fieldNames()) {
            Object value = json.getValue(name);
            lines.add(new String[] {name, "jwks".equals(name) && value instanceof JsonObject jwks
                    ? "kids " + cell(kids(jwks)) : cell(value)});
        }
        printAligned(lines);
    }

    void printJson(JsonObject json) {
        out.println(json.encodePrettily());
        out.flush();
    }

    private void printAligned(List<String[]> lines) {
        int columns = lines.isEmpty() ? 0 : lines.get(0).length;
        int[] widths = new int[columns];
        for (String[] line : lines) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        for (String[] line : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                if (i == columns - 1) {
                    b.append(line[i]);
                } else {
                    b.append(line[i]).append(" ".repeat(widths[i] - line[i].length() + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
        out.flush();
    }

    static JsonArray kids(JsonObject jwks) {
        JsonArray kids = new JsonArray();
        JsonArray keys = jwks.getJsonArray("keys", new JsonArray());
        for (Object key : keys) {
            if (key instanceof JsonObject k) {
                kids.add(k.getString("kid", "(no kid)"));
            }
        }
        return kids;
    }

    static String cell(Object value) {
        if (value == null) {
            return "-";
        }
        if (value instanceof JsonArray array) {
            if (array.isEmpty()) {
                return "-";
            }
            List<String> items = new ArrayList<>();
            for (Object item : array) {
                items.add(item instanceof String s ? s
                        : item instanceof JsonObject o ? o.encode() : String.valueOf(item));
            }
            return oneLine(String.join(",", items));
        }
        if (value instanceof JsonObject object) {
            return oneLine(object.encode());
        }
        String text = value.toString();
        return text.isEmpty() ? "-" : oneLine(text);
    }

    /** A cell stays on its line: control characters (a newline in a reason, say) are shown escaped. */
    private static String oneLine(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
