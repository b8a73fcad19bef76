package dev.agentid.interop.cluster;

import dev.agentid.verifier.status.StatusList;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The size of a status list of 2^20 one-bit statuses (one of the issuer's lists) and what one write of it costs, at
 * zlib's best level (the draft's recommendation, verifier-lib's {@code encode()}) and at the default level the issuer
 * uses: revoked indices spread uniformly at random at 0.1%, 1%, 5% and 10% (the worst realistic case for their
 * share), 1% in one run (a kill of one agent's burst of tokens, indices handed out consecutively), and none. The
 * issuer compresses a list again whenever one of its bits changes. Time: this thread's CPU per encode, the median of
 * {@link #REPEATS} after {@link #WARMUP} unmeasured ones. The JWT adds its header, the other claims and a 64-byte
 * signature.
 */
class StatusListSizeBenchmark {

    static final int SIZE = 1 << 20;
    static final int WARMUP = 5;
    static final int REPEATS = 9;

    @Test
    void oneListAtTheBestAndAtTheIssuersCompressionLevel() {
        for (double share : new double[] {0.001, 0.01, 0.05, 0.10}) {
            report(String.format(java.util.Locale.ROOT, "%.1f%% set at random", share * 100), random(share, 1));
        }
        StatusList run = StatusList.allValid(SIZE, 1);
        for (int i = 0; i < SIZE / 100; i++) {
            run.set(400_000 + i, StatusList.INVALID);
        }
        report("1% set as one run", run);
        report("none set", StatusList.allValid(SIZE, 1));
    }

    private static StatusList random(double share, long seed) {
        StatusList list = StatusList.allValid(SIZE, 1);
        Random random = new Random(seed);
        int set = 0;
        while (set < SIZE * share) {
            int idx = random.nextInt(SIZE);
            if (list.status(idx) == StatusList.VALID) {
                list.set(idx, StatusList.INVALID);
                set++;
            }
        }
        return list;
    }

    private static void report(String what, StatusList list) {
        Encoded best = encode(list, Deflater.BEST_COMPRESSION);
        Encoded standard = encode(list, Deflater.DEFAULT_COMPRESSION);
        Bench.report("status list of %d, %s: lst %d characters in %.2f ms of CPU at the best level (9); %d characters"
                        + " (%+.0f%%) in %.2f ms at the issuer's, zlib's default (6)", SIZE, what, best.length(),
                best.millis(), standard.length(), 100.0 * (standard.length() - best.length()) / best.length(),
                standard.millis());
    }

    private record Encoded(int length, double millis) {
    }

    private static Encoded encode(StatusList list, int level) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Double> times = new ArrayList<>();
        String lst = null;
        for (int i = 0; i < WARMUP + REPEATS; i++) {
            long start = mx.getCurrentThreadCpuTime();
            lst = list.encode(level);
            long nanos = mx.getCurrentThreadCpuTime() - start;
            if (i >= WARMUP) {
                times.add(nanos / 1e6);
            }
        }
        assertEquals(list, StatusList.decode(lst, 1, SIZE / 8), "round trip");
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Encoded(lst.length(), Bench.percentile(sorted, 50));
    }
}
