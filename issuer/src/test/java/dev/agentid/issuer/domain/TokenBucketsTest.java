package dev.agentid.issuer.domain;

import dev.agentid.issuer.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketsTest {

    /** The per-address buckets are keyed by unauthenticated input: they must not grow without bound. */
    @Test
    void addressBucketsStayBoundedUnderManyAddresses() {
        MutableClock clock = new MutableClock();
        TokenBuckets buckets = new TokenBuckets(1, 2, 100, clock);
        for (int i = 0; i < 10_000; i++) {
            buckets.take("10.0." + (i / 256) + "." + (i % 256));
        }
        assertTrue(buckets.map.size() <= 100, "buckets: " + buckets.map.size());
        // beyond the bound, new addresses share the overflow bucket: still limited
        long admitted = 0;
        for (int i = 0; i < 10; i++) {
            if (buckets.take("192.168.0." + i) == 0) {
                admitted++;
            }
        }
        assertTrue(admitted <= 2, "the overflow bucket admitted " + admitted);
        // idle buckets (refilled) are evicted to make room for new keys
        clock.advance(Duration.ofSeconds(5));
        assertEquals(0, buckets.take("fresh"));
        assertTrue(buckets.map.containsKey("fresh"));
        assertTrue(buckets.map.size() <= 100);
    }

    @Test
    void waitMillisLooksWithoutTaking() {
        MutableClock clock = new MutableClock();
        TokenBuckets buckets = new TokenBuckets(0.5, 2, 100, clock);   // a token every 2 s
        assertEquals(0, buckets.waitMillis("a"), "a new key's bucket is full");
        assertEquals(0, buckets.waitMillis("a"), "looking takes nothing");
        assertEquals(0, buckets.take("a"));
        assertEquals(0, buckets.take("a"));
        assertEquals(2000, buckets.waitMillis("a"));
        assertEquals(2000, buckets.take("a"), "an empty bucket gives nothing");
        clock.advance(Duration.ofMillis(1500));
        assertEquals(500, buckets.waitMillis("a"));
        clock.advance(Duration.ofMillis(500));
        assertEquals(0, buckets.waitMillis("a"));
        assertEquals(0, buckets.waitMillis("b"), "other keys are untouched");
    }
}
