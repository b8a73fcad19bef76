package dev.agentid.issuer.monitor;

/**
 * An agent's normal rate of one kind of event, per minute: an exponentially weighted moving average of its complete
 * minutes (weight {@link #ALPHA}, so the last ~10 minutes dominate), and its busiest minute, decaying with a half-life
 * of a day (so a daily peak is remembered until the next day). The baseline is the larger of the two: a rate that
 * ramps up every morning is not a burst, a rate 20 times the day's peak is.
 */
final class RateBaseline {

    static final double ALPHA = 0.1;
    /** Per minute: half-life 24 h. */
    static final double PEAK_DECAY = Math.pow(0.5, 1.0 / 1440);

    private double ewma;
    private double peak;
    private long minutes;

    void add(long count) {
        ewma = minutes == 0 ? count : ALPHA * count + (1 - ALPHA) * ewma;
        peak = Math.max(peak * PEAK_DECAY, count);
        minutes++;
    }

    /** {@code n} minutes without events, in one step. */
    void idle(long n) {
        if (n <= 0) {
            return;
        }
        ewma *= Math.pow(1 - ALPHA, n);
        peak *= Math.pow(PEAK_DECAY, n);
        minutes += n;
    }

    double ewma() {
        return ewma;
    }

    double peak() {
        return peak;
    }

    long minutes() {
        return minutes;
    }

    /** The rate this agent normally has: max(EWMA, decayed peak), per minute. */
    double value() {
        return Math.max(ewma, peak);
    }
}
