package dev.agentid.issuer.http;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.lifecycle.Lifecycle;
import dev.agentid.issuer.lifecycle.OwnerOffboarding;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lifecycle governance routes (README "Lifecycle governance"): owner offboarding, access-review recertification and
 * list, and the unused-privilege, stale-agent and key-age reports. Admin token required (the {@code /admin/*} step).
 * Reports read the audit log: on a worker, never the event loop.
 */
final class GovernanceApi {

    static final String OWNER_DISABLE = "/admin/owners/:owner/disable";
    static final String RECERTIFY = "/admin/agents/:id/recertify";
    static final String REVIEWS = "/admin/reviews";
    static final String UNUSED = "/admin/agents/:id/unused-privileges";
    static final String STALE = "/admin/stale-agents";
    static final String STALE_SUSPEND = "/admin/stale-agents/suspend";
    static final String KEY_AGES = "/admin/key-ages";
    /** An owner as registrations name it: printable ASCII, at most 256 characters. */
    static final Pattern OWNER = Pattern.compile("[\\x21-\\x7E]{1,256}");

    private final Vertx vertx;
    private final Lifecycle lifecycle;

    GovernanceApi(Vertx vertx, Lifecycle lifecycle) {
        this.vertx = vertx;
        this.lifecycle = lifecycle;
    }

    void disableOwner(RoutingContext ctx) {
        try {
            String owner = ctx.pathParam("owner");
            if (owner == null || !OWNER.matcher(owner).matches()) {
                throw OAuthException.invalidRequest("owner must be printable, at most 256 characters");
            }
            JsonObject body = body(ctx, Set.of("policy", "successor", "reason"));
            OwnerOffboarding.Policy policy = OwnerOffboarding.Policy.parse(body.getString("policy", "suspend"));
            String successor = text(body, "successor", 256);
            lifecycle.offboarding().disable(owner, policy, successor, AdminApi.ADMIN, text(body, "reason", 512))
                    .onSuccess(result -> Responses.json(ctx, 200, result.toJson()))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void recertify(RoutingContext ctx) {
        try {
            JsonObject body = body(ctx, Set.of("certified_by", "next_review_days"));
            String by = text(body, "certified_by", 256);
            if (by == null) {
                throw OAuthException.badField("certified_by", "certified_by must name who certifies the access");
            }
            Object days = body.getValue("next_review_days", 90);
            if (!(days instanceof Integer n) || n < 1 || n > 3650) {
                throw OAuthException.badField("next_review_days", "next_review_days must be an integer 1..3650");
            }
            lifecycle.reviews().recertify(ctx.pathParam("id"), by, (Integer) days)
                    .onSuccess(review -> Responses.json(ctx, 200, review))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void reviews(RoutingContext ctx) {
        blocking(ctx, () -> new JsonObject().put("reviews",
                new JsonArray(lifecycle.reviews().reviews(lifecycle.clock().instant()))));
    }

    void unused(RoutingContext ctx) {
        try {
            int days = days(ctx);
            String id = ctx.pathParam("id");
            lifecycle.agents().find(id).compose(agent -> agent == null
                    ? Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"))
                    : vertx.executeBlocking(() -> lifecycle.reports().unusedPrivileges(agent, days,
                    lifecycle.clock().instant()), false))
                    .onSuccess(report -> Responses.json(ctx, 200, report))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    /** Active agents older than N days without a token on this node in the last N days. */
    private List<AgentRecord> stale(int days, Instant now) throws java.io.IOException {
        Instant since = now.minus(Duration.ofDays(days));
        Map<String, Instant> last = lifecycle.reports().lastTokens(since);
        List<AgentRecord> stale = new ArrayList<>();
        for (AgentRecord agent : lifecycle.agents().agentsHere()) {
            if (agent.status() == AgentStatus.ACTIVE && agent.createdAt().isBefore(since)
                    && !last.containsKey(agent.agentId())) {
                stale.add(agent);
            }
        }
        stale.sort(java.util.Comparator.comparing(AgentRecord::agentId));
        return stale;
    }

    void staleAgents(RoutingContext ctx) {
        try {
            int days = days(ctx);
            blocking(ctx, () -> {
                JsonArray out = new JsonArray();
                for (AgentRecord agent : stale(days, lifecycle.clock().instant())) {
                    out.add(new JsonObject().put("agent_id", agent.agentId()).put("owner", agent.owner())
                            .put("created_at", agent.createdAt().toString()));
                }
                return new JsonObject().put("days", days).put("stale", out);
            });
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    /** Suspends the stale agents (the kill switch, with the reason), as the report lists them now. */
    void suspendStale(RoutingContext ctx) {
        try {
            int days = days(ctx);
            Instant now = lifecycle.clock().instant();
            vertx.executeBlocking(() -> stale(days, now), false).compose(stale -> {
                List<Future<String>> done = new ArrayList<>();
                for (AgentRecord agent : stale) {
                    done.add(lifecycle.offboarding().suspend(agent, AdminApi.ADMIN,
                            "stale: no token in " + days + " days", now));
                }
                return Future.all(done).map(all -> {
                    JsonArray ids = new JsonArray();
                    done.forEach(f -> ids.add(f.result()));
                    return new JsonObject().put("days", days).put("suspended", ids);
                });
            }).onSuccess(r -> Responses.json(ctx, 200, r)).onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void keyAges(RoutingContext ctx) {
        blocking(ctx, () -> {
            Instant now = lifecycle.clock().instant();
            Duration max = lifecycle.settings().keyMaxAge();
            List<AgentRecord> agents = new ArrayList<>(lifecycle.agents().agentsHere());
            agents.removeIf(AgentRecord::deregistered);
            agents.sort(java.util.Comparator.comparing(AgentRecord::agentId));
            Map<String, Map<String, Instant>> seen = lifecycle.reports().keyFirstSeen(agents);
            JsonArray out = new JsonArray();
            for (AgentRecord agent : agents) {
                JsonArray keys = new JsonArray();
                boolean overdue = false;
                for (Map.Entry<String, Instant> key : seen.get(agent.agentId()).entrySet()) {
                    // the replicated first sighting (every node agrees), else this node's audit trail
                    Instant tracked = lifecycle.keyAges().firstSeen(agent.agentId(), key.getKey());
                    Instant first = tracked != null && tracked.isBefore(key.getValue()) ? tracked : key.getValue();
                    long age = Duration.between(first, now).toDays();
                    boolean old = Duration.between(first, now).compareTo(max) > 0;
                    overdue |= old;
                    keys.add(new JsonObject().put("kid", key.getKey()).put("first_seen", first.toString())
                            .put("age_days", age).put("overdue", old)
                            .put("refused", lifecycle.keyAges().refuses(agent.agentId(), key.getKey())));
                }
                out.add(new JsonObject().put("agent_id", agent.agentId()).put("owner", agent.owner())
                        .put("keys", keys).put("rotation_overdue", overdue));
            }
            Duration refuseAfter = lifecycle.settings().keyRefuseAfter();
            return new JsonObject().put("max_age_days", max.toDays())
                    .put("refuse_after_days", refuseAfter == null ? null : refuseAfter.toDays()).put("agents", out);
        });
    }

    private void blocking(RoutingContext ctx, java.util.concurrent.Callable<JsonObject> report) {
        vertx.executeBlocking(report, false).onSuccess(r -> Responses.json(ctx, 200, r))
                .onFailure(t -> Responses.failure(ctx, t));
    }

    private static int days(RoutingContext ctx) {
        String raw = ctx.queryParams().get("days");
        if (raw == null) {
            return 30;
        }
        try {
            int days = Integer.parseInt(raw);
            if (days >= 1 && days <= 3650) {
                return days;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw OAuthException.invalidRequest("days must be an integer between 1 and 3650");
    }

    private static JsonObject body(RoutingContext ctx, Set<String> fields) {
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            return new JsonObject();
        }
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw OAuthException.invalidRequest("Content-Type must be application/json");
        }
        JsonObject body;
        try {
            body = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw OAuthException.invalidRequest("the body must be a JSON object");
        }
        for (String name : body.fieldNames()) {
            if (!fields.contains(name)) {
                throw OAuthException.badField(name, "unknown field '" + name + "'");
            }
        }
        return body;
    }

    private static String text(JsonObject body, String field, int max) {
        Object value = body.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String s) || s.isBlank() || s.length() > max
                || s.chars().anyMatch(Character::isISOControl)) {
            throw OAuthException.badField(field, field + " must be a printable string of at most " + max
                    + " characters");
        }
        return s;
    }
}
