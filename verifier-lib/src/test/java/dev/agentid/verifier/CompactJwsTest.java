package dev.agentid.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CompactJwsTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** The definition: decoding then re-encoding gives back the same string. */
    private static boolean reencodes(String s) {
        return Base64URL.encode(new Base64URL(s).decode()).toString().equals(s);
    }

    @Test
    void canonicalCheckAgreesWithReencodingForEveryStringUpToFourCharacters() {
        int checked = 0;
        StringBuilder sb = new StringBuilder();
        for (int length = 1; length <= 3; length++) {
            int combinations = 1 << (6 * length);
            for (int n = 0; n < combinations; n++) {
                sb.setLength(0);
                for (int i = 0; i < length; i++) {
                    sb.append(ALPHABET.charAt((n >> (6 * i)) & 63));
                }
                String s = sb.toString();
                assertEquals(reencodes(s), CompactJws.isCanonical(s.getBytes(StandardCharsets.US_ASCII), 0, s.length()), s);
                checked++;
            }
        }
        // length 4 and 5 with all last characters (the only position that matters)
        for (String prefix : new String[] {"eyJh", "AAAAA", "____"}) {
            for (char c : ALPHABET.toCharArray()) {
                String s = prefix + c;
                assertEquals(reencodes(s), CompactJws.isCanonical(s.getBytes(StandardCharsets.US_ASCII), 0, s.length()), s);
                String t = prefix + "x" + c;
                assertEquals(reencodes(t), CompactJws.isCanonical(t.getBytes(StandardCharsets.US_ASCII), 0, t.length()), t);
                checked += 2;
            }
        }
        assertEquals(64 + 64 * 64 + 64 * 64 * 64 + 3 * 64 * 2, checked);
    }

    @Test
    void splitAcceptsStrictCompactJws() {
        Base64URL[] parts = CompactJws.split("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", false);
        assertNotNull(parts);
        assertEquals("eyJhbGciOiJFUzI1NiJ9", parts[0].toString());
        assertEquals("e30", parts[1].toString());
        assertEquals("AAAA", parts[2].toString());
    }

    @Test
    void splitRefusesAnEmptyPayloadUnlessAllowedAndAlwaysAllowsAnEmptySignature() {
        assertNull(CompactJws.split("eyJ9..AAAA", false));
        assertNotNull(CompactJws.split("eyJ9.e30.", false));
        assertNotNull(CompactJws.split("e30..AAAA", true));
        assertNotNull(CompactJws.split("e30.e30.", true));
        assertNull(CompactJws.split(".e30.AAAA", true));
    }

    @Test
    void splitRefusesEverythingElse() {
        for (String bad : new String[] {null, "", "a", "a.b", "a.b.c.d", "e30.e30.AA==", "e30.e3 0.AAAA",
            "e30.e30.AA+/", "e30.e30.AB", "e30.e30.A", "e30\u00e9.e30.AAAA", "e30.e30.AAAA\n", "e30.e30.AAAA.", ".e30.AAAA", "e30..AAAA"}) {
            assertNull(CompactJws.split(bad, false), String.valueOf(bad));
        }
    }
}
