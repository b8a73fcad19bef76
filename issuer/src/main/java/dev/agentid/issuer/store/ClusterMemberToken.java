package dev.agentid.issuer.store;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.auth.AuthToken;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.Bits;
import org.jgroups.util.UUID;

/**
 * The {@link org.jgroups.protocols.AUTH} token of an issuer cluster. A node joining (or merging, or answering a join)
 * sends the physical address it listens on and an HMAC-SHA256, under the member key derived from the cluster secret,
 * of the cluster name, its logical address and that physical address. The receiving member accepts it only if
 * <ul>
 *   <li>the HMAC is right (the sender holds this cluster's secret; the token names the sender that sent it), and</li>
 *   <li>the sender's physical address, as this node's transport knows it, is the one in the token and is listed in
 *       {@code ISSUER_CLUSTER_MEMBERS} (the check of JGroups' {@code FixedMembershipToken}).</li>
 * </ul>
 * Otherwise it logs {@code refused cluster join from <addr>: ...} (rate-limited) and AUTH sends the rejection. The
 * traffic carrying the token is already encrypted and authenticated with the cluster key ({@link ClusterEncrypt});
 * this check is what keeps out a node that holds the secret but is not in the member list (a misconfigured or
 * decommissioned node).
 *
 * <p>JGroups creates received tokens with the public no-argument constructor and {@link #readFrom}; those carry only
 * the wire fields. The node's own token (built by {@link #ClusterMemberToken(SecretKey, String, List,
 * ClusterRefusals)}) holds the key and the member list and is the one asked to {@link #authenticate}.
 */
public final class ClusterMemberToken extends AuthToken {

    private static final int MAC_BYTES = 32;

    // local token only
    private final SecretKey key;
    private final String clusterName;
    private final Set<InetSocketAddress> members;
    private final ClusterRefusals refusals;

    // wire fields
    private String address;
    private byte[] mac;

    /** For JGroups, which creates received tokens by reflection; such a token authenticates nothing. */
    public ClusterMemberToken() {
        this.key = null;
        this.clusterName = null;
        this.members = Set.of();
        this.refusals = null;
    }

    ClusterMemberToken(SecretKey key, String clusterName, List<ClusterSettings.HostPort> members,
                       ClusterRefusals refusals) throws UnknownHostException {
        this.key = key;
        this.clusterName = clusterName;
        Set<InetSocketAddress> resolved = new HashSet<>();
        for (ClusterSettings.HostPort member : members) {
            for (InetAddress address : InetAddress.getAllByName(member.host())) {
                resolved.add(new InetSocketAddress(address, member.port()));
            }
        }
        this.members = Set.copyOf(resolved);
        this.refusals = refusals;
    }

    @Override
    public String getName() {
        return ClusterMemberToken.class.getName();
    }

    @Override
    public boolean authenticate(AuthToken token, Message msg) {
        Address sender = msg.src();
        if (key == null) {
            return false;   // a received token is never asked; refuse if it were
        }
        PhysicalAddress physical = physicalAddressOf(sender);
        String from = sender + (physical == null ? "" : " at " + physical);
        if (!(token instanceof ClusterMemberToken presented) || presented.mac() == null
                || presented.address() == null) {
            refusals.refused(from, "no cluster member token");
            return false;
        }
        if (!MessageDigest.isEqual(presented.mac(), mac(sender, presented.address()))) {
            refusals.refused(from, "its member token is not valid for this cluster (another cluster secret?)");
            return false;
        }
        if (!(physical instanceof IpAddress ip) || !presented.address().equals(physical.printIpAddress())) {
            refusals.refused(from, "its member token names " + presented.address() + ", not the address it uses");
            return false;
        }
        if (!members.contains(new InetSocketAddress(ip.getIpAddress(), ip.getPort()))) {
            refusals.refused(from, "not in ISSUER_CLUSTER_MEMBERS");
            return false;
        }
        return true;
    }

    private synchronized String address() {
        return address;
    }

    private synchronized byte[] mac() {
        return mac;
    }

    private PhysicalAddress physicalAddressOf(Address sender) {
        if (sender == null || auth == null) {
            return null;
        }
        Object physical = auth.getDownProtocol().down(new Event(Event.GET_PHYSICAL_ADDRESS, sender));
        return physical instanceof PhysicalAddress p ? p : null;
    }

    /** HMAC-SHA256(member key, cluster name | logical address | physical address), length-prefixed fields. */
    private byte[] mac(Address logical, String physical) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(key);
            for (byte[] field : new byte[][] {clusterName.getBytes(StandardCharsets.UTF_8), addressBytes(logical),
                    physical.getBytes(StandardCharsets.UTF_8)}) {
                hmac.update(ByteBuffer.allocate(4).putInt(field.length).array());
                hmac.update(field);
            }
            return hmac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static byte[] addressBytes(Address logical) {
        if (logical instanceof UUID uuid) {
            return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                    .putLong(uuid.getLeastSignificantBits()).array();
        }
        return String.valueOf(logical).getBytes(StandardCharsets.UTF_8);
    }

    /** The local token fills in this node's addresses and MAC when AUTH first sends it. */
    private synchronized void seal() {
        if (key == null || auth == null) {
            return;
        }
        Address self = auth.getAddress();
        PhysicalAddress physical = auth.getPhysicalAddress();
        if (self == null || !(physical instanceof IpAddress ip)) {
            return;
        }
        String printed = ip.printIpAddress();
        if (!printed.equals(address)) {
            address = printed;
        }
        mac = mac(self, address);
    }

    @Override
    public synchronized int size() {
        seal();
        return Bits.size(address) + 1 + (mac == null ? 0 : mac.length);
    }

    @Override
    public synchronized void writeTo(DataOutput out) throws IOException {
        seal();
        Bits.writeString(address, out);
        out.writeByte(mac == null ? 0 : mac.length);
        if (mac != null) {
            out.write(mac);
        }
    }

    @Override
    public synchronized void readFrom(DataInput in) throws IOException {
        address = Bits.readString(in);
        int length = in.readUnsignedByte();
        if (length != 0 && length != MAC_BYTES) {
            throw new IOException("malformed cluster member token");
        }
        mac = length == 0 ? null : new byte[length];
        if (mac != null) {
            in.readFully(mac);
        }
    }

    @Override
    public String toString() {
        return "ClusterMemberToken[" + address + "]";
    }
}
