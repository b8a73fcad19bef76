package dev.agentid.issuer.monitor;

/**
 * An agent's normal rate of one kind of event, per minute: an exponentially weighted moving average of its complete
 * minutes (weight {@link #ALPHA}, so the last ~10 minutes dominate), and its busiest minute, decaying with a half-life
 * of a day (so a daily peak is remembered until the next day). The baseline is the larger of the two: a rate that
 * ramps up every morning is not a burst, a rate 20 times the day's peak is.
 *
 * <p><b>What is judged is never learned.</b> A detector's window (up to a minute) can reach back into the minute
 * learned last: a storm that began at 12:00:58 is partly in minute 12:00, which is learned at 12:01:00, the moment the
 * storm is judged. {@link #judged} therefore answers with the baseline as it was before that minute when the window
 * reaches into it. And once a detector fires, the seconds of its evidence and of the cooldown that follows are
 * {@link #anomaly anomalous}: the minutes they touch are not learned (one already learned is taken back), so an attack
 * never raises the threshold it is judged against, during it or after an operator's restore.
 */
final class RateBaseline {

    static final double ALPHA = 0.1;
    /** Per minute: half-life 24 h. */
    static final double PEAK_DECAY = Math.pow(0.5, 1.0 / 1440);

    /** The learned rate, per minute: max(EWMA, decayed peak) over {@code minutes} minutes. */
    record State(double ewma, double peak, long minutes) {
        double value() {
            return Math.max(ewma, peak);
        }
    }

    private static final State NONE = new State(0, 0, 0);

    private State now = NONE;
    /** The state before {@link #lastMinute} was learned. */
    private State before = NONE;
    /** The epoch minute learned last (taken back if it turns out anomalous), or {@code Long.MIN_VALUE}. */
    private long lastMinute = Long.MIN_VALUE;
    /** Seconds {@code [anomalyFrom, anomalyTo]} are not learned. */
    private long anomalyFrom = Long.MAX_VALUE;
    private long anomalyTo = Long.MIN_VALUE;

    /** Learns the count of one complete minute, unless that minute holds anomalous seconds. */
    void learn(long minute, long count) {
        if (minute * 60 + 59 >= anomalyFrom && minute * 60 <= anomalyTo) {
            before = now;   // not learned: nothing to take back
            lastMinute = Long.MIN_VALUE;
            return;
        }
        before = now;
        lastMinute = minute;
        now = new State(now.minutes == 0 ? count : ALPHA * count + (1 - ALPHA) * now.ewma,
                Math.max(now.peak * PEAK_DECAY, count), now.minutes + 1);
    }

    /** {@code n} minutes without events, in one step. */
    void idle(long n) {
        if (n <= 0) {
            return;
        }
        now = new State(now.ewma * Math.pow(1 - ALPHA, n), now.peak * Math.pow(PEAK_DECAY, n), now.minutes + n);
        before = now;
        lastMinute = Long.MIN_VALUE;
    }

    /**
     * The baseline a window starting at second {@code windowFrom} is judged against: the current one, or, when the
     * window reaches into the minute learned last, the one before it.
     */
    State judged(long windowFrom) {
        return lastMinute != Long.MIN_VALUE && windowFrom <= lastMinute * 60 + 59 ? before : now;
    }

    /**
     * Seconds {@code from..to} are anomalous (a detector fired on them): they are not learned, and the minute learned
     * last is taken back if it holds one of them.
     */
    void anomaly(long from, long to) {
        if (lastMinute != Long.MIN_VALUE && lastMinute * 60 + 59 >= from) {
            now = before;
            lastMinute = Long.MIN_VALUE;
        }
        if (anomalyTo < from - 60) {   // the earlier anomaly is over and learned around: start a new one
            anomalyFrom = from;
        } else {
            anomalyFrom = Math.min(anomalyFrom, from);
        }
        anomalyTo = Math.max(anomalyTo, to);
    }
}
