package dev.agentid.issuer.http;

import dev.agentid.issuer.MutableClock;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Monitoring's throttle in the rate limiter: one agent held to a rate until a time, the others untouched. */
class ThrottleTest {

    @Test
    void throttledAgentIsHeldToItsRateUntilTheThrottleEnds() {
        MutableClock clock = new MutableClock();
        RateLimiter limiter = RateLimiter.off(clock);
        limiter.throttle("noisy", 1, clock.instant().plus(Duration.ofMinutes(15)));
        assertTrue(limiter.throttled("noisy"));
        assertFalse(limiter.throttled("quiet"));

        assertTrue(limiter.admitClient("noisy", "x").succeeded(), "one request a second goes through");
        Future<String> second = limiter.admitClient("noisy", "x");
        assertTrue(second.failed());
        RateLimiter.Throttled refusal = (RateLimiter.Throttled) second.cause();
        assertEquals("slow_down", refusal.refusal.error());
        assertEquals("too many requests from agent 'noisy'", refusal.refusal.description());
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.admitClient("quiet", "x").succeeded(), "other agents are not throttled");
        }

        clock.advance(Duration.ofSeconds(1));
        assertTrue(limiter.admitClient("noisy", "x").succeeded(), "the bucket refills at the throttle's rate");

        clock.advance(Duration.ofMinutes(15));
        assertFalse(limiter.throttled("noisy"));
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.admitClient("noisy", "x").succeeded(), "the throttle has ended");
        }
    }

    @Test
    void aThrottleUntilThePastLiftsIt() {
        MutableClock clock = new MutableClock();
        RateLimiter limiter = RateLimiter.off(clock);
        limiter.throttle("noisy", 1, clock.instant().plus(Duration.ofMinutes(15)));
        limiter.throttle("noisy", 0, java.time.Instant.EPOCH);
        assertFalse(limiter.throttled("noisy"));
        for (int i = 0; i < 3; i++) {
            assertTrue(limiter.admitClient("noisy", "x").succeeded());
        }
    }
}
