package dev.agentid.interop.cluster;

import dev.agentid.interop.Interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Reporting for the *Benchmark classes: every line goes to stdout and to target/benchmarks/results.txt. */
final class Bench {

    private Bench() {
    }

    static Path resultsFile() {
        return Interop.targetDir().resolve("benchmarks").resolve("results.txt");
    }

    static synchronized void report(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        System.out.println("[bench] " + line);
        try {
            Files.createDirectories(resultsFile().getParent());
            Files.writeString(resultsFile(), line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU time (user + system) a process has used so far, from /proc/PID/stat, in milliseconds (Linux). */
    static double cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) -> indices 11 and 12 here
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * 1000.0 / CLOCK_TICKS;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
    private static final int CLOCK_TICKS = 100;

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(rank - 1, 0)];
    }

    /** "median x (min a, max b) over n runs". */
    static String spread(List<Double> runs, String format) {
        double[] sorted = runs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format(Locale.ROOT, format + " (runs: %s)", percentile(sorted, 50),
                Arrays.toString(Arrays.stream(sorted).mapToObj(v -> String.format(Locale.ROOT, format, v)).toArray()));
    }
}
