package dev.agentid.interop.cluster;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.interop.TokenResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static dev.agentid.interop.cluster.ClusterAssertions.assertExchangeRefusedAsRevoked;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} of one of three nodes while two clients keep minting, exchanging and revoking through the other
 * two: every revocation a client saw acknowledged (200) holds on every node afterwards, the two survivors keep
 * answering every request, and node 3, restarted on its data directory while the load goes on, catches up and never
 * accepts a revoked token.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterFailoverIT {

    /** Revocations acknowledged before the kill, between kill and restart, and after the restart, at least. */
    static final int PER_PHASE = 25;
    static final Duration PHASE_TIMEOUT = Duration.ofSeconds(60);
    /** Exchange refusals checked per node (introspection covers every acknowledged revocation on every node). */
    static final int EXCHANGE_SAMPLE = 40;

    static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("failover", 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One load client: mint at its node, exchange at the other survivor, revoke at its node; records what it saw. */
    static final class Load implements Runnable {
        final Agent a;
        final Agent b;
        final String name;
        final AtomicBoolean running;
        final ConcurrentLinkedQueue<Revoked> acknowledged;
        final ConcurrentLinkedQueue<String> failures;
        final AtomicInteger exchanges = new AtomicInteger();

        Load(String name, Agent a, Agent b, AtomicBoolean running, ConcurrentLinkedQueue<Revoked> acknowledged,
             ConcurrentLinkedQueue<String> failures) {
            this.name = name;
            this.a = a;
            this.b = b;
            this.running = running;
            this.acknowledged = acknowledged;
            this.failures = failures;
        }

        @Override
        public void run() {
            while (running.get() && failures.size() < 100) {
                try {
                    HttpResult minted = a.clientCredentials(SCOPES, API);
                    if (minted.status() != 200) {
                        failures.add(name + " client_credentials: " + minted.describe());
                        continue;
                    }
                    String root = TokenResponse.of(minted).accessToken();
                    HttpResult exchanged = b.exchange(root, "files:read", null);
                    if (exchanged.status() != 200) {
                        failures.add(name + " exchange: " + exchanged.describe());
                        continue;
                    }
                    exchanges.incrementAndGet();
                    String child = TokenResponse.of(exchanged).accessToken();
                    HttpResult revoked = a.revoke(root);
                    if (revoked.status() == 200) {
                        acknowledged.add(new Revoked(root, child));
                    } else {
                        failures.add(name + " revoke: " + revoked.describe());
                    }
                } catch (RuntimeException | AssertionError e) {
                    failures.add(name + " " + e);
                }
            }
        }
    }

    record Revoked(String root, String child) {
    }

    @Test
    void killingOneNodeUnderLoadLosesNoAcknowledgedRevocation() throws InterruptedException {
        Agent a = register(cluster.agents(1), "fo-a", "user:alice", "fo-b");
        Agent b = register(cluster.agents(1), "fo-b", "user:bob");
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Revoked> acknowledged = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        // client 1 mints and revokes at node 1 and exchanges at node 2; client 2 the other way round
        List<Thread> clients = List.of(
                new Thread(new Load("client1", a.at(cluster.agents(1)), b.at(cluster.agents(2)), running,
                        acknowledged, failures), "load-1"),
                new Thread(new Load("client2", a.at(cluster.agents(2)), b.at(cluster.agents(1)), running,
                        acknowledged, failures), "load-2"));
        clients.forEach(Thread::start);
        int beforeKill;
        int beforeRestart;
        try {
            beforeKill = awaitAcknowledged(acknowledged, PER_PHASE, "before the kill");
            cluster.kill(3);
            beforeRestart = awaitAcknowledged(acknowledged, beforeKill + PER_PHASE, "with node 3 dead");
            IssuerProcess restarted = cluster.start(3, launcher -> launcher);
            // first thing the restarted node does: it must know every revocation acknowledged so far
            List<Revoked> sofar = new ArrayList<>(acknowledged);
            TestAgents node3 = cluster.agents(3);
            for (Revoked r : sofar) {
                assertFalse(node3.isActive(r.root()), "restarted node 3 accepts a revoked token");
            }
            assertTrue(restarted.isAlive());
            awaitAcknowledged(acknowledged, acknowledged.size() + PER_PHASE, "after node 3 came back");
        } finally {
            running.set(false);
            for (Thread client : clients) {
                client.join(Duration.ofSeconds(30).toMillis());
            }
        }
        assertEquals(List.of(), List.copyOf(failures), "requests to nodes 1 and 2 that failed while node 3 was"
                + " killed and restarted");

        List<Revoked> all = List.copyOf(acknowledged);
        System.out.printf("failover: %d revocations acknowledged (%d before the kill, %d while node 3 was down)%n",
                all.size(), beforeKill, beforeRestart - beforeKill);
        for (int n = 1; n <= 3; n++) {
            TestAgents node = cluster.agents(n);
            for (Revoked r : all) {
                assertFalse(node.isActive(r.root()), "acknowledged revocation lost on node " + n);
                assertFalse(node.isActive(r.child()), "token exchanged from a revoked one active on node " + n);
            }
            int step = Math.max(1, all.size() / EXCHANGE_SAMPLE);
            for (int i = 0; i < all.size(); i += step) {
                assertExchangeRefusedAsRevoked(b.at(node).exchange(all.get(i).root(), "files:read", null), false);
            }
        }
        // and the cluster still works as one: a new token from node 3 is active everywhere
        String fresh = a.at(cluster.agents(3)).token(SCOPES, API);
        for (int n = 1; n <= 3; n++) {
            assertTrue(cluster.agents(n).isActive(fresh), "a token minted by the restarted node, at node " + n);
        }
    }

    private static int awaitAcknowledged(ConcurrentLinkedQueue<Revoked> acknowledged, int atLeast, String phase) {
        return Interop.await(atLeast + " acknowledged revocations " + phase, PHASE_TIMEOUT, Duration.ofMillis(20),
                () -> acknowledged.size() >= atLeast ? acknowledged.size() : null);
    }
}
