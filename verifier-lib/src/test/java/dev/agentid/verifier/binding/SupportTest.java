package dev.agentid.verifier.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The replay cache, the nonce source and htu normalization. */
class SupportTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final MutableClock clock = new MutableClock(NOW);

    @Test
    void replayCacheAcceptsAnIdOnceUntilItExpires() {
        InMemoryReplayCache cache = new InMemoryReplayCache(clock);

        assertTrue(cache.firstUse("a", NOW.plusSeconds(60)));
        assertFalse(cache.firstUse("a", NOW.plusSeconds(60)));
        clock.advance(Duration.ofSeconds(60));
        assertTrue(cache.firstUse("a", NOW.plusSeconds(120)));
    }

    @Test
    void fullReplayCacheSweepsExpiredIdsAndOtherwiseRefusesToAnswer() {
        InMemoryReplayCache cache = new InMemoryReplayCache(clock, 4);
        for (int i = 0; i < 4; i++) {
            assertTrue(cache.firstUse("id" + i, NOW.plusSeconds(10 + i)));
        }

        assertThrows(IllegalStateException.class, () -> cache.firstUse("id9", NOW.plusSeconds(60)));
        assertFalse(cache.firstUse("id0", NOW.plusSeconds(60)), "a known id is still a replay when full");
        clock.advance(Duration.ofSeconds(11));
        assertTrue(cache.firstUse("id9", NOW.plusSeconds(60)));
        assertTrue(cache.size() <= 4, "expired ids were swept: " + cache.size());
    }

    @Test
    void nonceSourceAcceptsTheCurrentAndThePreviousNonceOnly() {
        RotatingNonceSource nonces = new RotatingNonceSource(clock, Duration.ofMinutes(5));
        String first = nonces.currentNonce();
        assertTrue(nonces.isValid(first));
        assertFalse(nonces.isValid("other"));
        assertFalse(nonces.isValid(null));

        clock.advance(Duration.ofMinutes(5));
        String second = nonces.currentNonce();
        assertNotEquals(first, second);
        assertTrue(nonces.isValid(first));
        assertTrue(nonces.isValid(second));

        clock.advance(Duration.ofMinutes(5));
        assertFalse(nonces.isValid(first));
        assertTrue(nonces.isValid(second));

        clock.advance(Duration.ofMinutes(11));
        assertFalse(nonces.isValid(second), "after two idle periods no old nonce is accepted");
    }

    @Test
    void targetUriIsNormalizedWithoutQueryAndFragment() {
        assertEquals("https://api.test/a/b", TargetUri.normalize("HTTPS://Api.Test:443/a/./c/../b?q=1#f"));
        assertEquals("http://api.test/", TargetUri.normalize("http://api.test:80"));
        assertEquals("http://api.test:8080/%2F~x", TargetUri.normalize("http://api.test:8080/%2f%7Ex"));
        assertEquals("https://api.test/", TargetUri.normalize("https://api.test/../.."));
        assertNull(TargetUri.normalize("/relative"));
        assertNull(TargetUri.normalize("ftp://api.test/"));
        assertNull(TargetUri.normalize("https://api.test/ spaces"));
        assertNull(TargetUri.normalize("urn:x:y"));
    }

    @Test
    void confirmationFactoriesCheckTheThumbprint() {
        assertThrows(IllegalArgumentException.class, () -> Confirmation.ofJwkThumbprint("abc"));
        assertEquals(java.util.Map.of("x5t#S256", "8kyS601TwWiKSaY5275-_NnbSyFycalCRgacsZQouJ8"),
                Confirmation.ofCertificateThumbprint("8kyS601TwWiKSaY5275-_NnbSyFycalCRgacsZQouJ8").toClaim());
    }
}
