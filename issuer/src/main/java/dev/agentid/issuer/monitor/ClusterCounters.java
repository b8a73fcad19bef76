package dev.agentid.issuer.monitor;

import dev.agentid.issuer.store.SharedMap;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Counts over the whole cluster: once a second ({@link #exchange}) each node publishes its own counts of the last
 * {@link #PUBLISHED} seconds as one entry of the replicated in-memory cache {@code monitor} (key: the node's name),
 * and reads the other nodes' entries. An agent's rate is then this node's count plus the others' as last published,
 * so a burst spread over every node is judged as the one agent's behaviour. The exchange runs on the monitor thread;
 * its write does not wait (an asynchronous put), its reads are of this node's replica.
 *
 * <p>Claims ({@link #claim}) elect one node to respond to an alert that every node raises from the same aggregate:
 * a put-if-absent of {@code claim <agent> <detector>} holding {@code <second> <node> <write>}; a claim older than the
 * cooldown ({@link Monitor#COOLDOWN_SECONDS}) is taken over with a compare-and-set. One entry per agent and detector
 * that ever fired.
 *
 * <p>First sightings ({@link #firstInCluster}) are a put-if-absent of {@code seen <agent> <kind> <item>}: the node
 * that wins it is the first in the cluster to see the item; the others learn it is known. One entry per agent and
 * item (each agent's sets are bounded by {@link AgentProfile#MAX_SEEN}).
 *
 * <p>Every value written by a put-if-absent or compare-and-set ends with a number unique to the write: a write that
 * Infinispan retries after a topology change succeeds when it finds its own value (docs/CLUSTER.md, "Conditional
 * writes survive a retry"), and without it a node would take the value it wrote an hour ago for its own.
 */
public final class ClusterCounters implements Counters {

    private static final Logger LOG = Logger.getLogger(ClusterCounters.class.getName());
    /** Seconds of counts a node publishes: a whole minute for the baselines, plus the current one. */
    static final int PUBLISHED = 70;
    private static final String CLAIM = "claim ";
    private static final String SEEN = "seen ";

    private final LocalCounters local = new LocalCounters();
    private final SharedMap<String, String> shared;
    private final String self;
    private final Supplier<? extends java.util.Collection<String>> members;
    /** The other nodes' counts as last read, summed per agent. */
    private final Map<String, LocalCounters.Ring> others = new HashMap<>();
    /** Numbers the writes of this node: see the class comment. */
    private final AtomicLong writes = new AtomicLong(new SecureRandom().nextLong());
    /** The counts last published: cleared when that write fails, so the next exchange publishes them again. */
    private final AtomicReference<String> lastPublished = new AtomicReference<>("");
    private long now;

    public ClusterCounters(SharedMap<String, String> shared, String self,
                           Supplier<? extends java.util.Collection<String>> members) {
        this.shared = shared;
        this.self = self;
        this.members = members;
    }

    @Override
    public void add(String agent, Metric metric, long second) {
        local.add(agent, metric, second);
    }

    @Override
    public long sum(String agent, Metric metric, long from, long to) {
        LocalCounters.Ring other = others.get(agent);
        return local.sum(agent, metric, from, to) + (other == null ? 0 : other.sum(metric, from, to));
    }

    @Override
    public Set<String> active(long since) {
        Set<String> active = new HashSet<>(local.active(since));
        others.forEach((agent, ring) -> {
            if (ring.last >= since) {
                active.add(agent);
            }
        });
        return active;
    }

    @Override
    public void exchange(long second) {
        now = second;
        String mine = encode(second);
        if (!mine.equals(lastPublished.getAndSet(mine))) {
            shared.putAsync(self, mine).onFailure(t -> {
                lastPublished.compareAndSet(mine, "");
                LOG.fine(() -> "monitor: counts not published: " + t);
            });
        }
        others.clear();
        Set<String> nodes = new HashSet<>(members.get());
        for (String key : shared.localKeys()) {
            if (key.startsWith(CLAIM) || key.startsWith(SEEN) || key.equals(self) || !nodes.contains(key)) {
                continue;   // a node that left: its counts no longer come in, and are not counted
            }
            String value = shared.get(key);
            if (value != null) {
                decode(value, second);
            }
        }
    }

    @Override
    public boolean firstInCluster(String agent, String kind, String item) {
        try {
            return shared.putIfAbsent(SEEN + agent + " " + kind + " " + item, self + " " + writes.incrementAndGet());
        } catch (RuntimeException e) {   // the cluster cannot answer: judge by this node's own sets
            LOG.fine(() -> "monitor: cannot record a first sighting in the cluster: " + e);
            return true;
        }
    }

    @Override
    public boolean claim(String key) {
        String name = CLAIM + key;
        String mine = now + " " + self + " " + writes.incrementAndGet();
        try {
            if (shared.putIfAbsent(name, mine)) {
                return true;
            }
            String held = shared.get(name);   // a claim older than the cooldown is taken over (its node may be gone)
            return held != null && Long.parseLong(held.substring(0, held.indexOf(' ')))
                    < now - Monitor.COOLDOWN_SECONDS && shared.replace(name, held, mine);
        } catch (RuntimeException e) {   // the cluster cannot answer: respond here rather than not at all
            LOG.warning("monitor: cannot claim " + key + " in the cluster (" + e + "); responding on this node");
            return true;
        }
    }

    /** Lines {@code <agent> <second>:<count per metric, comma-separated> ...}, for the last {@link #PUBLISHED} s. */
    private String encode(long second) {
        StringBuilder out = new StringBuilder();
        for (String agent : local.active(second - PUBLISHED + 1)) {
            LocalCounters.Ring ring = local.ring(agent);
            StringBuilder line = new StringBuilder(agent);
            boolean any = false;
            for (long s = second - PUBLISHED + 1; s <= second; s++) {
                StringBuilder slot = new StringBuilder();
                boolean nonZero = false;
                for (Metric m : Metric.values()) {
                    int c = ring.get(m, s);
                    nonZero |= c != 0;
                    slot.append(m.ordinal() == 0 ? "" : ",").append(c);
                }
                if (nonZero) {
                    line.append(' ').append(s).append(':').append(slot);
                    any = true;
                }
            }
            if (any) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    private void decode(String value, long second) {
        Metric[] metrics = Metric.values();
        for (String line : value.split("\n")) {
            String[] parts = line.split(" ");
            if (parts.length < 2) {
                continue;
            }
            LocalCounters.Ring ring = others.computeIfAbsent(parts[0], a -> new LocalCounters.Ring());
            for (int i = 1; i < parts.length; i++) {
                int colon = parts[i].indexOf(':');
                long s = Long.parseLong(parts[i].substring(0, colon));
                if (s <= second - SECONDS) {
                    continue;
                }
                String[] counts = parts[i].substring(colon + 1).split(",");
                for (int m = 0; m < counts.length && m < metrics.length; m++) {
                    int c = Integer.parseInt(counts[m]);
                    if (c > 0) {
                        ring.add(metrics[m], s, c);
                    }
                }
            }
        }
    }
}
