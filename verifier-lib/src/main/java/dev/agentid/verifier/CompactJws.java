package dev.agentid.verifier;

import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;

/**
 * Strict syntax check of a compact JWS, done before Nimbus parses anything.
 *
 * <p>Accepts exactly {@code ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$} (with {@code *} instead of
 * {@code +} for the payload too when {@code allowEmptyPayload} is set), where every part is
 * canonical unpadded base64url: decoding and re-encoding gives the same string. That is the case
 * exactly when the part length is not {@code 1 mod 4} and the bits of the last character that do not
 * encode a whole byte are zero, which is what {@link #isCanonical} checks without allocating.
 *
 * <p>The signature may be empty here (profile section 5.2.2) so that an unsecured {@code alg: none}
 * JWS is reported as an unsupported algorithm; an empty signature never verifies.
 *
 * <p>Nimbus alone tolerates whitespace, padding, foreign characters and non-zero trailing bits (see
 * the Wycheproof {@code base64} vectors), so that several strings would verify as the same token.
 */
final class CompactJws {

    private static final byte BASE64URL = 1;
    private static final byte DOT = 2;
    /** What each byte value is: the base64url alphabet, the dot, or (0) anything else. */
    private static final byte[] KIND = new byte[256];
    private static final int[] VALUE = new int[128];

    static {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < chars.length(); i++) {
            KIND[chars.charAt(i)] = BASE64URL;
            VALUE[chars.charAt(i)] = i;
        }
        KIND['.'] = DOT;
    }

    private CompactJws() {
    }

    /**
     * Splits a compact JWS into its three base64url parts, or returns null when the string is not a
     * strict compact JWS.
     *
     * @param allowEmptyPayload whether the payload may be empty (plain JWS test data); agent tokens
     *                          always have a payload
     */
    static Base64URL[] split(String jws, boolean allowEmptyPayload) {
        int[] dots = dots(jws, allowEmptyPayload);
        if (dots == null) {
            return null;
        }
        return new Base64URL[] {
                new Base64URL(jws.substring(0, dots[0])),
                new Base64URL(jws.substring(dots[0] + 1, dots[1])),
                new Base64URL(jws.substring(dots[1] + 1))};
    }

    /**
     * The positions of the two dots of a strict compact JWS (the same check as {@link #split}, without
     * cutting the parts out), or null when the string is not one.
     */
    static int[] dots(String jws, boolean allowEmptyPayload) {
        return jws == null ? null : dots(jws.getBytes(StandardCharsets.ISO_8859_1), allowEmptyPayload);
    }

    /**
     * {@link #dots(String, boolean)} on the ISO 8859-1 bytes of the string: a character outside ISO 8859-1
     * becomes {@code '?'} and one above 127 a negative byte, neither of which is in the alphabet, so the
     * answer is the same, and bytes that pass are the token's ASCII.
     */
    static int[] dots(byte[] jws, boolean allowEmptyPayload) {
        int first = -1;
        int second = -1;
        int length = jws.length;
        for (int i = 0; i < length; i++) {
            byte kind = KIND[jws[i] & 0xff];
            if (kind != BASE64URL) {
                if (kind != DOT) {
                    return null;
                }
                if (first < 0) {
                    first = i;
                } else if (second < 0) {
                    second = i;
                } else {
                    return null;
                }
            }
        }
        if (second < 0 || first == 0) {
            return null;
        }
        if (!allowEmptyPayload && second == first + 1) {
            return null;
        }
        if (!isCanonical(jws, 0, first) || !isCanonical(jws, first + 1, second)
                || !isCanonical(jws, second + 1, length)) {
            return null;
        }
        return new int[] {first, second};
    }

    /**
     * Whether {@code s[from, to)}, already known to hold only base64url alphabet characters, is the
     * canonical unpadded encoding of some byte string.
     */
    static boolean isCanonical(byte[] s, int from, int to) {
        int length = to - from;
        switch (length & 3) {
            case 0:
                return true;
            case 1:
                return false;
            case 2:
                // 12 bits, 8 used: the low 4 bits of the last character must be zero
                return (VALUE[s[to - 1]] & 0x0f) == 0;
            default:
                // 18 bits, 16 used: the low 2 bits of the last character must be zero
                return (VALUE[s[to - 1]] & 0x03) == 0;
        }
    }
}
