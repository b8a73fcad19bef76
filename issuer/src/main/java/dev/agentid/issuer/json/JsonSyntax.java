package dev.agentid.issuer.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The syntax check of an operator's JSON file (trust file, attesters file), so that a missing {@code '}'} is reported
 * as {@code line 3, column 5: expected '}'} and not as "not a JSON object". Only the structure is read (Jackson's
 * streaming tokenizer); the message never quotes the file, which may hold key material.
 */
public final class JsonSyntax {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private static final java.util.regex.Pattern CLOSE =
            java.util.regex.Pattern.compile("Unexpected close marker '(.)': expected '(.)'");

    private JsonSyntax() {
    }

    /**
     * @throws IllegalArgumentException {@code line L, column C: what was expected} when {@code text} is not one
     *     well-formed JSON value
     */
    public static void check(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                throw new IllegalArgumentException("line 1, column 1: the file is empty, expected a JSON object");
            }
            parser.skipChildren();
            JsonToken after = parser.nextToken();
            if (after != null) {
                throw new IllegalArgumentException(at(parser.currentTokenLocation())
                        + "unexpected text after the end of the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(at(e.getLocation()) + describe(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : "line " + location.getLineNr() + ", column " + location.getColumnNr() + ": ";
    }

    /** Jackson's message in a few words: the first clause, without its quotation of the source. */
    static String describe(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        if (message.contains("expected close marker for Object") || message.contains("expected close marker for OBJECT")) {
            return "expected '}' (the file ends inside an object)";
        }
        if (message.contains("expected close marker for Array") || message.contains("expected close marker for ARRAY")) {
            return "expected ']' (the file ends inside an array)";
        }
        if (message.contains("was expecting double-quote to start field name")) {
            return "expected '\"' to start a member name (a trailing comma, or a name without quotes?)";
        }
        if (message.contains("was expecting comma to separate Object entries")) {
            return "expected ',' or '}' (a missing comma between members?)";
        }
        if (message.contains("was expecting comma to separate Array entries")) {
            return "expected ',' or ']' (a missing comma between array entries?)";
        }
        if (message.contains("was expecting a colon to separate field name and value")) {
            return "expected ':' after a member name";
        }
        java.util.regex.Matcher close = CLOSE.matcher(message);
        if (close.find()) {
            return "expected '" + close.group(2) + "' before '" + close.group(1) + "'";
        }
        if (message.startsWith("Unrecognized token")) {
            return "unrecognized word: expected a string in quotes, a number, true, false, null, '{' or '['";
        }
        String first = message.split("\n", 2)[0];
        int source = first.indexOf(" (start marker at");
        if (source < 0) {
            source = first.indexOf(" (for ");
        }
        if (source < 0) {
            source = first.indexOf(" at [Source:");
        }
        return source < 0 ? first : first.substring(0, source);
    }
}
