package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import static dev.agentid.issuer.store.Await.await;
import static dev.agentid.issuer.store.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.concurrent.atomic.AtomicInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.infinispan.context.Flag;
import org.infinispan.factories.GlobalComponentRegistry;
import org.infinispan.remoting.transport.Transport;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three clustered stores in one JVM over loopback TCP (each with its own data directory and ports), driven through one
 * life: replication of every cache, a node stopped and restarted, a node cut off from the others, and a restart of the
 * whole cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusteredStateStoreIT {

    @TempDir
    static Path tmp;

    static final ClusterSecret SECRET = TestSecrets.random();

    private final TestClock clock = new TestClock();
    private final ExecutorService starter = Executors.newFixedThreadPool(3);
    private final List<ClusterSettings> settings = new ArrayList<>();
    private final StateStore[] nodes = new StateStore[3];
    private Instant exp;

    @BeforeAll
    void startThreeNodes() throws Exception {
        List<ClusterSettings.HostPort> members = new ArrayList<>();
        for (int port : freePorts(3)) {
            members.add(new ClusterSettings.HostPort("127.0.0.1", port));
        }
        for (ClusterSettings.HostPort member : members) {
            settings.add(new ClusterSettings(member, members, "agentid-it", Duration.ofSeconds(30), SECRET));
        }
        startAll();
        exp = clock.now().plusSeconds(600);
    }

    @AfterAll
    void stopAll() {
        for (int i = 0; i < nodes.length; i++) {
            stop(i);
        }
        starter.shutdownNow();
    }

    @Test
    @Order(1)
    void everyCacheIsReplicatedAndARevocationIsVisibleOnAnotherNodeOnceAcknowledged() {
        assertEquals(3, nodes[0].members().size());
        AgentRecord alpha = TestAgents.agent("alpha", clock.now()).build();
        assertTrue(await(nodes[0].agents().register(alpha)));
        assertEquals(alpha, await(nodes[2].agents().find("alpha")));
        assertFalse(await(nodes[1].agents().register(alpha)), "the id is taken cluster-wide");

        AgentRecord killed = await(nodes[1].agents().setStatus("alpha", AgentStatus.KILLED, clock.now()));
        assertEquals(Map.of("alpha", AgentStatus.KILLED), await(nodes[0].agents().statuses(List.of("alpha"))));
        assertEquals(killed, await(nodes[2].agents().find("alpha")));

        await(nodes[0].tokens().revoke("jti-root", "jti-root", exp));
        assertEquals(Set.of("jti-root"), await(nodes[2].tokens().revokedAmong(List.of("jti-root"))));
        assertEquals(Set.of("jti-root"), await(nodes[1].tokens().revokedAmong(List.of("jti-root"))));

        assertTrue(await(nodes[0].replay().firstUse("assertion-1", exp)));
        assertFalse(await(nodes[2].replay().firstUse("assertion-1", exp)), "a replay on another node is refused");

        assertEquals(0L, await(nodes[0].statusIndices().reserve("list-a", 100)));
        assertEquals(100L, await(nodes[1].statusIndices().reserve("list-a", 100)));
        assertEquals(200L, await(nodes[2].statusIndices().reserve("list-a", 1)));
        assertEquals(0L, await(nodes[2].statusIndices().reserve("list-b", 5)));
    }

    /**
     * Infinispan retries a write whose topology changed under it (a node left or joined), and a retried
     * {@code putIfAbsent} in a non-transactional cache succeeds when the value present equals the value it writes: it
     * takes it for its own first attempt. A mark written as a constant would let a replay through on every retry; each
     * first use writes its own value, so only a caller's own earlier attempt counts as its success.
     */
    @Test
    @Order(2)
    void aReplayRetriedAcrossATopologyChangeIsStillRefused() {
        ReplayStore retried = new InfinispanReplayStore(nodes[1].cacheManager()
                .<String, Long>getCache(StoreConfiguration.REPLAY).getAdvancedCache().withFlags(Flag.COMMAND_RETRY),
                clock, Readiness.ALWAYS);
        for (int i = 0; i < 20; i++) {
            String proof = "proof-" + i;
            assertTrue(await(retried.firstUse(proof, exp)), "a retried first use is still a first use");
            assertFalse(await(retried.firstUse(proof, exp)), proof + " replayed through a retried write on one node");
            assertFalse(await(nodes[2].replay().firstUse(proof, exp)), proof + " replayed on another node");
            assertTrue(await(nodes[0].replay().firstUse("other-" + i, exp)));
            assertFalse(await(retried.firstUse("other-" + i, exp)), "other-" + i + " replayed through a retried write");
        }
    }

    /**
     * A proof presented to all three nodes at once, twice to each, among hundreds of others in flight (every check is
     * started before any answer is read): it is accepted exactly once in the whole cluster, and refused afterwards
     * wherever it is replayed.
     */
    @Test
    @Order(2)
    void aProofReplayedOnEveryNodeAtOnceIsAcceptedExactlyOnce() {
        int proofs = 500;
        List<io.vertx.core.Future<Boolean>> answers = new ArrayList<>();
        for (int i = 0; i < proofs; i++) {
            for (int copy = 0; copy < 2; copy++) {
                for (StateStore node : nodes) {
                    answers.add(node.replay().firstUse("burst-" + i, exp));
                }
            }
        }
        for (int i = 0; i < proofs; i++) {
            int accepted = 0;
            for (int j = 0; j < 6; j++) {
                accepted += await(answers.get(i * 6 + j)) ? 1 : 0;
            }
            assertEquals(1, accepted, "burst-" + i + " accepted " + accepted + " times");
            assertFalse(await(nodes[i % 3].replay().firstUse("burst-" + i, exp)), "burst-" + i + " replayed later");
        }
    }

    /**
     * Expired marks leave every owner's memory by that owner's own {@link ReplayReaper} (Infinispan's reaper is off
     * for the marks), with no message between the nodes: the primary and the backup copy of each mark are each
     * dropped by their own node, the live marks stay on both, and a live mark is still refused on another node.
     */
    @Test
    @Order(2)
    void expiredMarksLeaveBothOwnersByTheirOwnReapersAndLiveOnesStayRefused() {
        Instant shortLived = clock.now().minus(InfinispanReplayStore.GRACE).plusSeconds(30);   // lifespan about 30 s
        for (int i = 0; i < 60; i++) {
            assertTrue(await(nodes[0].replay().firstUse("reap-short-" + i, shortLived)));
            assertTrue(await(nodes[1].replay().firstUse("reap-long-" + i, exp)));
        }
        assertEquals(120, copies("reap-short-"), "each mark is held by two owners");
        assertEquals(120, copies("reap-long-"));

        long later = System.currentTimeMillis() + 120_000;   // the short marks' lifespan is over then, exp's is not
        int removed = 0;
        for (StateStore node : nodes) {
            removed += new ReplayReaper(node.cache(StoreConfiguration.REPLAY), StoreConfiguration.SEGMENTS)
                    .sweepAll(later);
        }
        assertEquals(120, removed, "every copy of every expired mark, each by the node that holds it");
        assertEquals(0, copies("reap-short-"));
        assertEquals(120, copies("reap-long-"));
        for (int i = 0; i < 60; i++) {
            assertFalse(await(nodes[2].replay().firstUse("reap-long-" + i, exp)), "reap-long-" + i + " replayed");
        }
    }

    /** Copies of the marks whose key starts with {@code prefix}, in the memory of all three nodes together. */
    private int copies(String prefix) {
        int n = 0;
        for (StateStore node : nodes) {
            for (var entry : node.cache(StoreConfiguration.REPLAY).getAdvancedCache().getDataContainer()) {
                if (entry.getKey().toString().startsWith(prefix)) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The same retry rule, for the allocator: two nodes advancing a list from the same index write the same index. Run
     * on the distributed cache, where a write flagged as a retry takes the retry rule at the primary owner (in the
     * replicated {@code status-alloc} cache only a real topology change does).
     */
    @Test
    @Order(3)
    void aBlockWonByARetriedWriteIsNeverHandedOutTwice() throws Exception {
        List<IndexAllocator> retried = new ArrayList<>();
        for (StateStore node : nodes) {
            retried.add(new InfinispanIndexAllocator(node.cacheManager()
                    .<String, Object>getCache(StoreConfiguration.REPLAY).getAdvancedCache()
                    .withFlags(Flag.COMMAND_RETRY), Readiness.ALWAYS));
        }
        List<io.vertx.core.Future<Long>> reserved = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            reserved.add(retried.get(i % 3).reserve("list-retried", 10));
        }
        Set<Long> firsts = new HashSet<>();
        for (io.vertx.core.Future<Long> block : reserved) {
            assertTrue(firsts.add(await(block)), "block " + await(block) + " was handed out twice");
        }
        assertEquals(600L, retried.get(1).nextFree("list-retried"));
        assertEquals(201L, nodes[2].statusIndices().nextFree("list-a"), "list-a as reserved by the first test");
    }

    @Test
    @Order(4)
    void signingKeysAreSeededByOneNodeAndARotationAnywhereReachesEveryNodesKeyFile() throws Exception {
        List<KeyStoreFile> files = new ArrayList<>();
        List<ReplicatedKeyFile> shared = new ArrayList<>();
        List<KeyRing> joined = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KeyStoreFile file = KeyStoreFile.in(tmp.resolve("node" + i));
            file.loadOrCreate(clock);   // each node generates its own key before joining
            files.add(file);
            shared.add(nodes[i].replicatedKeys(file).orElseThrow());
            joined.add(shared.get(i).join());
        }
        assertEquals(kids(joined.get(0)), kids(joined.get(1)), "the first node's key wins everywhere");
        assertEquals(kids(joined.get(0)), kids(joined.get(2)));
        assertEquals(Files.readString(files.get(0).path()), Files.readString(files.get(2).path()));

        AtomicInteger changes = new AtomicInteger();
        shared.get(2).onChange(changes::incrementAndGet);
        KeyRing rotated = shared.get(1).rotate(clock, Duration.ZERO, Duration.ofHours(1), Duration.ofMinutes(1));
        assertEquals(2, rotated.keys().size());
        assertTrue(eventually(Duration.ofSeconds(10), () -> changes.get() > 0), "the listener fires on node 3");
        assertEquals(kids(rotated), kids(shared.get(2).adoptCluster().orElseThrow()));
        assertEquals(kids(rotated), kids(files.get(2).load()), "node 3's key file has the rotated ring");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(files.get(2).path()));
        assertTrue(shared.get(2).adoptCluster().isEmpty(), "nothing to adopt twice: no ping-pong");
        assertEquals(kids(rotated), kids(shared.get(2).publish()), "an unchanged file publishes nothing new");
    }

    /**
     * Two clusters that started apart (each seeded its own key file) merge, and Infinispan's merge keeps the other
     * side's file: what this side signed must stay verifiable. The merge's outcome is written into the cache as the
     * merge would write it (a real one needs two groups that each saw a majority at start, which only a failure
     * detector's asymmetric suspicion produces); every node then holds both sides' keys, in one history, and a second
     * look changes nothing.
     */
    @Test
    @Order(5)
    void aMergeThatKeptTheOtherSidesKeyFileDropsNoKeyEitherSideSignedWith() throws Exception {
        List<KeyStoreFile> files = new ArrayList<>();
        List<ReplicatedKeyFile> shared = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            KeyStoreFile file = KeyStoreFile.in(tmp.resolve("merge-node" + i));
            file.loadOrCreate(clock);
            files.add(file);
            shared.add(nodes[i].replicatedKeys(file).orElseThrow());
            shared.get(i).join();
        }
        List<String> ours = kids(files.get(0).load());

        KeyStoreFile otherSide = KeyStoreFile.in(tmp.resolve("other-side"));
        otherSide.loadOrCreate(clock);
        List<String> theirs = kids(otherSide.load());
        KeyFileSeal seal = KeyFileSeal.of(settings.get(0));
        nodes[1].cacheManager().<String, SharedKeyFile>getCache(StoreConfiguration.KEYS).put(ReplicatedKeyFile.ENTRY,
                seal.seal(Files.readString(otherSide.path())).withLineage("the-other-side"));

        Set<String> both = new java.util.TreeSet<>(ours);
        both.addAll(theirs);
        for (int i = 0; i < 3; i++) {
            shared.get(i).adoptCluster();
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(both, new java.util.TreeSet<>(kids(files.get(i).load())), "node " + (i + 1) + "'s key file");
            assertTrue(shared.get(i).adoptCluster().isEmpty(), "node " + (i + 1) + ": nothing left to adopt");
        }
        SharedKeyFile merged = nodes[2].cacheManager().<String, SharedKeyFile>getCache(StoreConfiguration.KEYS)
                .get(ReplicatedKeyFile.ENTRY);
        assertEquals("the-other-side", merged.lineage(), "the union continues the history the merge kept");
        assertEquals(both, new java.util.TreeSet<>(ReplicatedKeyFile.kids(seal.open(merged))));
    }

    private static List<String> kids(KeyRing ring) {
        return ring.keys().stream().map(k -> k.privateJwk().getKeyID()).sorted().toList();
    }

    @Test
    @Order(6)
    void aStoppedNodeCatchesUpOnRestartWithEverythingWrittenWhileItWasAway() throws Exception {
        // single-use marks have two owners: whichever node leaves, each mark is still refused a second use
        List<String> marks = IntStream.range(0, 40).mapToObj(i -> "mark-" + i).toList();
        for (String mark : marks) {
            assertTrue(await(nodes[2].replay().firstUse(mark, exp)));
        }
        stop(2);
        assertTrue(eventually(Duration.ofSeconds(10), () -> nodes[0].members().size() == 2));
        // the other two still form a majority and keep writing
        await(nodes[0].tokens().revoke("jti-away", "jti-away", exp));
        assertTrue(await(nodes[1].agents().register(TestAgents.agent("bravo", clock.now()).build())));
        for (String mark : marks) {
            assertFalse(await(nodes[0].replay().firstUse(mark, exp)), mark + " survived the departure of a node");
        }

        nodes[2] = start(2).get(60, TimeUnit.SECONDS);
        assertEquals(3, nodes[2].members().size());
        assertEquals(Set.of("jti-root", "jti-away"),
                await(nodes[2].tokens().revokedAmong(List.of("jti-root", "jti-away", "jti-other"))));
        assertEquals("bravo", await(nodes[2].agents().find("bravo")).agentId());
    }

    @Test
    @Order(7)
    void aNodeCutOffFromTheOthersRefusesReadsAndWritesUntilItRejoins() {
        JChannel channel = channel(nodes[2]);
        DISCARD discard = new DISCARD().discardAll(true);
        try {
            channel.getProtocolStack().insertProtocol(discard, ProtocolStack.Position.ABOVE, TP.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertTrue(eventually(Duration.ofSeconds(30), () -> nodes[0].members().size() == 2),
                "the majority excludes the cut-off node");
        // the majority side keeps serving and acknowledging revocations
        await(nodes[1].tokens().revoke("jti-during-split", "jti-during-split", exp));
        assertTrue(eventually(Duration.ofSeconds(30), () -> unavailable(nodes[2])),
                "the isolated node refuses to answer");
        Throwable failure = assertThrows(AssertionError.class,
                () -> await(nodes[2].tokens().revokedAmong(List.of("jti-during-split")))).getCause();
        assertInstanceOf(StoreUnavailableException.class, failure);
        assertEquals(StoreUnavailableException.NO_MAJORITY, ((StoreUnavailableException) failure).description());
        assertInstanceOf(StoreUnavailableException.class, assertThrows(AssertionError.class,
                () -> await(nodes[2].agents().register(TestAgents.agent("charlie", clock.now()).build())))
                .getCause());

        discard.discardAll(false);
        channel.getProtocolStack().removeProtocol(DISCARD.class);
        assertTrue(eventually(Duration.ofSeconds(40), () -> !unavailable(nodes[2])), "the healed node rejoins");
        assertEquals(Set.of("jti-during-split"),
                await(nodes[2].tokens().revokedAmong(List.of("jti-during-split"))));
    }

    @Test
    @Order(8)
    void aFullClusterRestartKeepsEveryDurableCache() throws Exception {
        for (int i = 0; i < nodes.length; i++) {
            stop(i);
        }
        startAll();
        assertEquals(Set.of("jti-root", "jti-away", "jti-during-split"),
                await(nodes[1].tokens().revokedAmong(List.of("jti-root", "jti-away", "jti-during-split"))));
        assertEquals(AgentStatus.KILLED, await(nodes[2].agents().find("alpha")).status());
        assertEquals("bravo", await(nodes[0].agents().find("bravo")).agentId());
        // single-use marks are memory-only by design (docs/CLUSTER.md): a whole-cluster restart forgets them
        assertTrue(await(nodes[1].replay().firstUse("assertion-1", exp)));
        assertEquals(201L, await(nodes[0].statusIndices().reserve("list-a", 1)));
    }

    @Test
    @Order(9)
    void aNodeThatCannotSeeAMajorityOfItsMembersDoesNotStart() throws Exception {
        int[] ports = freePorts(3);
        List<ClusterSettings.HostPort> members = List.of(new ClusterSettings.HostPort("127.0.0.1", ports[0]),
                new ClusterSettings.HostPort("127.0.0.1", ports[1]),
                new ClusterSettings.HostPort("127.0.0.1", ports[2]));
        ClusterSettings alone = new ClusterSettings(members.get(0), members, "agentid-it-alone",
                Duration.ofSeconds(3), SECRET);
        assertThrows(RuntimeException.class, () -> StateStore.start(tmp.resolve("alone"), clock, alone).close());
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void startAll() throws Exception {
        List<Future<StateStore>> started = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            started.add(start(i));
        }
        for (int i = 0; i < 3; i++) {
            nodes[i] = started.get(i).get(90, TimeUnit.SECONDS);
        }
        for (StateStore node : nodes) {
            assertTrue(eventually(Duration.ofSeconds(20), () -> node.members().size() == 3));
        }
    }

    private Future<StateStore> start(int i) {
        return starter.submit(() -> StateStore.start(tmp.resolve("node" + i), clock, settings.get(i)));
    }

    private void stop(int i) {
        if (nodes[i] != null) {
            nodes[i].close();
            nodes[i] = null;
        }
    }

    private static boolean unavailable(StateStore node) {
        try {
            node.tokens().revokedAmong(List.of("probe")).toCompletionStage().toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
            return false;
        } catch (ExecutionException e) {
            return e.getCause() instanceof StoreUnavailableException;
        } catch (Exception e) {
            return false;
        }
    }

    private static JChannel channel(StateStore node) {
        Transport transport = GlobalComponentRegistry.componentOf(node.cacheManager(), Transport.class);
        return ((JGroupsTransport) transport).getChannel();
    }

    /** Ports free on loopback whose failure-detector port (port + offset) is free too. */
    private static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        int found = 0;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        while (found < count) {
            try (ServerSocket a = new ServerSocket(0, 1, loopback)) {
                int port = a.getLocalPort();
                if (port + ClusterSettings.FD_SOCK_OFFSET > 65535) {
                    continue;
                }
                try (ServerSocket b = new ServerSocket(port + ClusterSettings.FD_SOCK_OFFSET, 1, loopback)) {
                    boolean clash = false;
                    for (int i = 0; i < found; i++) {
                        clash |= Math.abs(ports[i] - port) == ClusterSettings.FD_SOCK_OFFSET || ports[i] == port;
                    }
                    if (!clash) {
                        ports[found++] = port;
                    }
                } catch (IOException taken) {
                    // try another
                }
            }
        }
        assertNotEquals(ports[0], ports[1]);
        return ports;
    }
}
