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
public final class Bench {

    private Bench() {
    }

    public static Path resultsFile() {
        return Interop.targetDir().resolve("benchmarks").resolve("results.txt");
    }

    public static synchronized void report(String format, Object... args) {
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

    /**
     * A full collection of the generator's own heap, before an open loop: signing its request pool leaves gigabytes of
     * garbage and a pool of live requests, which G1 would otherwise collect and mark concurrently during the run, on
     * the cores the server shares.
     */
    public static void collectGeneratorGarbage() {
        System.gc();
    }

    /** CPU time (user + system) a process has used so far, from /proc/PID/stat, in milliseconds (Linux). */
    public static double cpuMillis(long pid) {
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

    /**
     * CPU time (ms) of each thread of a process so far, by thread id, from /proc/PID/task/TID/stat, with the thread's
     * name (comm, at most 15 characters) stripped of digits so that pools group together ("GC Thread#", ...).
     */
    public static java.util.Map<Long, java.util.Map.Entry<String, Double>> threadCpuMillis(long pid) {
        java.util.Map<Long, java.util.Map.Entry<String, Double>> threads = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    threads.put(Long.parseLong(task.getFileName().toString()),
                            java.util.Map.entry(comm.replaceAll("[0-9]", ""), ticks * 1000.0 / CLOCK_TICKS));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return threads;
    }

    /**
     * Nanoseconds on a CPU so far of the threads of a process whose name (comm, at most 15 characters) starts with
     * {@code prefix}, from /proc/PID/task/TID/schedstat (nanosecond resolution, unlike stat's 10 ms ticks; Linux).
     */
    static long threadRunNanos(long pid, String prefix) {
        long total = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).startsWith(prefix)) {
                        String schedstat = Files.readString(task.resolve("schedstat"), StandardCharsets.US_ASCII);
                        total += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total;
    }

    /** CPU (ms) per thread group between two {@link #threadCpuMillis} snapshots, largest first. */
    public static java.util.Map<String, Double> threadCpuDelta(
            java.util.Map<Long, java.util.Map.Entry<String, Double>> before,
            java.util.Map<Long, java.util.Map.Entry<String, Double>> after) {
        java.util.Map<String, Double> groups = new java.util.HashMap<>();
        after.forEach((tid, now) -> {
            var then = before.get(tid);
            double delta = now.getValue() - (then == null ? 0 : then.getValue());
            groups.merge(now.getKey(), delta, Double::sum);
        });
        java.util.Map<String, Double> sorted = new java.util.LinkedHashMap<>();
        groups.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(java.util.Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
    public static final int CLOCK_TICKS = 100;

    /** Nearest-rank percentile of sorted values. */
    public static double percentile(double[] sorted, double p) {
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
