package dev.agentid.issuer.store;

import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.infinispan.Cache;
import org.infinispan.commons.time.TimeService;
import org.infinispan.commons.util.IntSet;
import org.infinispan.commons.util.IntSets;
import org.infinispan.configuration.cache.Configurations;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.container.impl.InternalDataContainer;
import org.infinispan.factories.ComponentRegistry;

/**
 * Removes expired single-use marks from this node's memory, a few segments at a time, in place of Infinispan's
 * expiration reaper for the {@code replay} cache (which {@link StoreConfiguration} turns off for that cache).
 *
 * <p>Infinispan's reaper visits every entry of the cache every wake-up, and removes each expired one through a
 * hand-off: on a single node, a task on its blocking pool that the reaper thread waits for (two thread wake-ups per
 * mark); in a cluster, a {@code removeLifespanExpired} command from the primary owner, replicated to the backup (a
 * message per mark). A node issuing thousands of tokens a second has hundreds of thousands of marks and thousands
 * expiring every second, so every ten seconds it spent 40-300 ms on that (a reaper thread and the pool threads it
 * waits for), measured as bursts of late requests in the open-loop benchmark, and in a cluster as much expiry traffic
 * as there were marks.
 *
 * <p>Here each node drops the expired marks it holds itself (as primary or backup owner), directly from its data
 * container, with no message and no hand-off: an expiry is the same on every owner, which each decides by its own
 * clock, as Infinispan does for lifespans. Reads never need this to be prompt: a mark past its lifespan reads as absent
 * (Infinispan checks on access), so this only bounds memory, to a mark's lifespan plus one pass over the segments
 * ({@link #PERIOD_MILLIS} times {@code segments / SEGMENTS_PER_STEP}; about two on a single node, below). A removal
 * is atomic per key and removes only an entry that is still expired at that moment, so a mark written again
 * concurrently is kept.
 *
 * <p>A single node's cache is {@code LOCAL}, and Infinispan keeps a local cache's entries in one map, every key in
 * segment 0: asking it for a few segments walks the whole map and filters, so seven steps of eight walked every mark
 * for nothing and the eighth removed a whole pass's expired marks at once. There the reaper walks the map instead, a
 * slice a step: a pass is as many steps as a segmented pass, each visiting an equal share of the marks the map holds
 * (at least the share of when the pass began; a mark written during a pass may wait for the next one).
 */
final class ReplayReaper implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReplayReaper.class.getName());

    /** One step every this often. */
    static final long PERIOD_MILLIS = 1_000;

    /** Segments visited per step: with 32 segments, every mark is visited every 8 s. */
    static final int SEGMENTS_PER_STEP = 4;

    private final InternalDataContainer<Object, Object> container;
    private final TimeService time;
    private final int segments;
    private final ScheduledExecutorService thread;
    /** Whether the container keeps its entries by segment (a clustered cache), so one segment is read alone. */
    private final boolean segmented;
    private int next;
    /** Not segmented: the walk of the current pass, and how many entries each of its steps visits. */
    private Iterator<InternalCacheEntry<Object, Object>> walk;
    private int slice;

    @SuppressWarnings("unchecked")
    ReplayReaper(Cache<?, ?> cache, int segments) {
        this.container = Objects.requireNonNull(ComponentRegistry.componentOf(cache, InternalDataContainer.class));
        this.time = Objects.requireNonNull(ComponentRegistry.componentOf(cache, TimeService.class));
        this.segments = segments;
        this.segmented = Configurations.needSegments(cache.getCacheConfiguration());
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "agentid-replay-reaper");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the periodic steps on the reaper's own daemon thread. */
    ReplayReaper start() {
        thread.scheduleWithFixedDelay(() -> {
            try {
                step(time.wallClockTime());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "replay marks: expired marks not removed this step: " + e);
            }
        }, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Visits the next {@link #SEGMENTS_PER_STEP} segments and removes the marks in them that are expired at {@code now}
     * (epoch millis, Infinispan's wall clock). Returns how many it removed. One thread only: the reaper's own once
     * started (tests step a reaper they did not start).
     */
    int step(long now) {
        if (!segmented) {
            return stepThroughTheMap(now);
        }
        IntSet these = IntSets.mutableEmptySet(segments);
        for (int i = 0; i < SEGMENTS_PER_STEP; i++) {
            these.set(next);
            next = (next + 1) % segments;
        }
        return sweep(these, now);
    }

    /**
     * One slice of the walk over an unsegmented container: a pass takes as many steps as a segmented one, each visiting
     * at least an equal share of the map as it was when the pass began and as it is now.
     */
    private int stepThroughTheMap(long now) {
        int stepsPerPass = Math.max(1, segments / SEGMENTS_PER_STEP);
        int share = (int) Math.max(1, (container.sizeIncludingExpired() + stepsPerPass - 1L) / stepsPerPass);
        if (walk == null || !walk.hasNext()) {
            walk = container.iteratorIncludingExpired();
            slice = share;
        } else {
            // never less than a share of the map as it is now: a walk begun on a small map must keep up as it grows
            // (it sees the marks written into the part it has not reached yet), or it would never end
            slice = Math.max(slice, share);
        }
        return sweep(walk, now, slice);
    }

    /** Every mark at once (tests, and the figure of how many marks a pass removes). */
    int sweepAll(long now) {
        return sweep(container.iteratorIncludingExpired(), now, Integer.MAX_VALUE);
    }

    private int sweep(IntSet these, long now) {
        return sweep(container.iteratorIncludingExpired(these), now, Integer.MAX_VALUE);
    }

    /** Visits at most {@code limit} entries of {@code it}, removing those expired at {@code now}. */
    private int sweep(Iterator<InternalCacheEntry<Object, Object>> it, long now, int limit) {
        int removed = 0;
        for (int visited = 0; visited < limit && it.hasNext(); visited++) {
            InternalCacheEntry<Object, Object> entry = it.next();
            if (entry.canExpire() && entry.isExpired(now)) {
                boolean[] gone = {false};
                container.compute(entry.getKey(), (key, current, factory) -> {
                    if (current != null && current.isExpired(now)) {
                        gone[0] = true;
                        return null;
                    }
                    return current;
                });
                if (gone[0]) {
                    removed++;
                }
            }
        }
        return removed;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
