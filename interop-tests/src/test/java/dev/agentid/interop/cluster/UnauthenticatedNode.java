package dev.agentid.interop.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.infinispan.Cache;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;

/**
 * The hostile node with no secret: a plain Infinispan member, as anyone can start one, on the issuer's former
 * JGroups stack (TCP + TCPPING naming the members, no AUTH, no encryption), with the issuer's cluster name and cache
 * names. Before issue 10 such a node joined the cluster and received every cache. It runs in the test JVM; the
 * members it attacks are separate issuer processes.
 */
final class UnauthenticatedNode implements AutoCloseable {

    static final List<String> CACHES = List.of("agents", "tokens", "revoked", "replay", "keys", "status-alloc",
            "status-lists");

    private final DefaultCacheManager manager;

    private UnauthenticatedNode(DefaultCacheManager manager) {
        this.manager = manager;
    }

    /** Starts a node on 127.0.0.1:{@code port} that tries to join {@code clusterName} at {@code members}. */
    static UnauthenticatedNode start(String clusterName, int port, String members) {
        GlobalConfigurationBuilder global = GlobalConfigurationBuilder.defaultClusteredBuilder();
        global.cacheContainer().name("intruder");
        global.metrics().gauges(false).histograms(false);
        global.transport().clusterName(clusterName).nodeName("intruder-" + port)
                .initialClusterSize(1)
                .initialClusterTimeout(30, TimeUnit.SECONDS)
                .addProperty(JGroupsTransport.CONFIGURATION_XML, stack(port, members));
        DefaultCacheManager manager = new DefaultCacheManager(global.build(), false);
        ConfigurationBuilder cache = new ConfigurationBuilder();
        cache.clustering().cacheMode(CacheMode.REPL_SYNC).remoteTimeout(5, TimeUnit.SECONDS)
                .stateTransfer().timeout(20, TimeUnit.SECONDS);
        for (String name : CACHES) {
            manager.defineConfiguration(name, cache.build());
        }
        manager.start();
        manager.startCaches(CACHES.toArray(new String[0]));
        return new UnauthenticatedNode(manager);
    }

    /** The members of the cluster this node is in, by name. */
    List<String> view() {
        return manager.getMembers().stream().map(Object::toString).toList();
    }

    /** Every entry of the cache {@code name} this node has, as text. */
    Map<String, String> entries(String name) {
        Cache<Object, Object> cache = manager.getCache(name);
        Map<String, String> all = new java.util.TreeMap<>();
        cache.entrySet().forEach(e -> all.put(String.valueOf(e.getKey()), String.valueOf(e.getValue())));
        return all;
    }

    /** Writes {@code key -> value} into the cache {@code name}; replicated to whoever is in its cluster. */
    void put(String name, String key, String value) {
        manager.getCache(name).put(key, value);
    }

    @Override
    public void close() {
        manager.stop();
    }

    /** The issuer's JGroups stack as it was before issue 10: no AUTH, no SYM_ENCRYPT. */
    private static String stack(int port, String members) {
        StringBuilder hosts = new StringBuilder();
        for (String member : members.split(",")) {
            int colon = member.lastIndexOf(':');
            if (hosts.length() > 0) {
                hosts.append(',');
            }
            hosts.append(member, 0, colon).append('[').append(member.substring(colon + 1)).append(']');
        }
        return """
                <config xmlns="urn:org:jgroups">
                   <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="0" diag.enabled="false"
                        sock_conn_timeout="300ms" tcp_nodelay="true"/>
                   <TCPPING initial_hosts="%s" port_range="0" num_discovery_runs="3"/>
                   <MERGE3 min_interval="3s" max_interval="10s"/>
                   <FD_SOCK2 bind_addr="127.0.0.1" offset="100" port_range="0"/>
                   <FD_ALL3 timeout="8s" interval="2s"/>
                   <VERIFY_SUSPECT2 timeout="1s"/>
                   <pbcast.NAKACK2 use_mcast_xmit="false" xmit_interval="200ms"/>
                   <UNICAST3 xmit_interval="200ms"/>
                   <pbcast.STABLE desired_avg_gossip="5s" max_bytes="1M"/>
                   <pbcast.GMS print_local_addr="false" join_timeout="2s"/>
                   <UFC max_credits="4m" min_threshold="0.40"/>
                   <MFC max_credits="4m" min_threshold="0.40"/>
                   <FRAG4 frag_size="60k"/>
                </config>
                """.formatted(port, hosts + ",127.0.0.1[" + port + "]");
    }
}
