package dev.agentid.issuer.monitor;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** This node's counts, in a ring of one-second slots per agent (monitor thread only). */
public final class LocalCounters implements Counters {

    private static final int METRICS = Metric.values().length;

    /** One agent's ring: the second each slot holds, and a count per metric. */
    static final class Ring {
        final long[] seconds = new long[SECONDS];
        final int[][] counts = new int[METRICS][SECONDS];
        long last = Long.MIN_VALUE;

        Ring() {
            java.util.Arrays.fill(seconds, Long.MIN_VALUE);
        }

        void add(Metric metric, long second) {
            add(metric, second, 1);
        }

        void add(Metric metric, long second, int n) {
            int slot = (int) Math.floorMod(second, (long) SECONDS);
            if (seconds[slot] != second) {
                if (second < seconds[slot]) {
                    return;   // older than the ring
                }
                seconds[slot] = second;
                for (int[] c : counts) {
                    c[slot] = 0;
                }
            }
            counts[metric.ordinal()][slot] += n;
            last = Math.max(last, second);
        }

        int get(Metric metric, long second) {
            int slot = (int) Math.floorMod(second, (long) SECONDS);
            return seconds[slot] == second ? counts[metric.ordinal()][slot] : 0;
        }

        long sum(Metric metric, long from, long to) {
            long total = 0;
            for (long s = Math.max(from, to - SECONDS + 1); s <= to; s++) {
                total += get(metric, s);
            }
            return total;
        }
    }

    private final Map<String, Ring> rings = new HashMap<>();

    @Override
    public void add(String agent, Metric metric, long second) {
        rings.computeIfAbsent(agent, a -> new Ring()).add(metric, second);
    }

    @Override
    public long sum(String agent, Metric metric, long from, long to) {
        Ring ring = rings.get(agent);
        return ring == null ? 0 : ring.sum(metric, from, to);
    }

    @Override
    public Set<String> active(long since) {
        Set<String> active = new HashSet<>();
        for (Iterator<Map.Entry<String, Ring>> it = rings.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Ring> e = it.next();
            if (e.getValue().last >= since) {
                active.add(e.getKey());
            } else if (e.getValue().last < since - SECONDS) {
                it.remove();   // idle agents cost nothing
            }
        }
        return active;
    }

    /** This node's ring of an agent, or null (for publishing). */
    Ring ring(String agent) {
        return rings.get(agent);
    }
}
