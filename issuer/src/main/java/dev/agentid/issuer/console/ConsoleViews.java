package dev.agentid.issuer.console;

import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.audit.AuditQuery;
import dev.agentid.issuer.audit.AuditRecord;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.lifecycle.Lifecycle;
import dev.agentid.issuer.monitor.Alert;
import dev.agentid.issuer.monitor.Monitor;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The console's read-only views: the inventory (filtered, searched and paged here, so the first page of 10,000 agents
 * is one small answer), an agent's detail, the delegation graph of the live chains, and the cluster's status. The
 * inventory and the graph read the registry, the live-token counts the admin API shows, and {@link ConsoleIndex}.
 */
public final class ConsoleViews {

    static final int DEFAULT_PAGE_SIZE = 25;
    static final int MAX_PAGE_SIZE = 200;
    /** The graph draws at most this many live chains (the newest); a filter by agent narrows it. */
    static final int MAX_CHAINS = 1_000;
    private static final int RECENT_ACTIVITY = 25;
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");

    private final Vertx vertx;
    private final Clock clock;
    private final String issuer;
    private final AgentRegistry agents;
    private final StatusLists statusLists;
    private final Lifecycle lifecycle;
    private final Monitor monitor;
    private final AuditLog audit;
    private final StateStore state;
    private final HumanPrincipals humans;
    private final Supplier<List<String>> partners;
    private final Supplier<List<Map<String, Object>>> partnerLists;
    private final ConsoleIndex index;

    public ConsoleViews(Vertx vertx, Clock clock, String issuer, AgentRegistry agents, StatusLists statusLists,
                        Lifecycle lifecycle, Monitor monitor, AuditLog audit, StateStore state, HumanPrincipals humans,
                        Supplier<List<String>> partners, Supplier<List<Map<String, Object>>> partnerLists) {
        this.vertx = vertx;
        this.clock = clock;
        this.issuer = issuer;
        this.agents = agents;
        this.statusLists = statusLists;
        this.lifecycle = lifecycle;
        this.monitor = monitor;
        this.audit = audit;
        this.state = state;
        this.humans = humans;
        this.partners = partners;
        this.partnerLists = partnerLists;
        this.index = new ConsoleIndex(audit.directory(), clock);
    }

    // ---- the registry, mirrored ----------------------------------------------------------------------------------

    /**
     * The registry as the console reads it: every agent by id, sorted, kept current by the registry's change listener
     * (which fires on every node for every write, before the write returns), so that a page of 10,000 agents costs no
     * copy of the store. Started on the console's first use: an issuer whose console is never opened keeps none.
     */
    private final java.util.concurrent.ConcurrentSkipListMap<String, AgentRecord> mirror =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private final java.util.concurrent.atomic.AtomicReference<Future<Void>> mirrored =
            new java.util.concurrent.atomic.AtomicReference<>();

    private Future<Void> mirror() {
        Future<Void> current = mirrored.get();
        if (current != null && !current.failed()) {
            return current;
        }
        io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
        if (!mirrored.compareAndSet(current, started.future())) {
            return mirrored.get();
        }
        if (current == null) {
            // listener first, then the snapshot with putIfAbsent: a write between the two is never overwritten by
            // the older snapshot
            agents.onChange(agent -> mirror.put(agent.agentId(), agent));
        }
        agents.list().onSuccess(all -> {
            all.forEach(agent -> mirror.putIfAbsent(agent.agentId(), agent));
            started.complete();
        }).onFailure(started::fail);
        return started.future();
    }

    /**
     * Called at each sign-in: mirrors the registry and reads the audit log in the background, so that the first view
     * after a start does not wait for the whole log to be read (about a second for 12,000 records on 2 cores).
     */
    void warm() {
        mirror().compose(v -> vertx.executeBlocking(() -> {
            index.refresh();
            return null;
        }, false)).onFailure(t -> java.util.logging.Logger.getLogger(ConsoleViews.class.getName())
                .warning("console: could not read the registry or the audit log: " + t));
    }

    // ---- inventory ------------------------------------------------------------------------------------------------

    /** {@code GET /console/api/agents?q=&status=&page=&size=}: one page, sorted by agent id, and the total. */
    void inventory(RoutingContext ctx) {
        String q;
        AgentStatus status;
        int page;
        int size;
        try {
            q = ctx.queryParams().get("q");
            if (q != null && q.length() > 256) {
                throw OAuthException.badField("q", "q must be at most 256 characters");
            }
            String rawStatus = ctx.queryParams().get("status");
            status = rawStatus == null || rawStatus.isEmpty() ? null : status(rawStatus);
            page = integer(ctx, "page", 1, 1, 1_000_000);
            size = integer(ctx, "size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
        } catch (OAuthException e) {
            Console.error(ctx, e);
            return;
        }
        String needle = q == null || q.isBlank() ? null : q.trim().toLowerCase(Locale.ROOT);
        Future<Void> all = mirror();
        Future<Map<String, Long>> counts = statusLists.liveCounts();
        Future.all(all, counts).compose(done -> vertx.executeBlocking(() -> {
            index.refresh();
            Instant now = clock.instant();
            List<AgentRecord> matching = new ArrayList<>();
            for (AgentRecord agent : mirror.values()) {   // in agent id order
                if ((status == null || agent.status() == status) && (needle == null || matches(agent, needle))) {
                    matching.add(agent);
                }
            }
            int from = Math.min((page - 1) * size, matching.size());
            int to = Math.min(from + size, matching.size());
            JsonArray rows = new JsonArray();
            for (AgentRecord agent : matching.subList(from, to)) {
                rows.add(row(agent, counts.result().getOrDefault(agent.agentId(), 0L), now));
            }
            return new JsonObject().put("total", matching.size()).put("page", page).put("size", size)
                    .put("agents", rows);
        }, false)).onSuccess(body -> Console.json(ctx, 200, body)).onFailure(t -> Console.failure(ctx, t));
    }

    private static boolean matches(AgentRecord agent, String needle) {
        if (agent.agentId().toLowerCase(Locale.ROOT).contains(needle)
                || agent.owner().toLowerCase(Locale.ROOT).contains(needle)) {
            return true;
        }
        for (List<String> list : List.of(agent.scopes(), agent.audiences(), agent.delegates())) {
            for (String s : list) {
                if (s.toLowerCase(Locale.ROOT).contains(needle)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One inventory row. Blocking (the review state is a read of this node's replica). */
    private JsonObject row(AgentRecord agent, long liveTokens, Instant now) {
        List<String> kids = new ArrayList<>();
        agent.jwks().getKeys().forEach(k -> kids.add(k.getKeyID() == null ? "(no kid)" : k.getKeyID()));
        Instant keySince = index.oldestKey(agent.agentId(), kids);
        if (keySince == null) {
            keySince = agent.createdAt();
        }
        Instant lastUse = index.lastUse(agent.agentId());
        JsonObject row = new JsonObject()
                .put("agent_id", agent.agentId())
                .put("owner", agent.owner())
                .put("status", agent.status().name().toLowerCase(Locale.ROOT))
                .put("key_age_seconds", Math.max(0, Duration.between(keySince, now).getSeconds()))
                .put("last_use", lastUse == null ? null : lastUse.toString())
                .put("live_tokens", liveTokens)
                .put("scopes", new JsonArray(agent.scopes()))
                .put("audiences", new JsonArray(agent.audiences()))
                .put("delegates", new JsonArray(agent.delegates()));
        if (lifecycle != null && !agent.deregistered()) {
            JsonObject review = lifecycle.reviews().review(agent, now);
            row.put("review_due", review.getString("review_due")).put("review_overdue", review.getBoolean("overdue"));
        }
        return row;
    }

    private static AgentStatus status(String raw) {
        for (AgentStatus s : AgentStatus.values()) {
            if (s.name().equalsIgnoreCase(raw)) {
                return s;
            }
        }
        throw OAuthException.badField("status", "status must be active, killed or deregistered");
    }

    private static int integer(RoutingContext ctx, String name, int fallback, int min, int max) {
        String raw = ctx.queryParams().get(name);
        if (raw == null || raw.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(raw);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw OAuthException.badField(name, name + " must be an integer between " + min + " and " + max);
    }

    // ---- agent detail ---------------------------------------------------------------------------------------------

    /** {@code GET /console/api/agents/{id}}: the row, the registration, recent activity, alerts and live chains. */
    void agent(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        if (!AGENT_ID.matcher(id).matches()) {
            Console.error(ctx, OAuthException.notFound("agent '" + id + "' is not registered"));
            return;
        }
        Future<AgentRecord> found = agents.find(id);
        Future<Map<String, Long>> counts = statusLists.liveCounts();
        Future.all(found, counts).compose(done -> {
            AgentRecord agent = found.result();
            if (agent == null) {
                return Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"));
            }
            return vertx.executeBlocking(() -> {
                index.refresh();
                Instant now = clock.instant();
                JsonObject body = row(agent, counts.result().getOrDefault(id, 0L), now)
                        .put("created_at", agent.createdAt().toString())
                        .put("status_changed_at", agent.statusChangedAt().toString())
                        .put("last_killed_at", agent.lastKilledAt() == null ? null : agent.lastKilledAt().toString())
                        .put("max_delegation_depth", agent.maxDelegationDepth())
                        .put("token_ttl_seconds", agent.tokenTtlSeconds())
                        .put("approval", agent.approval() != null);
                body.put("activity", recentActivity(id, now));
                JsonArray alerts = new JsonArray();
                if (monitor != null) {
                    for (Alert alert : monitor.alerts(id, 20)) {
                        alerts.add(alert.toJson());
                    }
                }
                body.put("alerts", alerts);
                JsonArray chains = new JsonArray();
                for (ConsoleIndex.LiveToken t : index.live()) {
                    if (t.chain().stream().anyMatch(a -> a.agent().equals(id))) {
                        chains.add(chain(t, Map.of(id, agent)));
                    }
                }
                return body.put("chains", chains);
            }, false);
        }).onSuccess(body -> Console.json(ctx, 200, body)).onFailure(t -> Console.failure(ctx, t));
    }

    /** The agent's newest records of the last week on this node, newest first. Blocking. */
    private JsonArray recentActivity(String id, Instant now) throws java.io.IOException {
        AuditQuery query = new AuditQuery(audit.directory());
        Deque<AuditRecord> recent = new ArrayDeque<>();
        long after = 0;
        for (int pages = 0; pages < 50; pages++) {
            AuditQuery.Page p = query.run(new AuditQuery.Filter(id, null, null, null, null, null,
                    now.minus(Duration.ofDays(7)), null, after, 1000));
            for (AuditRecord r : p.records()) {
                recent.addFirst(r);
                if (recent.size() > RECENT_ACTIVITY) {
                    recent.removeLast();
                }
            }
            if (p.nextCursor() == null) {
                break;
            }
            after = p.nextCursor();
        }
        JsonArray out = new JsonArray();
        recent.forEach(r -> out.add(r.toJson()));
        return out;
    }

    // ---- the delegation graph -------------------------------------------------------------------------------------

    /**
     * {@code GET /console/api/graph[?agent=]}: the live chains (newest {@link #MAX_CHAINS}) as nodes (agents, by
     * organisation: the issuer that names them) and edges (delegator to delegate), each chain with its status: dead
     * when one of its agents is killed or deregistered, or was killed after the token was issued.
     */
    void graph(RoutingContext ctx) {
        String filter = ctx.queryParams().get("agent");
        if (filter != null && !filter.isEmpty() && !AGENT_ID.matcher(filter).matches()) {
            Console.error(ctx, OAuthException.badField("agent", "agent must be an agent id"));
            return;
        }
        String only = filter == null || filter.isEmpty() ? null : filter;
        mirror().compose(v -> vertx.executeBlocking(() -> {
            index.refresh();
            Map<String, AgentRecord> local = mirror;
            List<ConsoleIndex.LiveToken> live = new ArrayList<>(index.live());
            if (only != null) {
                live.removeIf(t -> t.chain().stream().noneMatch(a -> a.agent().equals(only)));
            }
            int total = live.size();
            if (live.size() > MAX_CHAINS) {
                live = live.subList(live.size() - MAX_CHAINS, live.size());
            }
            Map<String, JsonObject> nodes = new LinkedHashMap<>();
            Map<String, JsonObject> edges = new LinkedHashMap<>();
            JsonArray chains = new JsonArray();
            for (ConsoleIndex.LiveToken t : live) {
                JsonObject chain = chain(t, local);
                chains.add(chain);
                boolean dead = "dead".equals(chain.getString("status"));
                List<ConsoleIndex.Actor> actors = t.chain();
                for (int i = actors.size() - 1; i >= 0; i--) {
                    ConsoleIndex.Actor a = actors.get(i);
                    String key = key(a);
                    int depth = actors.size() - 1 - i;
                    JsonObject node = nodes.computeIfAbsent(key, k -> node(a, local));
                    node.put("depth", Math.max(node.getInteger("depth", 0), depth));
                    if (i > 0) {
                        String to = key(actors.get(i - 1));
                        JsonObject edge = edges.computeIfAbsent(key + " > " + to, k -> new JsonObject()
                                .put("from", key).put("to", to).put("live", 0).put("dead", 0));
                        edge.put(dead ? "dead" : "live", edge.getInteger(dead ? "dead" : "live") + 1);
                    }
                }
            }
            return new JsonObject().put("issuer", issuer).put("total_chains", total)
                    .put("nodes", new JsonArray(new ArrayList<>(nodes.values())))
                    .put("edges", new JsonArray(new ArrayList<>(edges.values())))
                    .put("chains", chains);
        }, false)).onSuccess(body -> Console.json(ctx, 200, body)).onFailure(t -> Console.failure(ctx, t));
    }

    private String org(ConsoleIndex.Actor a) {
        return a.issuer() == null ? issuer : a.issuer();
    }

    private String key(ConsoleIndex.Actor a) {
        return org(a).equals(issuer) ? a.agent() : a.agent() + " @ " + org(a);
    }

    private JsonObject node(ConsoleIndex.Actor a, Map<String, AgentRecord> local) {
        boolean ours = org(a).equals(issuer);
        AgentRecord record = ours ? local.get(a.agent()) : null;
        return new JsonObject().put("id", key(a)).put("agent", a.agent()).put("org", org(a))
                .put("local", ours)
                .put("status", record == null ? (ours ? "unknown" : "partner")
                        : record.status().name().toLowerCase(Locale.ROOT))
                .put("owner", record == null ? null : record.owner());
    }

    private JsonObject chain(ConsoleIndex.LiveToken t, Map<String, AgentRecord> local) {
        boolean dead = false;
        JsonArray actors = new JsonArray();
        for (ConsoleIndex.Actor a : t.chain()) {
            actors.add(key(a));
            AgentRecord record = org(a).equals(issuer) ? local.get(a.agent()) : null;
            if (record != null && (record.status() != AgentStatus.ACTIVE || record.disabledFor(t.issuedAt()))) {
                dead = true;
            }
        }
        return new JsonObject().put("jti", t.jti()).put("agent", t.agent()).put("principal", t.principal())
                .put("chain", actors).put("ancestors", new JsonArray(t.ancestors()))
                .put("issued_at", t.issuedAt().toString()).put("expires_at", t.expiresAt().toString())
                .put("grant", t.grant()).put("approval", t.approval())
                .put("status", dead ? "dead" : "live");
    }

    // ---- cluster --------------------------------------------------------------------------------------------------

    /**
     * {@code GET /console/api/cluster}: what {@code /health/ready} reports (members, readiness), the identity
     * providers' and partners' availability, the partners' status lists this node follows (fetched when, usable until,
     * failing since) and the status lists this node serves with their lifetime.
     */
    void cluster(RoutingContext ctx) {
        JsonObject body = new JsonObject().put("node", audit.node()).put("clustered", state.clustered())
                .put("members", new JsonArray(state.members()));
        try {
            state.requireAvailable();
            body.put("ready", true);
        } catch (StoreUnavailableException e) {
            body.put("ready", false).put("reason", e.description());
        }
        JsonArray idps = new JsonArray();
        for (String idp : humans.issuers()) {
            idps.add(new JsonObject().put("issuer", idp).put("available", humans.available(idp)));
        }
        body.put("identity_providers", idps);
        // a partner is available when none of its followed status lists fails to be fetched
        List<Map<String, Object>> followed = partnerLists.get();
        JsonArray partnerStatus = new JsonArray();
        for (String partner : partners.get()) {
            boolean failing = followed.stream().anyMatch(l -> partner.equals(l.get("issuer"))
                    && l.get("failing_since") != null);
            partnerStatus.add(new JsonObject().put("issuer", partner).put("available", !failing));
        }
        body.put("partners", partnerStatus);
        JsonArray lists = new JsonArray();
        followed.forEach(l -> lists.add(new JsonObject(new java.util.LinkedHashMap<>(l))));
        body.put("partner_status_lists", lists);
        body.put("status_lists", new JsonObject().put("served", new JsonArray(statusLists.served()))
                .put("ttl_seconds", statusLists.ttl().toSeconds()));
        Console.json(ctx, 200, body);
    }
}
