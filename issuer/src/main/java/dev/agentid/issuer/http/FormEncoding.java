package dev.agentid.issuer.http;

import dev.agentid.issuer.domain.OAuthException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * T13: a form body must be well-formed {@code application/x-www-form-urlencoded} (RFC 6749 Appendix B): every
 * {@code %} starts a two-digit hexadecimal escape, and every name and value decodes to valid UTF-8. The Nimbus SDK's
 * decoder is lenient (a broken escape or an invalid UTF-8 sequence silently becomes U+FFFD, or the parameter
 * disappears), so a malformed body would otherwise be read as some other, well-formed request. One pass over the
 * bytes, no allocation unless an escape is present.
 */
final class FormEncoding {

    static final String MALFORMED = "the request body is not well-formed application/x-www-form-urlencoded";

    private FormEncoding() {
    }

    /** Throws T13's invalid_request unless {@code body} is well-formed. */
    static void requireWellFormed(String body) {
        if (!wellFormed(body)) {
            throw OAuthException.invalidRequest(MALFORMED);
        }
    }

    static boolean wellFormed(String body) {
        int start = 0;
        int length = body.length();
        while (start <= length) {
            int end = body.indexOf('&', start);
            if (end < 0) {
                end = length;
            }
            int equals = body.indexOf('=', start);
            if (equals < 0 || equals > end) {
                if (!component(body, start, end)) {
                    return false;
                }
            } else if (!component(body, start, equals) || !component(body, equals + 1, end)) {
                return false;
            }
            start = end + 1;
        }
        return true;
    }

    /** One name or value: escapes complete and hexadecimal, the decoded bytes valid UTF-8. */
    private static boolean component(String s, int from, int to) {
        boolean escaped = false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= to) {
                    return false;
                }
                if (hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
                    return false;
                }
                escaped = true;
                i += 2;
            }
        }
        return !escaped || utf8(s, from, to);
    }

    private static boolean utf8(String s, int from, int to) {
        // an escape is 3 chars for 1 byte, a raw char at most 3 bytes (a surrogate pair: 2 chars, 4 bytes)
        ByteBuffer bytes = ByteBuffer.allocate(3 * (to - from));
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                bytes.put((byte) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2))));
                i += 2;
            } else if (c < 0x80) {
                bytes.put((byte) c);
            } else {
                // a raw non-ASCII character (the body was already decoded as UTF-8): its UTF-8 bytes join the
                // escaped ones, so that a sequence split across both is judged whole
                int codePoint = s.codePointAt(i);
                bytes.put(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(codePoint) - 1;
            }
        }
        bytes.flip();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            decoder.decode(bytes);
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
