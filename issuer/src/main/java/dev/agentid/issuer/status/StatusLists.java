package dev.agentid.issuer.status;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.domain.StatusReference;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.IndexAllocator;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.store.TokenStore;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.verifier.status.StatusList;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.Deflater;

/**
 * The issuer's Token Status Lists (draft-ietf-oauth-status-list; spec/agent-token-profile.md section 7.1).
 *
 * <p><b>Indices.</b> One issuer-wide counter, advanced in blocks of {@link #BLOCK} with a compare-and-set on the
 * replicated allocator ({@link IndexAllocator}); a node hands out a block's indices locally, without a cluster
 * round-trip per token, and drops a block older than {@link #BLOCK_MAX_AGE}. Index {@code i} lives in list
 * {@code i / LIST_SIZE} at {@code idx = i % LIST_SIZE}. Indices are never handed out twice. A list that gets no new
 * blocks is retired (no longer served) once every token that can hold one of its indices has expired.
 *
 * <p><b>Bits, without scans.</b> Nothing is stored per token in the replicated state. Each node keeps the tokens it
 * minted itself in a {@link MintedIndex} (primitive columns, under 64 bytes a live token, nothing on other nodes) and
 * a crash log ({@link MintedLog}, {@code DATA_DIR/minted}, no fsync) that rebuilds the index after {@code kill -9}.
 * Revocations and agent changes reach every node through listeners on the replicated caches; each node then sets the
 * bits of its own affected tokens: a revocation walks the revoked token's lineage bucket (work proportional to that
 * lineage, not to all tokens), a kill visits the tokens whose chain holds the agent. A token minted while a
 * revocation or kill arrives is checked on its way into the index, so it cannot slip between the two.
 *
 * <p><b>Threads.</b> All of it runs on one thread of its own ({@code agentid-status-lists}), every
 * {@link #TICK}: the request path only appends to a lock-free queue ({@link #minted}); the worker takes no lock the
 * request path takes (allocation has its own). Bits are only ever set.
 *
 * <p><b>Tokens.</b> Each list is served as one signed {@code statuslist+jwt}, stored in the replicated
 * {@code status-lists} cache and replaced with a compare-and-set: a node merges its new bits into the stored list
 * (bits only ever set, so merging is a union) and retries a lost race on its next tick. Every node serves the stored
 * bytes. A list is re-signed when its bits change and at the latest {@code ttl/2} after it was issued.
 *
 * <p><b>Cost of a write.</b> The worker keeps each list it last wrote, decoded, with the token it stored: while the
 * stored token is still that one (no other node wrote since), a write sets bits in that copy instead of parsing and
 * decompressing the stored token again. Pending bits wait in one {@link BitSet} per list. Lists are compressed at
 * zlib's default level ({@link #COMPRESSION}), not its best: see the constant.
 */
public final class StatusLists implements AutoCloseable {

    /** Indices per list: 2^20, 128 KiB uncompressed. */
    public static final int LIST_SIZE = 1 << 20;
    /** Indices a node reserves at a time; divides {@link #LIST_SIZE}, so a block never spans two lists. */
    public static final int BLOCK = 1024;
    /** A node stops handing out a block this long after reserving it. */
    public static final Duration BLOCK_MAX_AGE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    /** How often the worker takes in new tokens and events and writes changed lists. */
    public static final Duration TICK = Duration.ofMillis(10);
    /** How often the worker re-signs due lists, retires old ones, publishes its counts and sweeps. */
    public static final Duration UPKEEP = Duration.ofSeconds(2);
    /** How often expired rows leave the index. */
    static final Duration SWEEP = Duration.ofSeconds(30);
    /** Revocations and lineage outlive the token by this much (verifiers whose clocks run behind). */
    static final Duration GRACE = Duration.ofMinutes(5);
    public static final String PATH = "/oauth2/status";
    public static final JOSEObjectType STATUSLIST_JWT = new JOSEObjectType("statuslist+jwt");
    public static final String MEDIA_TYPE = "application/statuslist+jwt";
    /**
     * The ZLIB level of the served lists: zlib's default (6). The draft recommends the highest level; on 2^20 one-bit
     * statuses with 1% set at random, level 9 took 63 ms of CPU a write against 4.3 ms at level 6 for a stream 15%
     * smaller (14.6 against 16.8 KB), and a list is compressed again whenever a bit changes. At 10% set the two sizes
     * are within 2%. docs/BENCHMARKS.md "Status-list size" has the figures.
     */
    static final int COMPRESSION = Deflater.DEFAULT_COMPRESSION;

    /** Allocator counter name (in the {@code status-alloc} cache). */
    static final String COUNTER = "status-lists";
    static final String LOW = "low";
    /** Prefix of each member's published live-token counts in the {@code status-lists} cache. */
    static final String LIVE = "live:";
    private static final Logger LOG = Logger.getLogger(StatusLists.class.getName());

    /** The replicated state this needs. */
    public record State(SharedMap<String, Object> lists, TokenStore revocations,
                        AgentRegistry agents, Path dataDir, String self, Supplier<List<String>> members) {
    }

    private final String issuer;
    private final KeyService keys;
    private final Clock clock;
    private final Duration ttl;
    private final Duration clockSkew;
    private final Duration maxTokenLifetime;
    private final IndexAllocator allocator;
    private final SharedMap<String, Object> lists;
    private final TokenStore revocations;
    private final AgentRegistry agents;
    private final Path mintedDir;
    private final String self;
    private final Supplier<List<String>> members;

    // ---- allocation: guarded by allocLock, taken by request threads only, never by the worker ----
    private final Object allocLock = new Object();
    private long next;
    private long end;
    private Instant blockReservedAt = Instant.EPOCH;
    private boolean reserving;
    private final ArrayDeque<Promise<StatusReference>> waiting = new ArrayDeque<>();

    // ---- the worker: everything below is touched by the worker thread only ----
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agentid-status-lists");
        t.setDaemon(true);
        return t;
    });
    private final MintedIndex index = new MintedIndex();
    private MintedLog log;
    /** Bits this node must still merge into the stored lists: list number to idx values. */
    private final Map<Long, BitSet> pending = new TreeMap<>();
    /** The entry of {@link #pending} that {@link #dead} wrote last (reset whenever entries leave the map). */
    private long pendingList = -1;
    private BitSet pendingBits;
    /** Per list, the token this worker stored last and its statuses, owned by the worker. */
    private final Map<Long, Written> written = new HashMap<>();
    private Instant lastUpkeep = Instant.EPOCH;
    private Instant lastSweep = Instant.EPOCH;
    private String publishedCounts;
    private long lastFailureLog;
    private volatile boolean started;
    private volatile long workerThread = -1;
    private volatile long writes;
    private volatile long lostWrites;
    // identity chaining: whether a partner's status list marks one of a token's external ancestors
    private volatile Predicate<String> externalRevoked = reference -> false;

    private record Minted(Lineage lineage, List<String> chainAgents, long statusIndex, long expiresAt) {
    }

    private record Revoked(String jti, String root) {
    }

    private record AgentChanged(AgentRecord agent) {
    }

    private enum Signal { PARTNERS_CHANGED }

    private record Task(Runnable run, CompletableFuture<Void> done) {
    }

    /** A list token this worker stored, its statuses (mutated only by the worker) and its {@code iat}. */
    private record Written(String token, StatusList bits, Instant issuedAt) {
    }

    public StatusLists(String issuer, KeyService keys, Clock clock, Duration ttl, Duration clockSkew,
                       Duration maxTokenLifetime, IndexAllocator allocator, State state) {
        this.issuer = Objects.requireNonNull(issuer);
        this.keys = Objects.requireNonNull(keys);
        this.clock = Objects.requireNonNull(clock);
        if (ttl.getSeconds() < 2) {
            throw new IllegalArgumentException("ttl must be at least 2 seconds");
        }
        this.ttl = ttl;
        this.clockSkew = Objects.requireNonNull(clockSkew);
        this.maxTokenLifetime = Objects.requireNonNull(maxTokenLifetime);
        this.allocator = Objects.requireNonNull(allocator);
        this.lists = state.lists();
        this.revocations = state.revocations();
        this.agents = state.agents();
        this.mintedDir = state.dataDir().resolve("minted");
        this.self = state.self();
        this.members = state.members();
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * Identity chaining: {@code revoked} tells whether a partner's status list marks an external ancestor reference
     * ({@link Lineage#external()}); a token with such an ancestor is dead like one with a revoked ancestor, so a
     * revocation travels on along A → B → A. Only certain revocations count: a list that cannot be fetched sets no
     * bit (bits are never cleared).
     */
    public void externalRevocation(Predicate<String> revoked) {
        this.externalRevoked = Objects.requireNonNull(revoked);
    }

    /** The URI of list {@code list}: {@code <issuer>/oauth2/status/<list>}. */
    public String uri(long list) {
        return issuer + PATH + "/" + list;
    }

    // ---- allocation (request path: local, a cluster round-trip once per block) ----

    /**
     * A fresh status-list position for a token about to be minted. Served from this node's block; when
     * it is used up, callers queue and are served in order from the next block, reserved once for all
     * of them (a queue, not a retry: under heavy concurrency a retrying caller could lose the race for
     * every new block, and the retries nested ever deeper).
     */
    public Future<StatusReference> allocate() {
        synchronized (allocLock) {
            if (waiting.isEmpty() && blockUsable()) {
                return Future.succeededFuture(reference(next++));
            }
            Promise<StatusReference> promise = Promise.promise();
            waiting.add(promise);
            if (!reserving) {
                reserving = true;
                reserveBlock();
            }
            return promise.future();
        }
    }

    private boolean blockUsable() {
        return next < end && clock.instant().isBefore(blockReservedAt.plus(BLOCK_MAX_AGE));
    }

    private void reserveBlock() {
        Instant at = clock.instant();
        allocator.reserve(COUNTER, BLOCK).compose(first -> {
            if (first % LIST_SIZE == 0 && first > 0) {
                // list (first / LIST_SIZE - 1) gets no new blocks from now on: its retirement clock starts
                long closed = first / LIST_SIZE - 1;
                return lists.putIfAbsentAsync(closedKey(closed), at.toEpochMilli()).map(v -> first);
            }
            return Future.succeededFuture(first);
        }).onComplete(ar -> {
            List<Map.Entry<Promise<StatusReference>, StatusReference>> served = new ArrayList<>();
            List<Promise<StatusReference>> failed = new ArrayList<>();
            synchronized (allocLock) {
                if (ar.succeeded()) {
                    next = ar.result();
                    end = next + BLOCK;
                    blockReservedAt = at;
                    while (!waiting.isEmpty() && next < end) {
                        served.add(Map.entry(waiting.poll(), reference(next++)));
                    }
                } else {
                    failed.addAll(waiting);
                    waiting.clear();
                }
                reserving = !waiting.isEmpty();
                if (reserving) {
                    reserveBlock();
                }
            }
            served.forEach(e -> e.getKey().complete(e.getValue()));
            failed.forEach(p -> p.fail(ar.cause()));
        });
    }

    StatusReference reference(long index) {
        long list = index / LIST_SIZE;
        return new StatusReference(index, list, (int) (index % LIST_SIZE), uri(list));
    }

    // ---- the request path's hand-over: a lock-free append ----

    /**
     * A token (or chain grant) this node just minted, with status index {@code statusIndex}: the worker indexes it
     * and appends it to the crash log. {@code chainAgents}: this issuer's agents in its chain.
     */
    public void minted(Lineage lineage, List<String> chainAgents, long statusIndex, Instant expiresAt) {
        inbox.add(new Minted(lineage, List.copyOf(chainAgents), statusIndex, expiresAt.getEpochSecond()));
    }

    /**
     * Something outside the replicated caches changed (a partner's status list): the worker rechecks the tokens with
     * partner ancestors. Revocations and kills need no call: the worker hears of them from the caches themselves.
     */
    public Future<Void> changed() {
        inbox.add(Signal.PARTNERS_CHANGED);
        return Future.succeededFuture();
    }

    // ---- serving ----

    /** The stored status list token of {@code list}, or null if there is none (unknown or retired list). */
    public Future<String> token(long list) {
        return lists.getAsync(listKey(list)).map(v -> v instanceof String ? (String) v : null);
    }

    /** The URIs of the lists being served, lowest first (the status list aggregation). */
    public List<String> served() {
        List<String> uris = new ArrayList<>();
        long current = currentList();
        for (long list = lowestList(); list <= current; list++) {
            if (lists.get(listKey(list)) instanceof String) {
                uris.add(uri(list));
            }
        }
        return uris;
    }

    /**
     * Agent id to the number of live tokens whose chain holds it: this node's own, exact as of now, plus those each
     * other current member published at its last upkeep (at most {@link #UPKEEP} old).
     */
    public Future<Map<String, Long>> liveCounts() {
        Map<String, Long> counts = new HashMap<>();
        Context caller = Vertx.currentContext();
        CompletableFuture<Void> done = onWorker(() -> {
            counts.putAll(index.liveCountsPerAgent(clock.instant().getEpochSecond()));
            for (String member : members.get()) {
                if (!member.equals(self) && lists.get(LIVE + member) instanceof String published) {
                    decodeCounts(published).forEach((agent, n) -> counts.merge(agent, n, Long::sum));
                }
            }
        });
        return (caller == null ? Future.fromCompletionStage(done) : Future.fromCompletionStage(done, caller))
                .map(v -> Map.copyOf(counts));
    }

    /** CPU time of the worker thread so far, in nanoseconds (0 before it first ran). */
    public long workerCpuNanos() {
        long thread = workerThread;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long nanos = thread < 0 || !mx.isThreadCpuTimeSupported() ? 0 : mx.getThreadCpuTime(thread);
        return Math.max(0, nanos);
    }

    /** List tokens this node signed and stored (a new bit, or due). */
    public long writes() {
        return writes;
    }

    /** List tokens this node signed whose compare-and-set lost to another node's write; their bits were retried. */
    public long lostWrites() {
        return lostWrites;
    }

    // ---- the worker ----

    /**
     * Rebuilds the index from the crash log, applies the revocations and kills that happened meanwhile, subscribes to
     * the caches and starts the worker. Blocking: call it once, off the event loop.
     */
    public void start() {
        try {
            log = new MintedLog(mintedDir, clock);
            long now = clock.instant().getEpochSecond();
            long rows = log.replay(index, now);
            revocations.onRevocation((jti, root) -> inbox.add(new Revoked(jti, root)));
            agents.onChange(agent -> inbox.add(new AgentChanged(agent)));
            if (rows > 0) {
                revocations.revocationsHere().forEach((jti, root) -> inbox.add(new Revoked(jti, root)));
                agents.agentsHere().forEach(agent -> inbox.add(new AgentChanged(agent)));
                inbox.add(Signal.PARTNERS_CHANGED);
                LOG.info(() -> "status lists: " + rows + " tokens minted here before the restart are indexed again");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the minted-token log in " + mintedDir, e);
        }
        started = true;
        worker.scheduleWithFixedDelay(this::tick, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Runs one pass now, with the upkeep forced, and waits for it: takes in everything queued, sets and stores the
     * bits, re-signs due lists. For tests and the admin API; never on an event loop.
     */
    public void refresh() {
        try {
            onWorker(() -> upkeep(clock.instant(), true)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("status list refresh failed", e);
        }
    }

    /** Runs {@code work} on the worker after everything queued before it has been taken in and stored. */
    private CompletableFuture<Void> onWorker(Runnable work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!started) {
            done.completeExceptionally(new IllegalStateException("status lists are not started"));
            return done;
        }
        inbox.add(new Task(work, done));
        return done;
    }

    /**
     * Stops the worker after one last pass: what was queued before the stop (tokens minted by the last requests, not
     * yet taken in, revocations and kills) is indexed, appended to the crash log and stored, so that a restart finds
     * every token this node answered. The scheduled ticks end with the executor's shutdown; a pass already queued runs.
     */
    @Override
    public void close() {
        boolean wasStarted = started;
        started = false;
        if (wasStarted) {
            worker.execute(this::tick);
        }
        worker.shutdown();
        try {
            if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (log != null) {
                log.close();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "status lists: cannot close the minted-token log", e);
        }
    }

    private void tick() {
        if (workerThread < 0) {
            workerThread = Thread.currentThread().getId();
        }
        List<Task> tasks = new ArrayList<>();
        try {
            Instant now = clock.instant();
            takeIn(now, tasks);
            store(now);
            if (!now.isBefore(lastUpkeep.plus(UPKEEP))) {
                upkeep(now, false);
            }
        } catch (RuntimeException | Error e) {
            long ms = System.currentTimeMillis();
            if (ms - lastFailureLog > 10_000) {
                lastFailureLog = ms;
                LOG.log(Level.WARNING, "status lists: a pass failed; it is retried", e);
            }
        }
        for (Task task : tasks) {
            try {
                task.run().run();
                task.done().complete(null);
            } catch (RuntimeException e) {
                task.done().completeExceptionally(e);
            }
        }
    }

    /** Takes in what the request path and the caches queued, in order. */
    private void takeIn(Instant now, List<Task> tasks) {
        long nowSecond = now.getEpochSecond();
        boolean appended = false;
        Object event;
        while ((event = inbox.poll()) != null) {
            if (event instanceof Minted m) {
                appended |= add(m, nowSecond);
            } else if (event instanceof Revoked r) {
                index.forSubtree(r.root(), r.jti(), nowSecond, this::dead);
            } else if (event instanceof AgentChanged a) {
                AgentRecord agent = a.agent();
                index.forAgent(agent.agentId(), agent.disabledThroughMillis(), nowSecond, this::dead);
            } else if (event == Signal.PARTNERS_CHANGED) {
                index.forExternal(externalRevoked, nowSecond, this::dead);
            } else if (event instanceof Task t) {
                tasks.add(t);
            }
        }
        if (appended) {
            try {
                log.flush();
            } catch (IOException e) {
                logLogFailure(e);
            }
        }
    }

    /**
     * Indexes and logs a new token, then checks it against the revocations and agents held here: a revocation or kill
     * whose event was taken in before the token reached the index would otherwise miss it.
     */
    private boolean add(Minted m, long nowSecond) {
        Lineage lineage = m.lineage();
        if (m.expiresAt() <= nowSecond) {
            return false;
        }
        index.add(lineage.jti(), lineage.ancestors(), m.chainAgents(), m.statusIndex(),
                lineage.mintedAt().toEpochMilli(), m.expiresAt(), lineage.external());
        boolean logged = true;
        try {
            log.append(lineage.jti(), lineage.ancestors(), m.chainAgents(), m.statusIndex(),
                    lineage.mintedAt().toEpochMilli(), m.expiresAt(), lineage.external());
        } catch (IOException e) {
            logged = false;
            logLogFailure(e);
        }
        for (String revoked : revocations.revokedHere(lineage.selfAndAncestors())) {
            index.forSubtree(lineage.root(), revoked, nowSecond, this::dead);
        }
        for (String agentId : m.chainAgents()) {
            AgentRecord agent = agents.findHere(agentId);
            if (agent != null && agent.disabledFor(lineage.mintedAt())) {
                index.forAgent(agentId, agent.disabledThroughMillis(), nowSecond, this::dead);
            }
        }
        if (!lineage.external().isEmpty() && lineage.external().stream().anyMatch(externalRevoked)) {
            index.forExternal(externalRevoked, nowSecond, this::dead);
        }
        return logged;
    }

    private void logLogFailure(IOException e) {
        long ms = System.currentTimeMillis();
        if (ms - lastFailureLog > 10_000) {
            lastFailureLog = ms;
            LOG.warning("status lists: cannot write the minted-token log in " + mintedDir + ": " + e.getMessage()
                    + " (tokens minted now lose their status bits if this node is killed before they expire)");
        }
    }

    private void dead(long statusIndex) {
        long list = statusIndex / LIST_SIZE;
        if (pendingBits == null || list != pendingList) {
            pendingBits = pending.computeIfAbsent(list, k -> new BitSet());
            pendingList = list;
        }
        pendingBits.set((int) (statusIndex % LIST_SIZE));
    }

    /** Merges the pending bits into the stored lists; a list whose compare-and-set lost keeps its bits for next time. */
    private void store(Instant now) {
        pendingBits = null;
        if (pending.isEmpty()) {
            return;
        }
        var lists = pending.entrySet().iterator();
        while (lists.hasNext()) {
            var entry = lists.next();
            if (writeList(entry.getKey(), entry.getValue(), now, false)) {
                lists.remove();
            }
        }
    }

    /** Re-signs due lists, creates the current one, retires old ones, publishes counts, sweeps the index and log. */
    private void upkeep(Instant now, boolean force) {
        lastUpkeep = now;
        store(now);
        long low = lowestList();
        long current = currentList();
        for (long list = low; list <= current; list++) {
            writeList(list, null, now, force);
        }
        retire(low, current, now);
        long served = lowestList();
        written.keySet().removeIf(list -> list < served);
        long nowSecond = now.getEpochSecond();
        if (force || !now.isBefore(lastSweep.plus(SWEEP))) {
            lastSweep = now;
            index.sweep(nowSecond);
            try {
                log.deleteExpired(nowSecond);
            } catch (IOException e) {
                logLogFailure(e);
            }
        }
        publishCounts(nowSecond);
    }

    /** Publishes this node's live counts for the other members' inventories, when clustered and changed. */
    private void publishCounts(long nowSecond) {
        if (members.get().size() < 2 && publishedCounts == null) {
            return;
        }
        String encoded = encodeCounts(index.liveCountsPerAgent(nowSecond));
        if (encoded.equals(publishedCounts)) {
            return;
        }
        Object old = lists.get(LIVE + self);
        boolean stored = old == null ? lists.putIfAbsent(LIVE + self, encoded) : lists.replace(LIVE + self, old, encoded);
        if (stored) {
            publishedCounts = encoded;
        }
    }

    static String encodeCounts(Map<String, Long> counts) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(counts).forEach((agent, n) -> out.append(agent).append('\t').append(n).append('\n'));
        return out.toString();
    }

    static Map<String, Long> decodeCounts(String encoded) {
        Map<String, Long> counts = new HashMap<>();
        for (String line : encoded.split("\n")) {
            int tab = line.lastIndexOf('\t');
            if (tab > 0) {
                try {
                    counts.put(line.substring(0, tab), Long.parseLong(line.substring(tab + 1)));
                } catch (NumberFormatException ignored) {
                    // a damaged entry counts nothing
                }
            }
        }
        return counts;
    }

    /**
     * Sets {@code deadIdx} (null: none) in list {@code list} and re-signs it if a bit changed, if it is due
     * ({@code ttl/2} after its {@code iat}) or if {@code force}; false if another node's write won the race (the caller
     * retries).
     */
    private boolean writeList(long list, BitSet deadIdx, Instant now, boolean force) {
        String key = listKey(list);
        Object old = lists.get(key);
        Written mine = written.get(list);
        StatusList bits;
        Instant issuedAt;
        if (mine != null && mine.token().equals(old)) {
            bits = mine.bits();
            issuedAt = mine.issuedAt();
        } else {
            written.remove(list);
            bits = null;
            issuedAt = null;
            if (old instanceof String stored) {
                try {
                    JWTClaimsSet claims = SignedJWT.parse(stored).getJWTClaimsSet();
                    Map<String, Object> statusList = claims.getJSONObjectClaim("status_list");
                    bits = StatusList.decode((String) statusList.get("lst"), 1, LIST_SIZE / 8);
                    issuedAt = claims.getIssueTime().toInstant();
                    written.put(list, new Written(stored, bits, issuedAt));
                } catch (ParseException | RuntimeException e) {
                    LOG.warning("stored status list " + list + " is unreadable; rebuilding it without its bits");
                    bits = null;
                    issuedAt = null;
                }
            }
            if (bits == null) {
                bits = StatusList.allValid(LIST_SIZE, 1);
            }
        }
        boolean due = issuedAt == null || !now.isBefore(issuedAt.plus(ttl.dividedBy(2)));
        boolean changed = false;
        if (deadIdx != null) {
            for (int idx = deadIdx.nextSetBit(0); idx >= 0 && idx < LIST_SIZE; idx = deadIdx.nextSetBit(idx + 1)) {
                if (bits.status(idx) == StatusList.VALID) {
                    bits.set(idx, StatusList.INVALID);
                    changed = true;
                }
            }
        }
        if (!changed && !due && !force) {
            return true;
        }
        String token;
        boolean stored = false;
        try {
            token = sign(list, bits, now);
            stored = old == null ? lists.putIfAbsent(key, token) : lists.replace(key, old, token);
        } finally {
            if (!stored) {
                // bits now holds statuses no stored token has (the caller keeps them pending): lost race or failure,
                // the next write reads the stored list again
                written.remove(list);
            }
        }
        if (stored) {
            written.put(list, new Written(token, bits, issuedAt(now)));
            writes++;
        } else {
            lostWrites++;
        }
        return stored;
    }

    /** The signed status list token, issued at {@link #issuedAt issuedAt(now)}. */
    String sign(long list, StatusList bits, Instant now) {
        Instant iat = issuedAt(now);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(uri(list))
                .issueTime(Date.from(iat))
                // twice the ttl: a relying party may still hold a copy a whole ttl after the half-ttl refresh
                .expirationTime(Date.from(iat.plus(ttl.multipliedBy(2))))
                .claim("ttl", ttl.getSeconds())
                .claim("status_list", Map.of("bits", 1, "lst", bits.encode(COMPRESSION)))
                .build();
        return keys.sign(STATUSLIST_JWT, claims, now);
    }

    /** A list token's {@code iat}: whole seconds. */
    private static Instant issuedAt(Instant now) {
        return Instant.ofEpochSecond(now.getEpochSecond());
    }

    /**
     * Retires lists below the current one once no token can hold one of their indices any more: a list that got its
     * last block at {@code closedAt} has no token older than {@code closedAt + BLOCK_MAX_AGE} and none living past
     * {@code maxTokenLifetime} plus the grace after that.
     */
    private void retire(long low, long current, Instant now) {
        long newLow = low;
        for (long list = low; list < current; list++) {
            Object closedAt = lists.get(closedKey(list));
            boolean quiet = closedAt instanceof Long && !now.isBefore(Instant.ofEpochMilli((Long) closedAt)
                    .plus(BLOCK_MAX_AGE).plus(maxTokenLifetime).plus(GRACE).plus(clockSkew).plus(clockSkew));
            if (!quiet) {
                break;
            }
            newLow = list + 1;
        }
        if (newLow > low) {
            Object stored = lists.get(LOW);
            boolean won = stored == null ? lists.putIfAbsent(LOW, newLow) : lists.replace(LOW, stored, newLow);
            if (won) {
                for (long list = low; list < newLow; list++) {
                    lists.remove(listKey(list));
                    lists.remove(closedKey(list));
                }
            }
        }
    }

    long lowestList() {
        Object low = lists.get(LOW);
        return low instanceof Long ? (Long) low : 0L;
    }

    /** The list the allocator hands out blocks from now (0 before the first block). */
    long currentList() {
        long nextFree = allocator.nextFree(COUNTER);
        return nextFree == 0 ? 0 : (nextFree - 1) / LIST_SIZE;
    }

    static String listKey(long list) {
        return "list:" + list;
    }

    static String closedKey(long list) {
        return "closed:" + list;
    }
}
