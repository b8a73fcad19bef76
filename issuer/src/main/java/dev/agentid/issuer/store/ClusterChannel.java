package dev.agentid.issuer.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.infinispan.remoting.transport.jgroups.JGroupsChannelConfigurator;
import org.jgroups.JChannel;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.XmlConfigurator;
import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.SERIALIZE;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.jgroups.util.SocketFactory;

/**
 * Builds the issuer's JGroups channel for Infinispan: the stack of {@code agentid-jgroups-tcp.xml} (placeholders
 * filled by {@link StoreConfiguration#jgroupsXml}), with three protocols added in code so that no key ever lands in a
 * file or a system property:
 * <pre>
 *   FRAG4, MFC, UFC
 *   GMS
 *   AUTH  (ClusterMemberToken)                    &lt;- joins and merges: secret holder AND listed member
 *   STABLE, UNICAST3, NAKACK2, VERIFY_SUSPECT2, FD_ALL3, FD_SOCK2, MERGE3, TCPPING
 *   SERIALIZE                                     &lt;- the whole message, headers included, becomes the payload
 *   ClusterEncrypt (SYM_ENCRYPT, AES-256-GCM) &lt;- every message sealed under its sender's key (from the secret)
 *   ClusterTransport (TCP)                        &lt;- every frame tagged (HMAC-SHA256), checked before JGroups parses it
 *   ClusterSockets                                &lt;- a connection is a member's address that answered a challenge
 * </pre>
 * Encryption sits right above the transport, so discovery, failure detection and merge traffic is sealed as well: a
 * node without the secret learns nothing from a member, and nothing it sends gets past {@link ClusterEncrypt}.
 * (FD_SOCK2's own liveness sockets carry no cluster data and stay outside; see docs/CLUSTER.md.)
 */
final class ClusterChannel implements JGroupsChannelConfigurator {

    private final ClusterSettings cluster;
    private final String xml;
    private final ClusterRefusals refusals;
    private SocketFactory socketFactory;

    ClusterChannel(ClusterSettings cluster, String xml, ClusterRefusals refusals) {
        this.cluster = Objects.requireNonNull(cluster);
        this.xml = Objects.requireNonNull(xml);
        this.refusals = Objects.requireNonNull(refusals);
    }

    @Override
    public String getName() {
        return "agentid-jgroups-tcp (encrypted, authenticated)";
    }

    @Override
    public JChannel createChannel(String name) throws Exception {
        JChannel channel = new JChannel(parsed());
        try {
            ProtocolStack stack = channel.getProtocolStack();
            if (socketFactory != null) {   // Infinispan's transport "socket-factory" property: not ours to take
                throw new IllegalStateException("the cluster transport makes its own sockets (ClusterSockets);"
                        + " do not configure a JGroups socket factory");
            }
            ClusterSecret secret = cluster.secret();
            String clusterName = cluster.clusterName();
            if (!(stack.getTransport() instanceof ClusterTransport transport)) {
                throw new IllegalStateException("the cluster's JGroups stack must use ClusterTransport");
            }
            transport.setSocketFactory(new ClusterSockets(secret.connectionKey(clusterName),
                    ClusterSockets.hosts(cluster.members()), refusals));
            transport.authenticateFrames(secret.frameKey(clusterName), refusals);
            ClusterEncrypt encrypt = new ClusterEncrypt(secret.encryptionKey(clusterName), refusals);
            SERIALIZE serialize = new SERIALIZE();
            ClusterMemberToken token = new ClusterMemberToken(secret.memberAuthKey(clusterName), clusterName,
                    cluster.members(), refusals);
            AUTH auth = new AUTH().setAuthToken(token);
            token.setAuth(auth);
            insert(stack, encrypt, ProtocolStack.Position.ABOVE, ClusterTransport.class);
            insert(stack, serialize, ProtocolStack.Position.ABOVE, ClusterEncrypt.class);
            insert(stack, auth, ProtocolStack.Position.BELOW, GMS.class);
            return channel;
        } catch (Exception | Error e) {
            channel.close();
            throw e;
        }
    }

    private static void insert(ProtocolStack stack, Protocol protocol, ProtocolStack.Position position,
                               Class<? extends Protocol> neighbour) throws Exception {
        protocol.setProtocolStack(stack);
        stack.insertProtocol(protocol, position, neighbour);
        protocol.init();
    }

    private XmlConfigurator parsed() {
        try {
            return XmlConfigurator.getInstance(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse the JGroups stack", e);
        }
    }

    @Override
    public void setSocketFactory(SocketFactory socketFactory) {
        this.socketFactory = socketFactory;
    }

    @Override
    public void setDataSource(DataSource dataSource) {
        // TCPPING: no JDBC discovery
    }

    @Override
    public String getProtocolStackString() {
        return parsed().getProtocolStackString() + " + AUTH, SERIALIZE, ClusterEncrypt";
    }

    @Override
    public List<ProtocolConfiguration> getProtocolStack() {
        return parsed().getProtocolStack();
    }
}
