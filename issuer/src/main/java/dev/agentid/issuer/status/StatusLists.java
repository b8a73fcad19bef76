package dev.agentid.issuer.status;

import dev.agentid.issuer.domain.StatusReference;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.IndexAllocator;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.issuer.domain.TokenRecord;
import dev.agentid.verifier.status.StatusList;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The issuer's Token Status Lists (draft-ietf-oauth-status-list; spec/agent-token-profile.md section 7.1).
 *
 * <p><b>Indices.</b> One issuer-wide counter, advanced in blocks of {@link #BLOCK} with a compare-and-set on the
 * replicated allocator ({@link IndexAllocator}); a node hands out a block's indices locally, without a cluster
 * round-trip per token, and drops a block older than {@link #BLOCK_MAX_AGE}. Index {@code i} lives in list
 * {@code i / LIST_SIZE} at {@code idx = i % LIST_SIZE}. Indices are never handed out twice, so they are never reused
 * while a token holding them is alive; a list whose tokens have all expired is retired (no longer served).
 *
 * <p><b>Bits.</b> {@link #refresh()} (a background job, never on a request path) scans the lineage records and sets
 * the bit of every token that is revoked, descends from a revoked token, or has an agent in its chain that is killed
 * or was killed after the token was issued: the same rules as {@code TokenLiveness}, which answers the request path
 * in O(chain depth). Bits are only ever set. It runs every {@link #DEFAULT_PERIOD}; a revocation or kill calls
 * {@link #changed()} so the next run rescans at once, well within the published {@code ttl}.
 *
 * <p><b>Tokens.</b> Each list is served as one signed {@code statuslist+jwt}, stored in the replicated
 * {@code status-lists} cache and replaced with a compare-and-set; every node serves the stored bytes, so all nodes
 * serve the same token. A token is rebuilt when its bits change and at the latest {@code ttl/2} after it was issued.
 */
public final class StatusLists {

    /** Indices per list: 2^20, 128 KiB uncompressed. */
    public static final int LIST_SIZE = 1 << 20;
    /** Indices a node reserves at a time; divides {@link #LIST_SIZE}, so a block never spans two lists. */
    public static final int BLOCK = 1024;
    /** A node stops handing out a block this long after reserving it. */
    public static final Duration BLOCK_MAX_AGE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(2);
    public static final String PATH = "/oauth2/status";
    public static final JOSEObjectType STATUSLIST_JWT = new JOSEObjectType("statuslist+jwt");
    public static final String MEDIA_TYPE = "application/statuslist+jwt";

    /** Allocator counter name (in the {@code status-alloc} cache). */
    static final String COUNTER = "status-lists";
    static final String GENERATION = "generation";
    private static final Logger LOG = Logger.getLogger(StatusLists.class.getName());

    private final String issuer;
    private final KeyService keys;
    private final Clock clock;
    private final Duration ttl;
    private final Duration clockSkew;
    private final IndexAllocator allocator;
    private final SharedMap<String, Object> lists;
    private final SharedMap<String, Long> allocation;
    private final SharedMap<String, TokenRecord> tokens;
    private final SharedMap<String, ?> revoked;
    private final SharedMap<String, AgentRecord> agents;

    // the block this node hands out: [next, end), reserved at blockReservedAt; guarded by this
    private long next;
    private long end;
    private Instant blockReservedAt = Instant.EPOCH;
    private boolean reserving;
    private final ArrayDeque<Promise<StatusReference>> waiting = new ArrayDeque<>();

    // refresh() state; refresh runs on one thread at a time (synchronized)
    private Object seenGeneration = new Object();
    private boolean recheck;
    private Instant lastReconcile = Instant.EPOCH;
    private long timer = -1;
    // identity chaining: whether a partner's status list marks one of a token's external ancestors
    private volatile Predicate<String> externalRevoked = reference -> false;

    /** The caches this needs, all from the state store's {@code StoreConfiguration}. */
    public record Caches(SharedMap<String, Object> lists, SharedMap<String, Long> allocation,
                         SharedMap<String, TokenRecord> tokens, SharedMap<String, ?> revoked,
                         SharedMap<String, AgentRecord> agents) {
    }

    public StatusLists(String issuer, KeyService keys, Clock clock, Duration ttl, Duration clockSkew,
                       IndexAllocator allocator, Caches caches) {
        this.issuer = Objects.requireNonNull(issuer);
        this.keys = Objects.requireNonNull(keys);
        this.clock = Objects.requireNonNull(clock);
        if (ttl.getSeconds() < 2) {
            throw new IllegalArgumentException("ttl must be at least 2 seconds");
        }
        this.ttl = ttl;
        this.clockSkew = clockSkew;
        this.allocator = Objects.requireNonNull(allocator);
        this.lists = caches.lists();
        this.allocation = caches.allocation();
        this.tokens = caches.tokens();
        this.revoked = caches.revoked();
        this.agents = caches.agents();
    }

    public Duration ttl() {
        return ttl;
    }

    /**
     * Identity chaining: {@code revoked} tells whether a partner's status list marks an external ancestor reference
     * ({@code TokenRecord.externalStatus}); a token with such an ancestor is dead like one with a revoked ancestor, so
     * a revocation travels on along A → B → A. Only certain revocations count: a list that cannot be fetched sets no
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
        synchronized (this) {
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
            synchronized (this) {
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

    // ---- change notification (request path: one write) ----

    /** A token was revoked or an agent killed: the next {@link #refresh()} rescans at once. */
    public Future<Void> changed() {
        return lists.putAsync(GENERATION, UUID.randomUUID().toString());
    }

    // ---- serving ----

    /** The stored status list token of {@code list}, or null if there is none (unknown or retired list). */
    public Future<String> token(long list) {
        return lists.getAsync(listKey(list)).map(v -> v instanceof String ? (String) v
                : null);
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

    // ---- the background job ----

    /** Runs {@link #refresh()} now (blocking) and then every {@code period} on a worker thread. */
    public void start(Vertx vertx, Duration period) {
        refresh();
        timer = vertx.setPeriodic(period.toMillis(), id -> vertx.executeBlocking(() -> {
            refresh();
            return null;
        }, false).onFailure(e -> LOG.log(Level.WARNING, "status list refresh failed", e)));
    }

    public void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /**
     * One pass of the job: sets the bits of dead tokens, rebuilds changed or half-expired list tokens, retires lists
     * whose tokens have all expired. Blocking (scans caches): never call it on an event loop.
     */
    public synchronized void refresh() {
        Instant now = clock.instant();
        Object generation = lists.get(GENERATION);
        boolean generationChanged = !Objects.equals(generation, seenGeneration);
        boolean reconcile = generationChanged || recheck
                || !now.isBefore(lastReconcile.plus(ttl.dividedBy(4)));
        long low = lowestList();
        long current = currentList();
        Map<Long, Set<Integer>> dead = Map.of();
        Set<Long> referenced = null;
        if (reconcile) {
            referenced = new HashSet<>();
            dead = deadTokens(now, referenced);
            lastReconcile = now;
        }
        boolean stored = true;
        for (long list = low; list <= current; list++) {
            stored &= refreshList(list, dead.getOrDefault(list, Set.of()), now);
        }
        if (referenced != null) {
            retire(low, current, referenced, now);
        }
        if (stored) {
            seenGeneration = generation;
            recheck = reconcile && generationChanged;   // one more pass catches a token minted during the scan
        }
    }

    /** List number to the idx of every token that must read INVALID; {@code referenced} gets every list in use. */
    private Map<Long, Set<Integer>> deadTokens(Instant now, Set<Long> referenced) {
        Set<String> revokedJtis = new HashSet<>(revoked.localKeys());
        Map<String, AgentRecord> agentsById = new HashMap<>();
        for (AgentRecord agent : agents.localValues()) {
            agentsById.put(agent.agentId(), agent);
        }
        Map<Long, Set<Integer>> dead = new HashMap<>();
        for (TokenRecord token : tokens.localValues()) {
            Long index = token.statusIndex();
            if (index == null) {
                continue;
            }
            StatusReference ref = reference(index);
            referenced.add(ref.list());
            if (isDead(token, revokedJtis, agentsById) || token.externalStatus().stream().anyMatch(externalRevoked)) {
                dead.computeIfAbsent(ref.list(), k -> new HashSet<>()).add(ref.idx());
            }
        }
        return dead;
    }

    /** The rules of {@code TokenLiveness}, over a snapshot. */
    static boolean isDead(TokenRecord token, Set<String> revokedJtis, Map<String, AgentRecord> agents) {
        if (revokedJtis.contains(token.jti())) {
            return true;
        }
        for (String ancestor : token.ancestors()) {
            if (revokedJtis.contains(ancestor)) {
                return true;
            }
        }
        for (String actor : token.actors()) {
            AgentRecord agent = agents.get(actor);
            // an unknown agent: the request path refuses it; no agent of this issuer to blame here
            if (agent != null && agent.disabledFor(token.issuedAt())) {
                return true;
            }
        }
        return false;
    }

    /** Rebuilds one list's token if its bits changed or it is due; false if another node's write won the race. */
    private boolean refreshList(long list, Set<Integer> deadIdx, Instant now) {
        String key = listKey(list);
        Object old = lists.get(key);
        StatusList bits = null;
        boolean due = true;
        if (old instanceof String) {
            try {
                JWTClaimsSet claims = SignedJWT.parse((String) old).getJWTClaimsSet();
                Map<String, Object> statusList = claims.getJSONObjectClaim("status_list");
                bits = StatusList.decode((String) statusList.get("lst"), 1, LIST_SIZE / 8);
                due = !now.isBefore(claims.getIssueTime().toInstant().plus(ttl.dividedBy(2)));
            } catch (ParseException | RuntimeException e) {
                LOG.warning("stored status list " + list + " is unreadable; rebuilding it without its bits");
                bits = null;
            }
        }
        if (bits == null) {
            bits = StatusList.allValid(LIST_SIZE, 1);
            due = true;
        }
        boolean changed = false;
        for (int idx : deadIdx) {
            if (bits.status(idx) == StatusList.VALID) {
                bits.set(idx, StatusList.INVALID);
                changed = true;
            }
        }
        if (!changed && !due) {
            return true;
        }
        String token = sign(list, bits, now);
        return old == null ? lists.putIfAbsent(key, token) : lists.replace(key, old, token);
    }

    /** The signed status list token. */
    String sign(long list, StatusList bits, Instant now) {
        Instant iat = Instant.ofEpochSecond(now.getEpochSecond());
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(uri(list))
                .issueTime(Date.from(iat))
                // twice the ttl: a relying party may still hold a copy a whole ttl after the half-ttl refresh
                .expirationTime(Date.from(iat.plus(ttl.multipliedBy(2))))
                .claim("ttl", ttl.getSeconds())
                .claim("status_list", Map.of("bits", 1, "lst", bits.encode()))
                .build();
        return keys.sign(STATUSLIST_JWT, claims, now);
    }

    /**
     * Retires lists below the current one that no lineage record references any more (all their tokens expired
     * beyond the grace) and that got their last block long enough ago that no node can still hand one out.
     */
    private void retire(long low, long current, Set<Long> referenced, Instant now) {
        long newLow = low;
        for (long list = low; list < current; list++) {
            Object closedAt = lists.get(closedKey(list));
            boolean quiet = closedAt instanceof Long && !now.isBefore(Instant.ofEpochMilli((Long) closedAt)
                    .plus(BLOCK_MAX_AGE).plus(clockSkew).plus(clockSkew));
            if (referenced.contains(list) || !quiet) {
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

    static final String LOW = "low";

    long lowestList() {
        Object low = lists.get(LOW);
        return low instanceof Long ? (Long) low : 0L;
    }

    /** The list the allocator hands out blocks from now (0 before the first block). */
    long currentList() {
        Long nextFree = allocation.get(COUNTER);
        return nextFree == null || nextFree == 0 ? 0 : (nextFree - 1) / LIST_SIZE;
    }

    static String listKey(long list) {
        return "list:" + list;
    }

    static String closedKey(long list) {
        return "closed:" + list;
    }

}
