package dev.agentid.verifier;

import com.nimbusds.jose.util.Base64URL;

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

    private static final boolean[] ALPHABET = new boolean[128];
    private static final int[] VALUE = new int[128];

    static {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int i = 0; i < chars.length(); i++) {
            ALPHABET[chars.charAt(i)] = true;
            VALUE[chars.charAt(i)] = i;
        }
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
        if (jws == null) {
            return null;
        }
        int first = -1;
        int second = -1;
        int length = jws.length();
        for (int i = 0; i < length; i++) {
            char c = jws.charAt(i);
            if (c == '.') {
                if (first < 0) {
                    first = i;
                } else if (second < 0) {
                    second = i;
                } else {
                    return null;
                }
            } else if (c >= 128 || !ALPHABET[c]) {
                return null;
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
        return new Base64URL[] {
                new Base64URL(jws.substring(0, first)),
                new Base64URL(jws.substring(first + 1, second)),
                new Base64URL(jws.substring(second + 1))};
    }

    /**
     * Whether {@code s[from, to)}, already known to hold only base64url alphabet characters, is the
     * canonical unpadded encoding of some byte string.
     */
    static boolean isCanonical(String s, int from, int to) {
        int length = to - from;
        switch (length & 3) {
            case 0:
                return true;
            case 1:
                return false;
            case 2:
                // 12 bits, 8 used: the low 4 bits of the last character must be zero
                return (VALUE[s.charAt(to - 1)] & 0x0f) == 0;
            default:
                // 18 bits, 16 used: the low 2 bits of the last character must be zero
                return (VALUE[s.charAt(to - 1)] & 0x03) == 0;
        }
    }
}
