package dev.agentid.issuer.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * Where this node listens for the cluster and who the other members are (JGroups TCP + TCPPING, no multicast).
 *
 * @param bind this node's cluster address ({@code ISSUER_CLUSTER_BIND}); every cluster socket binds to its host
 * @param members every member of the cluster, this node included ({@code ISSUER_CLUSTER_MEMBERS})
 * @param clusterName the JGroups cluster name ({@code ISSUER_CLUSTER_NAME}); nodes with other names never join
 * @param startTimeout how long a starting node waits to see a majority of {@code members} before it fails
 * @param secret the cluster's shared secret ({@code ISSUER_CLUSTER_SECRET_FILE}): required, a cluster is never open
 */
public record ClusterSettings(HostPort bind, List<HostPort> members, String clusterName, Duration startTimeout,
                              ClusterSecret secret) {

    /** The default {@link #startTimeout}. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(2);

    /** The failure detector (FD_SOCK2) listens on the cluster port plus this offset, on the same host. */
    public static final int FD_SOCK_OFFSET = 100;

    public ClusterSettings {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(startTimeout, "startTimeout");
        if (secret == null) {
            throw new IllegalArgumentException("ISSUER_CLUSTER_SECRET_FILE is required for clustering: the cluster's"
                    + " shared secret (at least 32 random bytes, mode 0600; generate it with: keys cluster-secret"
                    + " --out FILE). Without it anyone who can reach the cluster port could join the cluster");
        }
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("the cluster name must not be blank");
        }
        if (bind.port() == 0) {
            throw new IllegalArgumentException("the cluster bind port must not be 0 (members are listed by port)");
        }
        if (bind.port() + FD_SOCK_OFFSET > 65535) {
            throw new IllegalArgumentException("the cluster bind port must be at most " + (65535 - FD_SOCK_OFFSET)
                    + " (the failure detector listens on port + " + FD_SOCK_OFFSET + ")");
        }
        LinkedHashSet<HostPort> unique = new LinkedHashSet<>(members);
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("the cluster member list must not be empty");
        }
        if (!unique.contains(bind)) {
            throw new IllegalArgumentException("the cluster member list must contain this node's bind address "
                    + bind);
        }
        members = List.copyOf(unique);
    }

    public ClusterSettings(HostPort bind, List<HostPort> members, String clusterName, ClusterSecret secret) {
        this(bind, members, clusterName, DEFAULT_START_TIMEOUT, secret);
    }

    /**
     * Parses the three settings; {@code members} is a comma-separated {@code host:port} list.
     *
     * @param secret null refuses (see the constructor)
     * @throws IllegalArgumentException naming the setting at fault
     */
    public static ClusterSettings parse(String bind, String members, String clusterName, ClusterSecret secret) {
        HostPort self = HostPort.parse(bind, "ISSUER_CLUSTER_BIND");
        List<HostPort> list = new ArrayList<>();
        for (String member : members.split(",")) {
            if (!member.isBlank()) {
                list.add(HostPort.parse(member.trim(), "ISSUER_CLUSTER_MEMBERS"));
            }
        }
        return new ClusterSettings(self, list, clusterName.trim(), secret);
    }

    @Override
    public String toString() {   // never prints the secret
        return "ClusterSettings[bind=" + bind + ", members=" + members + ", clusterName=" + clusterName
                + ", startTimeout=" + startTimeout + ", secret=" + secret + "]";
    }

    /** The smallest number of members that is more than half of the member list. */
    public int majority() {
        return members.size() / 2 + 1;
    }

    /** {@code host[port],host[port]}: the TCPPING initial_hosts syntax. */
    String initialHosts() {
        StringBuilder hosts = new StringBuilder();
        for (HostPort member : members) {
            if (hosts.length() > 0) {
                hosts.append(',');
            }
            hosts.append(member.host()).append('[').append(member.port()).append(']');
        }
        return hosts.toString();
    }

    /** A host (name, IPv4 or bracketed IPv6 literal) and a TCP port. */
    public record HostPort(String host, int port) {

        public HostPort {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535");
            }
        }

        static HostPort parse(String value, String setting) {
            String v = value == null ? "" : value.trim();
            int colon = v.lastIndexOf(':');
            if (colon <= 0 || colon == v.length() - 1) {
                throw new IllegalArgumentException(setting + " must be host:port, got '" + v + "'");
            }
            String host = v.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException(setting + ": write an IPv6 address as [addr]:port, got '" + v
                        + "'");
            }
            try {
                int port = Integer.parseInt(v.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException(setting + ": port must be between 1 and 65535, got '" + v
                            + "'");
                }
                return new HostPort(host, port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(setting + ": port is not a number in '" + v + "'");
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }
}
