package dev.agentid.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The issuer jar running as a separate JVM on 127.0.0.1, with its own data directory. Its standard
 * output and error go to files under target/issuer-logs/. Close it to stop it.
 *
 * <pre>
 * try (IssuerProcess issuer = IssuerProcess.named("chain").start()) {
 *     URI token = issuer.tokenEndpoint();   // discovered from the RFC 8414 metadata
 * }
 * </pre>
 */
public final class IssuerProcess implements AutoCloseable {

    public static final String WELL_KNOWN = "/.well-known/oauth-authorization-server";
    public static final String READY_LINE = "issuer ready at ";
    /**
     * JVM options every issuer started here gets, as docs/SCALE.md "JVM settings" recommends for every node: C2's
     * recompilation cutoffs out of reach (past them a method whose branches keep changing direction deoptimizes on
     * every call, JDK-8374307).
     */
    public static final List<String> RECOMMENDED_JVM_OPTIONS = List.of("-XX:PerMethodRecompilationCutoff=10000",
            "-XX:PerBytecodeRecompilationCutoff=10000");

    /** docs/SCALE.md "JVM settings" for a heap of {@code maxHeap} (see {@link Launcher#sizedAsDocumented()}). */
    public static List<String> documentedSizing(String maxHeap) {
        return List.of("-Xms" + maxHeap, "-Xmn64m", "-XX:MaxTenuringThreshold=1");
    }

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final List<IssuerProcess> STARTED = Collections.synchronizedList(new ArrayList<>());

    static {
        // a test JVM that ends without closing an issuer (a crash in @BeforeAll, Ctrl-C) leaves none behind
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (IssuerProcess issuer : started()) {
                issuer.process.destroyForcibly();
            }
        }, "stop-issuers"));
    }

    private final String name;
    private final Path dataDir;
    private final String adminTokenEnv;
    private final String issuerUrl;
    private final String maxHeap;
    private final Map<String, String> extraEnv;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final Http http;
    private int port;
    private String issuer;
    private Map<String, Object> metadata;

    private IssuerProcess(String name, Path dataDir, String adminTokenEnv, String issuerUrl, String maxHeap,
                          Map<String, String> extraEnv, Process process, Path stdout, Path stderr, Http http) {
        this.name = name;
        this.dataDir = dataDir;
        this.adminTokenEnv = adminTokenEnv;
        this.issuerUrl = issuerUrl;
        this.maxHeap = maxHeap;
        this.extraEnv = Map.copyOf(extraEnv);
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.http = http;
    }

    /** A launcher with a fresh data directory, an ephemeral port and a random admin token. */
    public static Launcher named(String name) {
        return new Launcher(name);
    }

    /** Every issuer started in this JVM so far, oldest first (for dumping logs when a test fails). */
    public static List<IssuerProcess> started() {
        synchronized (STARTED) {
            return List.copyOf(STARTED);
        }
    }

    public static final class Launcher {
        private final String name;
        private Path dataDir;
        private int port;
        private String adminToken = TestAgents.randomSecret();
        private String issuerUrl;
        private String maxHeap = "384m";
        private boolean sizedAsDocumented;
        private String javaExecutable = Interop.javaExecutable();
        private final Map<String, String> extraEnv = new LinkedHashMap<>();
        private final List<String> arguments = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();

        private Launcher(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** The process's name (its log file and data directory are named after it). */
        public String name() {
            return name;
        }

        /** Reuses a data directory (a restart); default: a new one under target/issuer-data/. */
        public Launcher dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** The port to bind; 0 (default) lets the system choose. */
        public Launcher port(int port) {
            this.port = port;
            return this;
        }

        /** The admin token to pass in ISSUER_ADMIN_TOKEN, or null to leave it unset. */
        public Launcher adminToken(String token) {
            this.adminToken = token;
            return this;
        }

        /**
         * ISSUER_URL, for issuers that share one identifier (a cluster): requests still go to this process's own
         * port, the endpoints in the metadata are mapped onto it. Default: derived from the port.
         */
        public Launcher issuerUrl(String url) {
            this.issuerUrl = url;
            return this;
        }

        /** Command-line arguments after {@code -jar issuer.jar} (e.g. {@code --config FILE}). */
        public Launcher arguments(String... args) {
            arguments.addAll(List.of(args));
            return this;
        }

        /** One more ISSUER_* environment variable (e.g. the cluster settings); a null value removes it. */
        public Launcher env(String variable, String value) {
            if (value == null) {
                extraEnv.remove(variable);
            } else {
                extraEnv.put(variable, value);
            }
            return this;
        }

        /** More JVM options before {@code -jar} (e.g. GC logging for a benchmark); not carried over by relaunch(). */
        public Launcher jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /** The java launcher to run the issuer with (default: the test JVM's own; a benchmark compares JDKs). */
        public Launcher javaExecutable(String executable) {
            this.javaExecutable = Objects.requireNonNull(executable, "executable");
            return this;
        }

        /**
         * The heap as docs/SCALE.md "JVM settings" tells an operator to size it: fixed ({@code -Xms} = the
         * {@link #maxHeap}), a 64 MiB young generation, objects promoted after one young collection. The launcher's
         * default ({@code -Xms64m}, the young generation growing with the heap) keeps the tests' JVMs small, but a
         * loaded node then pauses for full collections while the heap grows (50-100 ms) and for young ones of up to
         * 30 ms (seen in {@code KillAtScaleBenchmark}): a benchmark of latency runs the issuer as it is meant to run.
         * Not carried over by relaunch().
         */
        public Launcher sizedAsDocumented() {
            sizedAsDocumented = true;
            return this;
        }

        /** The JVM's -Xmx (default 384m, so that three nodes fit on a small machine). */
        public Launcher maxHeap(String value) {
            this.maxHeap = Objects.requireNonNull(value, "value");
            return this;
        }

        public IssuerProcess start() {
            try {
                return launch(true);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the issuer " + name, e);
            }
        }

        /**
         * Starts the process and returns at once, without waiting for it to serve (for a node that may never get
         * ready, e.g. one cut off from its cluster). Needs a fixed {@link #port(int)}: the endpoints are those of
         * that port.
         */
        public IssuerProcess startWithoutWaiting() {
            if (port == 0) {
                throw new IllegalStateException("startWithoutWaiting needs a fixed port");
            }
            try {
                return launch(false);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the issuer " + name, e);
            }
        }

        private IssuerProcess launch(boolean await) throws IOException {
            Path target = Interop.targetDir();
            Path dir = dataDir;
            if (dir == null) {
                Files.createDirectories(target.resolve("issuer-data"));
                dir = Files.createTempDirectory(target.resolve("issuer-data"), name + "-");
            }
            // a restart finds the previous process's port file: readiness must come from the new one
            Files.deleteIfExists(dir.resolve("issuer.port"));
            Path logs = Files.createDirectories(target.resolve("issuer-logs"));
            String stem = name + "-" + SEQUENCE.incrementAndGet();
            Path out = logs.resolve(stem + ".stdout.log");
            Path err = logs.resolve(stem + ".stderr.log");

            List<String> command = new ArrayList<>(List.of(javaExecutable,
                    "-XX:+UseSerialGC", "-Xms64m", "-Xmx" + maxHeap));
            command.addAll(RECOMMENDED_JVM_OPTIONS);
            if (sizedAsDocumented) {
                command.addAll(documentedSizing(maxHeap));
            }
            command.addAll(jvmOptions);
            if (Boolean.getBoolean("bench.jfr")) {
                // -Dbench.jfr=true: a Flight Recording of every issuer, next to its logs (profiling the benchmarks)
                command.add("-XX:StartFlightRecording=settings=profile,filename=" + logs.resolve(stem + ".jfr"));
            }
            command.addAll(List.of("-jar", Interop.issuerJar().toString()));
            command.addAll(arguments);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(key -> key.startsWith("ISSUER_"));
            env.put("ISSUER_HOST", "127.0.0.1");
            env.put("ISSUER_PORT", Integer.toString(port));
            if (issuerUrl != null) {
                env.put("ISSUER_URL", issuerUrl);
            } else if (port != 0) {
                env.put("ISSUER_URL", "http://127.0.0.1:" + port);
            }
            env.put("ISSUER_DATA_DIR", dir.toString());
            env.putAll(extraEnv);
            if (adminToken != null) {
                env.put("ISSUER_ADMIN_TOKEN", adminToken);
            }
            Process process = builder.start();
            process.getOutputStream().close();
            IssuerProcess started = new IssuerProcess(stem, dir, adminToken, issuerUrl, maxHeap, extraEnv, process,
                    out, err, new Http());
            STARTED.add(started);
            if (!await) {
                started.port = port;
                started.issuer = issuerUrl != null ? issuerUrl : started.localBase();
                started.metadata = Map.of();
                return started;
            }
            try {
                started.awaitReady();
            } catch (RuntimeException | AssertionError e) {
                String logs1 = started.logTail(80);
                started.close();
                throw new AssertionError("issuer " + stem + " did not become ready: " + e.getMessage()
                        + "\n" + logs1, e);
            }
            return started;
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        Path portFile = dataDir.resolve("issuer.port");
        port = Interop.await("DATA_DIR/issuer.port", STARTUP_TIMEOUT, Duration.ofMillis(100), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the issuer exited with status " + process.exitValue());
            }
            try {
                String text = Files.readString(portFile, StandardCharsets.UTF_8).trim();
                int p = Integer.parseInt(text);
                return p > 0 ? p : null;
            } catch (IOException | NumberFormatException notYet) {
                return null;
            }
        });
        String expectedIssuer = issuerUrl != null ? issuerUrl : localBase();
        URI metadataUri = URI.create(localBase() + WELL_KNOWN);
        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(5).toNanos()));
        metadata = Interop.await("the metadata endpoint", left, Duration.ofMillis(100), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the issuer exited with status " + process.exitValue());
            }
            try {
                HttpResult result = http.get(metadataUri, null);
                return result.status() == 200 ? result.json() : null;
            } catch (UncheckedIOException notYet) {
                return null;
            }
        });
        issuer = (String) metadata.get("issuer");
        if (!expectedIssuer.equals(issuer)) {
            throw new AssertionError("metadata issuer is " + issuer + ", expected " + expectedIssuer
                    + " (RFC 8414 section 3.3)");
        }
    }

    // ---- what the tests use ----------------------------------------------------------------

    /** The {@code iss} of this issuer (from its metadata). */
    public String issuer() {
        return issuer;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public URI metadataUri() {
        return URI.create(localBase() + WELL_KNOWN);
    }

    /** {@code http://127.0.0.1:PORT}: where this process listens (the issuer identifier may name another host). */
    public String localBase() {
        return "http://127.0.0.1:" + port;
    }

    /** A URL under the issuer identifier (an endpoint, a status list uri) mapped onto this process's port. */
    public URI local(String url) {
        return url.startsWith(issuer) ? URI.create(localBase() + url.substring(issuer.length())) : URI.create(url);
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public URI tokenEndpoint() {
        return endpoint("token_endpoint");
    }

    public URI jwksUri() {
        return endpoint("jwks_uri");
    }

    public URI introspectionEndpoint() {
        return endpoint("introspection_endpoint");
    }

    public URI revocationEndpoint() {
        return endpoint("revocation_endpoint");
    }

    /** An admin API path (the admin API has no discovery; its paths are fixed by the contract). */
    public URI admin(String path) {
        return URI.create(localBase() + path);
    }

    /** The admin token: the one passed in the environment, or the one the issuer wrote to DATA_DIR/admin-token. */
    public String adminToken() {
        if (adminTokenEnv != null) {
            return adminTokenEnv;
        }
        try {
            return Files.readString(dataDir.resolve("admin-token"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("no admin token in " + dataDir, e);
        }
    }

    private URI endpoint(String member) {
        Object value = metadata.get(member);
        if (!(value instanceof String)) {
            throw new AssertionError("the metadata has no " + member + ": " + metadata.keySet());
        }
        return local((String) value);
    }

    /** A new process on the same data directory, port and admin token, after stopping this one. */
    public IssuerProcess restart() {
        stop();
        return relaunch().start();
    }

    /** A launcher for a new process on the same data directory, port, admin token, ISSUER_URL and environment. */
    public Launcher relaunch() {
        Launcher next = new Launcher(name.replaceFirst("-\\d+$", "").replaceFirst("-restarted$", "") + "-restarted")
                .dataDir(dataDir).port(port).adminToken(adminTokenEnv).issuerUrl(issuerUrl).maxHeap(maxHeap);
        extraEnv.forEach(next::env);
        return next;
    }

    /** SIGKILL ({@code kill -9}): no shutdown hook runs. Waits until the process is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError(this + " survived SIGKILL for " + STOP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while killing " + this, e);
        }
    }

    /** Waits up to {@code timeout} for the process to exit; its exit status, or empty if it still runs. */
    public java.util.OptionalInt awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + this, e);
        }
    }

    public String stdoutText() {
        return read(stdout);
    }

    public String stderrText() {
        return read(stderr);
    }

    /** The last lines of both streams, for failure messages. */
    public String logTail(int lines) {
        return "---- " + name + " stdout (" + stdout + ") ----\n" + tail(stdoutText(), lines)
                + "---- " + name + " stderr (" + stderr + ") ----\n" + tail(stderrText(), lines);
    }

    private static String tail(String text, int lines) {
        String[] all = text.split("\n", -1);
        StringBuilder out = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            out.append(all[i]).append('\n');
        }
        return out.toString();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM, then SIGKILL if the process has not exited within 15 s. Idempotent. */
    public void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "issuer " + name + " (pid " + process.pid() + ", " + issuer + ")";
    }
}
