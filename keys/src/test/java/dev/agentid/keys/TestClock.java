package dev.agentid.keys;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand. Thread-safe. */
public final class TestClock extends Clock {

    static final Instant START = Instant.parse("2026-03-01T12:00:00Z");

    private volatile Instant now;

    public TestClock(Instant start) {
        this.now = start;
    }

    public static TestClock atStart() {
        return new TestClock(START);
    }

    public TestClock advance(Duration d) {
        now = now.plus(d);
        return this;
    }

    public TestClock advanceSeconds(long seconds) {
        return advance(Duration.ofSeconds(seconds));
    }

    public TestClock set(Instant instant) {
        now = instant;
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
