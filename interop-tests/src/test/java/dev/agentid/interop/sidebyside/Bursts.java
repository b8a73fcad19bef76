package dev.agentid.interop.sidebyside;

import dev.agentid.interop.cluster.Bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * A CPU-time counter sampled every 20 ms on a daemon thread while open, to tell whose a stall of every request at once
 * is: {@link #steal()}, the CPU time the hypervisor gave to other guests while this machine's vCPUs wanted it ("steal"
 * in /proc/stat), or {@link #processes}, the CPU time of other processes on the machine (the side-by-side peers, idle
 * while agentid's open loop runs). {@link #toString()} gives the total and the largest bursts with their times, and for
 * processes, which of their threads used the most (the 10 ms ticks of /proc/PID/task/TID/stat, read at the start and at
 * the close only, so that the sampler stays cheap): a collector's, a compiler's or an application timer's.
 */
final class Bursts implements AutoCloseable {

    private static final long PERIOD_MILLIS = 20;

    private record Burst(long epochMillis, double millis) {
    }

    private final List<Burst> bursts = new ArrayList<>();
    private final String what;
    private final DoubleSupplier counter;
    private final ScheduledExecutorService sampler;
    private final double start;
    /** For {@link #processes}: each one's threads at the start, by name and pid (empty for steal). */
    private final Map<Map.Entry<String, Long>, Map<Long, Map.Entry<String, Double>>> threadsAtStart =
            new LinkedHashMap<>();
    private final Map<String, Map<String, Double>> threadsUsed = new LinkedHashMap<>();
    /** The counter at the previous sample (the sampler thread only). */
    private double last;
    private double total;

    private Bursts(String what, DoubleSupplier counter) {
        this.what = what;
        this.counter = counter;
        start = counter.getAsDouble();
        last = start;
        sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "cpu-burst-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::sample, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The host's steal, from now until {@link #close()}. */
    static Bursts steal() {
        return new Bursts("CPU stolen by the host", Bursts::stealMillis);
    }

    /** The CPU time of the processes (name to pid) together (utime + stime), from now until {@link #close()}. */
    static Bursts processes(String what, Map<String, Long> pids) {
        Bursts bursts = new Bursts(what, () -> pids.values().stream().mapToDouble(Bench::cpuMillis).sum());
        pids.forEach((name, pid) -> bursts.threadsAtStart.put(Map.entry(name, pid), Bench.threadCpuMillis(pid)));
        return bursts;
    }

    /** Steal of all CPUs since boot, in ms (field 8 of the "cpu" line of /proc/stat). */
    static double stealMillis() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = first.trim().split("\\s+");
            return Long.parseLong(f[8]) * 1000.0 / Bench.CLOCK_TICKS;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void sample() {
        double now = counter.getAsDouble();
        if (now > last) {
            synchronized (bursts) {
                bursts.add(new Burst(System.currentTimeMillis(), now - last));
            }
        }
        last = now;
    }

    @Override
    public void close() {
        sampler.shutdownNow();
        try {
            sampler.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        total = counter.getAsDouble() - start;
        threadsAtStart.forEach((process, before) -> threadsUsed.put(process.getKey(), Bench.threadCpuDelta(before,
                Bench.threadCpuMillis(process.getValue()))));
    }

    /** After {@link #close()}: the total, and the five largest 20 ms samples (UTC time, ms). */
    @Override
    public String toString() {
        List<Burst> top;
        synchronized (bursts) {
            top = bursts.stream().sorted(Comparator.comparingDouble(Burst::millis).reversed()).limit(5).toList();
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%.0f ms of %s", total, what));
        if (!top.isEmpty()) {
            s.append("; largest in 20 ms:");
            for (Burst b : top) {
                s.append(String.format(Locale.ROOT, " %s %.0f ms", Instant.ofEpochMilli(b.epochMillis()).toString()
                        .substring(11, 23), b.millis()));
            }
        }
        threadsUsed.forEach((process, groups) -> {
            s.append(String.format(Locale.ROOT, "; %s's busiest threads:", process));
            groups.entrySet().stream().limit(4).forEach(g -> s.append(String.format(Locale.ROOT, " %s %.0f ms",
                    g.getKey(), g.getValue())));
        });
        return s.toString();
    }
}
