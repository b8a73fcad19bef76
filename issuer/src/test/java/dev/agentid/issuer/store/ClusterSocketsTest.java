package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster port's door ({@link ClusterSockets}), with real sockets on the loopback: a member's connection is
 * admitted, and every other one is closed before {@code accept} returns it to JGroups, with a refusal line.
 */
class ClusterSocketsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final ClusterSecret secret = TestSecrets.random();
    private ClusterSockets sockets;
    private ServerSocket door;
    private CompletableFuture<Socket> accepted;

    @BeforeEach
    void openTheDoor() throws IOException {
        Logger log = Logger.getAnonymousLogger();
        log.setUseParentHandlers(false);
        log.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                refusals.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        sockets = new ClusterSockets(secret.connectionKey("agentid"), List.of(LOOPBACK.getHostAddress()),
                new ClusterRefusals(System::nanoTime, log));
        door = sockets.createServerSocket("test");
        door.bind(new InetSocketAddress(LOOPBACK, 0));
        accepted = acceptOn(door);
    }

    /** The connection {@code accept} returns (on another thread: it blocks until one is admitted). */
    private static CompletableFuture<Socket> acceptOn(ServerSocket server) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        door.close();
    }

    private InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, door.getLocalPort());
    }

    /** Reads until the member closes the connection; returns what it sent (a challenge, or nothing). */
    private static byte[] untilClosed(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        return socket.getInputStream().readAllBytes();
    }

    private void assertTheDoorStillAdmitsAMember() throws Exception {
        try (Socket member = sockets.createSocket("test")) {
            member.connect(address(), 1_000);
            member.getOutputStream().write("bela".getBytes(StandardCharsets.US_ASCII));
            try (Socket admitted = accepted.get(5, TimeUnit.SECONDS)) {
                byte[] cookie = admitted.getInputStream().readNBytes(4);
                assertArrayEquals("bela".getBytes(StandardCharsets.US_ASCII), cookie,
                        "JGroups reads the member's first byte after the answer, nothing of the hello");
                admitted.getOutputStream().write(7);
                assertEquals(7, member.getInputStream().read());
            }
        }
    }

    @Test
    void aMemberAnsweringTheChallengeIsAdmitted() throws Exception {
        assertTheDoorStillAdmitsAMember();
        assertEquals(List.of(), refusals);
    }

    @Test
    void anOutsiderSendingJGroupsPreambleWithoutTheSecretIsClosedBeforeJGroupsSeesIt() throws Exception {
        try (Socket outsider = new Socket()) {
            outsider.connect(address(), 1_000);
            // JGroups' preamble: the cookie, a version, an address length, then the address a member would claim
            outsider.getOutputStream().write(new byte[] {'b', 'e', 'l', 'a', 0x14, 0x02, 0, 7, 4, 127, 0, 0, 1,
                    0x1e, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
            long start = System.nanoTime();
            byte[] seen = untilClosed(outsider);
            assertEquals(ClusterSockets.CHALLENGE, seen.length, "a challenge, then the door closes");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "closed at once, not held open");
        }
        assertFalse(accepted.isDone(), "JGroups never got the outsider's connection");
        assertEquals(List.of("refused cluster join from " + LOOPBACK.getHostAddress() + ": " + ClusterSockets.NO_PROOF),
                refusals);
        assertTheDoorStillAdmitsAMember();
    }

    @Test
    void anOutsiderHoldingTheConnectionSilentIsClosedAfterTheHelloTimeout() throws Exception {
        try (Socket outsider = new Socket()) {
            outsider.connect(address(), 1_000);
            long start = System.nanoTime();
            byte[] seen = untilClosed(outsider);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ClusterSockets.CHALLENGE, seen.length);
            assertTrue(millis >= ClusterSockets.HELLO_TIMEOUT_MILLIS - 100 && millis < 4_000, millis + " ms");
        }
        assertFalse(accepted.isDone());
        assertTheDoorStillAdmitsAMember();
    }

    /** A peer that sends a byte now and then (each read within the timeout) is closed after the timeout in all. */
    @Test
    void anOutsiderDrippingBytesIsClosedAfterTheHelloTimeoutInAll() throws Exception {
        try (Socket outsider = new Socket()) {
            outsider.connect(address(), 1_000);
            long start = System.nanoTime();
            Thread drip = new Thread(() -> {
                try {
                    for (int i = 0; i < 12; i++) {   // a byte every 300 ms: 4.6 s if the timeout were per read
                        outsider.getOutputStream().write(0);
                        Thread.sleep(300);
                    }
                } catch (IOException | InterruptedException closed) {
                    // the door closed the connection under the drip
                }
            });
            drip.start();
            try {
                untilClosed(outsider);
            } catch (IOException reset) {
                // closed with a reset: closed all the same
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            drip.interrupt();
            drip.join();
            assertTrue(millis >= ClusterSockets.HELLO_TIMEOUT_MILLIS - 100 && millis < 3_000,
                    "closed after " + millis + " ms");
        }
        assertFalse(accepted.isDone());
        assertTheDoorStillAdmitsAMember();
    }

    @Test
    void aNodeWithAnotherClusterSecretIsRefused() throws Exception {
        ClusterSockets other = new ClusterSockets(TestSecrets.random().connectionKey("agentid"),
                List.of(LOOPBACK.getHostAddress()), new ClusterRefusals());
        try (Socket stranger = other.createSocket("test")) {
            stranger.connect(address(), 1_000);   // it answers, with the wrong key
            assertEquals(0, untilClosed(stranger).length, "closed after the wrong answer");
        }
        assertFalse(accepted.isDone());
        assertEquals(List.of("refused cluster join from " + LOOPBACK.getHostAddress() + ": " + ClusterSockets.NO_PROOF),
                refusals);
        assertTheDoorStillAdmitsAMember();
    }

    /**
     * An impostor that got a member to answer its challenge (say, listening on a stopped member's port) relays the
     * answer to another member: the answer covers the address and port the member dialled, so it is refused.
     */
    @Test
    void anAnswerAMemberGaveToAnotherAddressIsRefused() throws Exception {
        try (Socket relay = new Socket()) {
            relay.connect(address(), 1_000);
            InputStream in = relay.getInputStream();
            byte[] challenge = in.readNBytes(ClusterSockets.CHALLENGE);
            // the member's answer to this challenge, given when it dialled another port (the impostor's)
            relay.getOutputStream().write(sockets.answer(challenge, LOOPBACK, door.getLocalPort() + 1));
            assertEquals(0, untilClosed(relay).length);
        }
        assertFalse(accepted.isDone());
        assertTheDoorStillAdmitsAMember();
    }

    @Test
    void aConnectionFromAnAddressNotInTheMemberListIsClosedWithoutAChallenge() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.2");
        try (Socket outsider = new Socket()) {
            outsider.bind(new InetSocketAddress(other, 0));
            outsider.connect(address(), 1_000);
            long start = System.nanoTime();
            assertEquals(0, untilClosed(outsider).length, "not even a challenge");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "closed at once");
        }
        assertFalse(accepted.isDone());
        assertEquals(List.of("refused cluster join from 127.0.0.2: " + ClusterSockets.NOT_A_MEMBERS_ADDRESS),
                refusals);
        assertTheDoorStillAdmitsAMember();
    }

    /**
     * A member restarted under a new address (a pod keeps its name, not its IP): the door resolves the member list
     * again when an unknown address connects (at most once per interval; 0 here), and admits it.
     */
    @Test
    void aMemberWhoseNameNowResolvesToANewAddressIsAdmitted() throws Exception {
        InetAddress before = InetAddress.getByName("127.0.0.3");
        java.util.concurrent.atomic.AtomicReference<InetAddress> dns = new java.util.concurrent.atomic.AtomicReference<>(
                before);
        ClusterSockets renamed = new ClusterSockets(secret.connectionKey("agentid"), List.of("member-2.cluster"),
                new ClusterRefusals(), host -> new InetAddress[] {dns.get()}, 0);   // resolved again at every stranger
        try (ServerSocket door2 = renamed.createServerSocket("test", 0, 50, LOOPBACK)) {
            CompletableFuture<Socket> admitted = acceptOn(door2);
            try (Socket early = new Socket()) {   // 127.0.0.1 is not member-2's address yet
                early.connect(new InetSocketAddress(LOOPBACK, door2.getLocalPort()), 1_000);
                assertEquals(0, untilClosed(early).length);
            }
            dns.set(LOOPBACK);   // member-2 restarted on 127.0.0.1
            try (Socket member = sockets.createSocket("test")) {
                member.connect(new InetSocketAddress(LOOPBACK, door2.getLocalPort()), 1_000);
                assertTrue(admitted.get(5, TimeUnit.SECONDS).isConnected(), "admitted under its new address");
            }
        }
    }

    @Test
    void aMemberRefusedAtTheDoorFailsToConnectWithAClearMessage() throws Exception {
        ClusterSockets elsewhere = new ClusterSockets(secret.connectionKey("agentid"), List.of(), new ClusterRefusals());
        try (ServerSocket closed = elsewhere.createServerSocket("test", 0, 50, LOOPBACK)) {
            CompletableFuture.runAsync(() -> {
                try {
                    closed.accept();
                } catch (IOException ignored) {
                    // closed by the test
                }
            });
            Socket member = sockets.createSocket("test");
            IOException refused = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> member.connect(new InetSocketAddress(LOOPBACK, closed.getLocalPort()), 1_000));
            assertTrue(refused.getMessage().contains("closed the connection before its challenge"),
                    refused.getMessage());
            assertTrue(member.isClosed());
        }
    }
}
