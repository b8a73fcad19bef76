package dev.agentid.issuer.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code perSecond} log lines per wall-clock second, lock-free: {@link #admit()} says whether a line may be
 * written now and how many were held back since the last one that was. Counts (metrics) stay exact; only the log is
 * thinned.
 */
final class LogBudget {

    private final int perSecond;
    /** The current second (high 32 bits) and the lines admitted in it (low 32 bits). */
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong held = new AtomicLong();

    LogBudget(int perSecond) {
        this.perSecond = perSecond;
    }

    /** -1: do not log; otherwise log, mentioning the returned number of lines held back before it. */
    long admit() {
        return admit(System.currentTimeMillis() / 1000);
    }

    long admit(long second) {
        while (true) {
            long current = window.get();
            long lines = (current >>> 32) == (second & 0xFFFFFFFFL) ? current & 0xFFFFFFFFL : 0;
            if (lines >= perSecond) {
                held.incrementAndGet();
                return -1;
            }
            if (window.compareAndSet(current, ((second & 0xFFFFFFFFL) << 32) | (lines + 1))) {
                return held.getAndSet(0);
            }
        }
    }
}
