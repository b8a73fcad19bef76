package dev.agentid.agentctl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Request bodies from files: a JSON object ({@code .json}) or the same object written as YAML ({@code .yaml},
 * {@code .yml}; any other name, and {@code -} for stdin, is read as JSON, then YAML). YAML is read with SnakeYAML's
 * safe constructor (plain maps, lists and scalars, no object construction, aliases bounded) and must map onto JSON:
 * string keys, no timestamps or binary values. A file that cannot be read or is not such an object is a usage error (exit 2); nothing is sent.
 */
final class Documents {

    static final int MAX_BYTES = 64 * 1024;

    private Documents() {
    }

    /** {@code file}, or {@code stdin} when the file is {@code -}. */
    static JsonObject read(Path file, InputStream stdin) {
        String text;
        boolean fromStdin = file.toString().equals("-");
        try {
            if (fromStdin) {
                byte[] bytes = stdin.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw bad(file, "larger than " + MAX_BYTES + " bytes");
                }
                text = new String(bytes, StandardCharsets.UTF_8);
            } else {
                if (Files.size(file) > MAX_BYTES) {
                    throw bad(file, "larger than " + MAX_BYTES + " bytes");
                }
                text = Files.readString(file, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw bad(file, "cannot read it (" + e.getClass().getSimpleName() + ")");
        }
        String name = fromStdin ? "-" : file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            return yaml(file, text);
        }
        try {
            return json(file, text);
        } catch (CliException e) {
            if (name.endsWith(".json")) {
                throw e;
            }
            return yaml(file, text);
        }
    }

    private static JsonObject json(Path file, String text) {
        Object value;
        try {
            value = Json.decodeValue(text);
        } catch (DecodeException e) {
            throw bad(file, "not valid JSON");
        }
        if (!(value instanceof JsonObject)) {
            throw bad(file, "not a JSON object");
        }
        return (JsonObject) value;
    }

    private static JsonObject yaml(Path file, String text) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(20);
        options.setAllowDuplicateKeys(false);
        Object value;
        try {
            value = new Yaml(new SafeConstructor(options)).load(text);
        } catch (YAMLException e) {
            throw bad(file, "not valid YAML (" + firstLine(e.getMessage()) + ")");
        }
        if (!(value instanceof Map)) {
            throw bad(file, "not a YAML mapping (an object)");
        }
        return (JsonObject) toJson(file, value, "");
    }

    /** YAML's values as JSON's: maps with string keys, lists, strings, numbers, booleans, null. */
    private static Object toJson(Path file, Object value, String at) {
        if (value instanceof Map<?, ?> map) {
            JsonObject json = new JsonObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw bad(file, "key " + e.getKey() + (at.isEmpty() ? "" : " in " + at) + " is not a string");
                }
                json.put(key, toJson(file, e.getValue(), at.isEmpty() ? key : at + "." + key));
            }
            return json;
        }
        if (value instanceof List<?> list) {
            JsonArray json = new JsonArray();
            for (int i = 0; i < list.size(); i++) {
                json.add(toJson(file, list.get(i), at + "[" + i + "]"));
            }
            return json;
        }
        if (value instanceof BigInteger big) {
            throw bad(file, at + ": the number " + big + " is too large");
        }
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number) {
            return value;
        }
        throw bad(file, at + ": a YAML " + value.getClass().getSimpleName()
                + " has no JSON form; quote it to make it a string");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "syntax error";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private static CliException bad(Path file, String why) {
        return new CliException(Agentctl.USAGE, file + ": " + why);
    }
}
