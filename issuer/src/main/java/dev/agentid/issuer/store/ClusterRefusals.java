package dev.agentid.issuer.store;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one WARN line a member writes when it refuses a node at the cluster's door: {@code refused cluster join from
 * <addr>: <reason>}. Rate-limited, because whoever can reach the port chooses how often it knocks: each
 * (address, reason) at most once per {@link #WINDOW}, and at most {@link #MAX_LINES_PER_WINDOW} lines per window in
 * all; the next line that is written says how many were suppressed. Thread-safe (JGroups calls it from its thread
 * pools); never blocks on I/O beyond the log handler itself.
 */
final class ClusterRefusals {

    static final Logger LOG = Logger.getLogger("dev.agentid.issuer.cluster");
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_LINES_PER_WINDOW = 20;
    /** Distinct (address, reason) pairs remembered per window; more count against the global limit only. */
    private static final int MAX_REMEMBERED = 1024;

    private final LongSupplier nanoTime;
    private final Logger log;
    private long windowStart;
    private int lines;
    private long suppressed;
    private final Map<String, Boolean> seen = new LinkedHashMap<>();

    ClusterRefusals() {
        this(System::nanoTime, LOG);
    }

    ClusterRefusals(LongSupplier nanoTime, Logger log) {
        this.nanoTime = Objects.requireNonNull(nanoTime);
        this.log = Objects.requireNonNull(log);
        this.windowStart = nanoTime.getAsLong();
    }

    /** Logs the refusal unless the same one, or too many, were logged in this window; returns whether it logged. */
    boolean refused(Object from, String reason) {
        String line;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (now - windowStart >= WINDOW.toNanos()) {
                windowStart = now;
                lines = 0;
                seen.clear();
            }
            String key = from + "|" + reason;
            boolean repeated = seen.containsKey(key);
            if (repeated || lines >= MAX_LINES_PER_WINDOW) {
                suppressed++;
                return false;
            }
            if (seen.size() < MAX_REMEMBERED) {
                seen.put(key, Boolean.TRUE);
            }
            lines++;
            line = "refused cluster join from " + from + ": " + reason;
            if (suppressed > 0) {
                line += " (" + suppressed + " similar refusals not logged)";
                suppressed = 0;
            }
        }
        log.log(Level.WARNING, line);
        return true;
    }
}
