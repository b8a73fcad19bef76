package dev.agentid.issuer.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.jgroups.util.DefaultSocketFactory;

/**
 * The cluster port's door: the sockets of {@link ClusterTransport}. A connection reaches JGroups only from a member's
 * address and only once it has proved the cluster secret; everything else is closed on the acceptor thread, before
 * JGroups reads a byte of it.
 *
 * <p>Why: JGroups' {@code TCP} accepts any connection that sends its public preamble (a fixed cookie, a version, and
 * the address the peer claims to be), starts a receiver thread for it, and keeps it open for as long as the peer
 * likes. So anyone who could reach the port could hold thousands of connections and as many threads, and, by claiming a
 * member's address, replace that member's own connection (JGroups keeps the connection from the "bigger" address).
 * The frame tags of {@link ClusterTransport} and the sealing of {@link ClusterEncrypt} refuse what such a connection
 * sends, but not the connection itself.
 *
 * <p>How, on a connection a member accepts:
 * <ol>
 *   <li>the remote address must be one of the member list's hosts ({@code ISSUER_CLUSTER_MEMBERS}; members connect
 *       from their listed address, {@code client_bind_addr} in {@code agentid-jgroups-tcp.xml}). Host names are
 *       resolved at start and again, at most every {@link #RESOLVE_INTERVAL_NANOS 5 s}, when an address not among
 *       them connects: a member restarted under a new address (a pod with a stable name) is admitted;</li>
 *   <li>the member sends a challenge of 32 random bytes;</li>
 *   <li>within {@link #HELLO_TIMEOUT_MILLIS} the peer answers HMAC-SHA256 under a key derived from the cluster secret
 *       ({@link ClusterSecret#connectionKey}) of the challenge and of the address and port the peer dialled, as the
 *       accepting member sees them (so an answer a member gave to another address, say an impostor listening on a
 *       stopped member's port, is worth nothing here).</li>
 * </ol>
 * A refused connection is closed and logged, rate-limited, by {@link ClusterRefusals}. A member's own outgoing socket
 * answers the challenge inside {@link Socket#connect(SocketAddress, int)}, before JGroups writes its preamble.
 *
 * <p>The acceptor is one thread: a peer at a member's address that connects and stays silent holds it for at most
 * {@link #HELLO_TIMEOUT_MILLIS} (JGroups' own preamble timeout is the same). Only hosts of the member list can do that.
 */
final class ClusterSockets extends DefaultSocketFactory {

    /** Bytes of the challenge, and of the answer (an HMAC-SHA256). */
    static final int CHALLENGE = 32;
    /** How long a member waits for a connecting peer's answer, and a connecting member for the challenge. */
    static final int HELLO_TIMEOUT_MILLIS = 1000;
    static final String NOT_A_MEMBERS_ADDRESS = "its address is not in the member list (ISSUER_CLUSTER_MEMBERS)";
    static final String NO_PROOF = "it did not prove the cluster secret when it connected (not a member, or another"
            + " cluster secret)";

    /** The least time between two resolutions of the member list prompted by unknown addresses. */
    static final long RESOLVE_INTERVAL_NANOS = 5_000_000_000L;

    /** Name resolution: {@link InetAddress#getAllByName} (tests give their own). */
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final SecretKey key;
    private final List<String> hosts;
    private final ClusterRefusals refusals;
    private final Resolver resolver;
    private final long resolveInterval;
    private final SecureRandom random = new SecureRandom();
    /** The member list's addresses as last resolved (the acceptor thread writes it). */
    private volatile Set<InetAddress> members;
    private long resolvedAt;

    /**
     * @param key the connection key ({@link ClusterSecret#connectionKey})
     * @param hosts the member list's hosts (names or literals): connections are accepted from their addresses
     */
    ClusterSockets(SecretKey key, List<String> hosts, ClusterRefusals refusals) {
        this(key, hosts, refusals, InetAddress::getAllByName, RESOLVE_INTERVAL_NANOS);
    }

    ClusterSockets(SecretKey key, List<String> hosts, ClusterRefusals refusals, Resolver resolver,
                   long resolveIntervalNanos) {
        this.key = Objects.requireNonNull(key);
        this.hosts = List.copyOf(hosts);
        this.refusals = Objects.requireNonNull(refusals);
        this.resolver = Objects.requireNonNull(resolver);
        this.resolveInterval = resolveIntervalNanos;
        this.members = resolve();
        this.resolvedAt = System.nanoTime();
    }

    /** The hosts of a member list. */
    static List<String> hosts(Iterable<ClusterSettings.HostPort> members) {
        List<String> hosts = new ArrayList<>();
        for (ClusterSettings.HostPort member : members) {
            hosts.add(member.host().startsWith("[") ? member.host().substring(1, member.host().length() - 1)
                    : member.host());
        }
        return hosts;
    }

    /** Every address each host resolves to (a host that does not resolve now has none). */
    private Set<InetAddress> resolve() {
        Set<InetAddress> addresses = new HashSet<>();
        for (String host : hosts) {
            try {
                addresses.addAll(Arrays.asList(resolver.resolve(host)));
            } catch (UnknownHostException e) {
                ClusterRefusals.LOG.warning("cluster member host " + host + " does not resolve (yet): " + e);
            }
        }
        return Set.copyOf(addresses);
    }

    /** Whether the address is a member's, resolving the member list again if it is not and that is due. */
    private boolean member(InetAddress from) {
        if (members.contains(from)) {
            return true;
        }
        long now = System.nanoTime();
        if (now - resolvedAt < resolveInterval) {
            return false;
        }
        resolvedAt = now;
        members = resolve();
        return members.contains(from);
    }

    @Override
    public Socket createSocket(String service) {
        return new MemberSocket();
    }

    @Override
    public Socket createSocket(String service, String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null, 0);
    }

    @Override
    public Socket createSocket(String service, InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null, 0);
    }

    @Override
    public Socket createSocket(String service, String host, int port, InetAddress local, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(host, port), local, localPort);
    }

    @Override
    public Socket createSocket(String service, InetAddress host, int port, InetAddress local, int localPort)
            throws IOException {
        return connected(new InetSocketAddress(host, port), local, localPort);
    }

    private Socket connected(InetSocketAddress to, InetAddress local, int localPort) throws IOException {
        MemberSocket socket = new MemberSocket();
        try {
            if (local != null || localPort != 0) {
                socket.bind(new InetSocketAddress(local, localPort));
            }
            socket.connect(to);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    @Override
    public ServerSocket createServerSocket(String service) throws IOException {
        return new Door();
    }

    @Override
    public ServerSocket createServerSocket(String service, int port) throws IOException {
        Door door = new Door();
        door.bind(new InetSocketAddress(port));
        return door;
    }

    @Override
    public ServerSocket createServerSocket(String service, int port, int backlog) throws IOException {
        Door door = new Door();
        door.bind(new InetSocketAddress(port), backlog);
        return door;
    }

    @Override
    public ServerSocket createServerSocket(String service, int port, int backlog, InetAddress bind)
            throws IOException {
        Door door = new Door();
        door.bind(new InetSocketAddress(bind, port), backlog);
        return door;
    }

    /** HMAC-SHA256 of the challenge and the endpoint the peer dialled (address bytes, port). */
    byte[] answer(byte[] challenge, InetAddress dialled, int port) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(challenge);
            byte[] address = dialled.getAddress();
            mac.update(ByteBuffer.allocate(4 + address.length + 4).putInt(address.length).put(address).putInt(port)
                    .array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** A member's outgoing socket: answers the challenge of the member it connects to before anything else. */
    final class MemberSocket extends Socket {

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            super.connect(endpoint, timeout);
            try {
                int previous = getSoTimeout();
                byte[] challenge = readWithin(this, CHALLENGE);
                if (challenge.length < CHALLENGE) {
                    throw new IOException("the cluster member at " + endpoint + " closed the connection before its"
                            + " challenge (is this node in its member list, with the same cluster secret?)");
                }
                OutputStream out = getOutputStream();
                out.write(answer(challenge, getInetAddress(), getPort()));
                out.flush();
                setSoTimeout(previous);
            } catch (IOException e) {
                close();
                throw e;
            }
        }
    }

    /** The listening socket: {@link #accept} returns only a member's connection that proved the secret. */
    final class Door extends ServerSocket {

        Door() throws IOException {
            super();
        }

        @Override
        public Socket accept() throws IOException {
            while (true) {
                Socket socket = super.accept();
                if (admitted(socket)) {
                    return socket;
                }
            }
        }

        private boolean admitted(Socket socket) {
            InetAddress from = socket.getInetAddress();
            if (!member(from)) {
                refusals.refused(from.getHostAddress(), NOT_A_MEMBERS_ADDRESS);
                quietlyClose(socket);
                return false;
            }
            try {
                byte[] challenge = new byte[CHALLENGE];
                random.nextBytes(challenge);
                socket.getOutputStream().write(challenge);
                byte[] answer = readWithin(socket, CHALLENGE);
                if (answer.length == CHALLENGE && MessageDigest.isEqual(answer,
                        answer(challenge, socket.getLocalAddress(), socket.getLocalPort()))) {
                    socket.setSoTimeout(0);
                    return true;
                }
            } catch (IOException e) {
                // silent past the timeout, or gone: not a member's connection
            }
            refusals.refused(from.getHostAddress(), NO_PROOF);
            quietlyClose(socket);
            return false;
        }
    }

    /**
     * Reads {@code n} bytes within {@link #HELLO_TIMEOUT_MILLIS} in all (not per read: a peer that sends a byte now and
     * then must not hold the acceptor); fewer if the peer closes first. Throws {@link java.net.SocketTimeoutException}
     * when the time is up.
     */
    static byte[] readWithin(Socket socket, int n) throws IOException {
        long deadline = System.nanoTime() + HELLO_TIMEOUT_MILLIS * 1_000_000L;
        InputStream in = socket.getInputStream();
        byte[] bytes = new byte[n];
        int read = 0;
        while (read < n) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new java.net.SocketTimeoutException("no answer within " + HELLO_TIMEOUT_MILLIS + " ms");
            }
            socket.setSoTimeout((int) left);
            int r = in.read(bytes, read, n - read);
            if (r < 0) {
                return Arrays.copyOf(bytes, read);
            }
            read += r;
        }
        return bytes;
    }

    private static void quietlyClose(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a refused connection: nothing more to do
        }
    }
}
