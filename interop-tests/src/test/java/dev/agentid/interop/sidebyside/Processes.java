package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the peer processes share: ports, readiness, RSS, stopping a process and its children by PID. */
final class Processes {

    private Processes() {
    }

    /** A port that was free on 127.0.0.1 a moment ago (for servers that cannot report the port they bound). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls {@code uri} until it answers 200, failing early if {@code process} exits. */
    static void awaitOk(Http http, URI uri, Process process, Duration timeout, Path log) {
        Interop.await(uri.toString(), timeout, Duration.ofMillis(250), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("exited with status " + process.exitValue() + " before " + uri
                        + " answered; see " + log + "\n" + tail(log, 40));
            }
            try {
                HttpResult r = http.get(uri, null);
                return r.status() == 200 ? Boolean.TRUE : null;
            } catch (UncheckedIOException notYet) {
                return null;
            }
        });
    }

    /** Resident set size of a process, from /proc/PID/status, in MiB. */
    static double rssMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
            return Double.NaN;
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    /** The process's java descendant (a launcher script's JVM), or the process itself. */
    static long javaPid(Process process) {
        return process.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .map(ProcessHandle::pid).findFirst().orElse(process.pid());
    }

    /** SIGTERM to the process and its descendants, SIGKILL after 20 s. */
    static void stop(Process process) {
        List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no " + file + ")";
        }
    }

    static Path peersDir() {
        return Path.of(System.getProperty("bench.peers.dir", Interop.targetDir().resolve("peers").toString()));
    }
}
