package dev.agentid.interop.cluster;

import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.keys.ClusterSecretFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Issuer nodes as separate JVMs on 127.0.0.1 forming one cluster: the same {@code ISSUER_CLUSTER_NAME}, the same
 * {@code ISSUER_CLUSTER_MEMBERS}, each node its own JGroups port ({@code ISSUER_CLUSTER_BIND}), HTTP port (chosen by
 * the system at the first start, kept across restarts) and data directory. All nodes share one issuer identifier
 * ({@code ISSUER_URL}) and one admin token: a token minted by any node is presented to any other. Nodes are numbered
 * from 1, as in the issue ("node 1", "node 3").
 *
 * <pre>
 * try (Cluster cluster = Cluster.start("failover", 3)) {
 *     TestAgents onNode3 = cluster.agents(3);
 * }
 * </pre>
 */
public final class Cluster implements AutoCloseable {

    /** The issuer identifier of every node: a name, not an address; requests go to each node's own port. */
    public static final String ISSUER_URL = "http://issuer.cluster.test";

    /** JGroups ports are drawn from below the ephemeral range, so an outgoing connection cannot take them. */
    private static final int PORT_FLOOR = 20_000;
    private static final int PORT_CEILING = 32_000;
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private final String name;
    private final String clusterName;
    private final String adminToken;
    private final List<Integer> clusterPorts;
    private final List<Path> dataDirs;
    private final Path secretFile;
    private final IssuerProcess[] nodes;
    private final TestAgents[] agents;
    private final java.util.function.BiFunction<Integer, IssuerProcess.Launcher, IssuerProcess.Launcher> change;

    private Cluster(String name, int size,
                    java.util.function.BiFunction<Integer, IssuerProcess.Launcher, IssuerProcess.Launcher> change)
            throws IOException {
        this.name = name;
        this.change = change;
        this.clusterName = "agentid-" + name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        this.adminToken = TestAgents.randomSecret();
        this.clusterPorts = new ArrayList<>();
        this.dataDirs = new ArrayList<>();
        Path parent = Files.createDirectories(Interop.targetDir().resolve("cluster-data"));
        this.secretFile = newSecretFile(name);
        for (int i = 1; i <= size; i++) {
            clusterPorts.add(freeClusterPort());
            dataDirs.add(Files.createTempDirectory(parent, name + "-node" + i + "-"));
        }
        this.nodes = new IssuerProcess[size];
        this.agents = new TestAgents[size];
    }

    /** Starts {@code size} nodes at once (a cluster that restarts may wait for all its members) and waits for all. */
    public static Cluster start(String name, int size) {
        return start(name, size, UnaryOperator.identity());
    }

    /** As {@link #start(String, int)}, every node's launcher adjusted by {@code change} (e.g. a larger heap). */
    public static Cluster start(String name, int size, UnaryOperator<IssuerProcess.Launcher> change) {
        return start(name, size, (n, launcher) -> change.apply(launcher));
    }

    /** As {@link #start(String, int)}, node {@code n}'s launcher adjusted by {@code change.apply(n, launcher)}. */
    public static Cluster start(String name, int size,
                                java.util.function.BiFunction<Integer, IssuerProcess.Launcher, IssuerProcess.Launcher> change) {
        Cluster cluster;
        try {
            cluster = new Cluster(name, size, change);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            cluster.startAll();
        } catch (RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public int size() {
        return nodes.length;
    }

    public IssuerProcess node(int n) {
        return nodes[n - 1];
    }

    /** Agents calls go to node {@code n}; register an agent at one node, then {@code agent.at(cluster.agents(m))}. */
    public TestAgents agents(int n) {
        return agents[n - 1];
    }

    public String adminToken() {
        return adminToken;
    }

    public String clusterName() {
        return clusterName;
    }

    /** The cluster's shared secret ({@code ISSUER_CLUSTER_SECRET_FILE}), as {@code keys cluster-secret} writes it. */
    public Path secretFile() {
        return secretFile;
    }

    /** A new secret file under target/cluster-secrets/ (0600, 32 random bytes), as an operator makes one. */
    public static Path newSecretFile(String name) throws IOException {
        Path dir = Files.createDirectories(Interop.targetDir().resolve("cluster-secrets"));
        Path file = dir.resolve(name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".secret");
        ClusterSecretFile.create(file);
        return file;
    }

    /** {@code 127.0.0.1:PORT} of node {@code n}'s JGroups transport. */
    public String clusterAddress(int n) {
        return "127.0.0.1:" + clusterPorts.get(n - 1);
    }

    /** The full member list, as every node has it. */
    public String members() {
        StringJoiner all = new StringJoiner(",");
        for (int n = 1; n <= nodes.length; n++) {
            all.add(clusterAddress(n));
        }
        return all.toString();
    }

    /** A launcher for node {@code n} with the cluster's settings, its data directory and (after a first start) port. */
    public IssuerProcess.Launcher launcher(int n) {
        IssuerProcess.Launcher launcher;
        if (nodes[n - 1] == null) {
            launcher = change.apply(n, IssuerProcess.named(name + "-node" + n).dataDir(dataDirs.get(n - 1))
                    .adminToken(adminToken).issuerUrl(ISSUER_URL));
        } else {
            launcher = nodes[n - 1].relaunch();
        }
        return launcher.env("ISSUER_CLUSTER_SECRET_FILE", secretFile.toString())
                .env("ISSUER_CLUSTER_BIND", clusterAddress(n))
                .env("ISSUER_CLUSTER_MEMBERS", members())
                .env("ISSUER_CLUSTER_NAME", clusterName);
    }

    /** Starts every node that is not running, all at once, and waits until each serves HTTP. */
    public void startAll() {
        List<Runnable> starting = new ArrayList<>();
        for (int n = 1; n <= nodes.length; n++) {
            if (nodes[n - 1] == null || !nodes[n - 1].isAlive()) {
                int node = n;
                starting.add(() -> started(node, launcher(node).start()));
            }
        }
        inParallel(starting);
    }

    /** Runs each on its own thread (the common pool has one thread on two cores) and rethrows the first failure. */
    private static void inParallel(List<Runnable> tasks) {
        ExecutorService threads = Executors.newFixedThreadPool(Math.max(tasks.size(), 1));
        try {
            CompletableFuture<?>[] running = new CompletableFuture<?>[tasks.size()];
            for (int i = 0; i < running.length; i++) {
                running[i] = CompletableFuture.runAsync(tasks.get(i), threads);
            }
            CompletableFuture.allOf(running).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        } finally {
            threads.shutdownNow();
        }
    }

    /** Starts node {@code n} (stopped or killed before) with the cluster's settings, adjusted by {@code change}. */
    public IssuerProcess start(int n, UnaryOperator<IssuerProcess.Launcher> change) {
        IssuerProcess current = nodes[n - 1];
        if (current != null && current.isAlive()) {
            throw new IllegalStateException("node " + n + " is running");
        }
        return started(n, change.apply(launcher(n)).start());
    }

    /**
     * Starts node {@code n} (stopped before) with its settings adjusted by {@code change} and returns at once, without
     * waiting for it to serve and without making it the cluster's node {@code n}: stop it before starting node
     * {@code n} again. Its HTTP port is node {@code n}'s, so {@link #agents(int)} reach it.
     */
    public IssuerProcess startWithoutWaiting(int n, UnaryOperator<IssuerProcess.Launcher> change) {
        IssuerProcess current = nodes[n - 1];
        if (current != null && current.isAlive()) {
            throw new IllegalStateException("node " + n + " is running");
        }
        return change.apply(launcher(n)).startWithoutWaiting();
    }

    /** SIGTERM then, after a timeout, SIGKILL; then the same node again on its data directory and port. */
    public IssuerProcess restart(int n) {
        nodes[n - 1].stop();
        return start(n, UnaryOperator.identity());
    }

    /** {@code kill -9} of node {@code n}'s JVM. */
    public void kill(int n) {
        nodes[n - 1].kill();
    }

    /** Stops node {@code n} (SIGTERM, SIGKILL after a timeout). */
    public void stop(int n) {
        nodes[n - 1].stop();
    }

    /** Stops every node, all at once (SIGTERM, SIGKILL after a timeout each). */
    public void stopAll() {
        List<Runnable> stopping = new ArrayList<>();
        for (IssuerProcess node : nodes) {
            if (node != null) {
                stopping.add(node::stop);
            }
        }
        inParallel(stopping);
    }

    private synchronized IssuerProcess started(int n, IssuerProcess process) {
        nodes[n - 1] = process;
        if (agents[n - 1] == null) {
            agents[n - 1] = new TestAgents(process, Clock.systemUTC());
        } else {
            agents[n - 1].use(process);
        }
        return process;
    }

    @Override
    public void close() {
        stopAll();
    }

    /** A port p such that p and p + 100 (where JGroups' FD_SOCK2 listens) are free on 127.0.0.1 right now. */
    static int freeClusterPort() {
        synchronized (HANDED_OUT) {
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(PORT_FLOOR, PORT_CEILING);
                if (HANDED_OUT.contains(port) || HANDED_OUT.contains(port + 100) || HANDED_OUT.contains(port - 100)) {
                    continue;
                }
                if (bindable(port) && bindable(port + 100)) {
                    HANDED_OUT.add(port);
                    return port;
                }
            }
        }
        throw new IllegalStateException("no free port pair (p, p + 100) between " + PORT_FLOOR + " and " + PORT_CEILING);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "cluster " + clusterName + " (" + members() + ")";
    }
}
