package dev.agentid.issuer.http;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.issuer.OAuthException;
import dev.agentid.issuer.service.KeyService;
import dev.agentid.issuer.store.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.AgentStatus;
import dev.agentid.issuer.store.TokenStore;
import dev.agentid.verifier.JwksPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The admin API: agent registration, inventory, kill switch and restore, key rotation. Every call
 * needs {@code Authorization: Bearer <admin token>}.
 */
final class AdminApi {

    static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    /** RFC 6749 §3.3 scope-token. */
    static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    private static final Set<String> FIELDS = Set.of("agent_id", "owner", "jwks", "scopes", "audiences", "delegates",
            "max_delegation_depth", "token_ttl_seconds");
    private static final int MAX_LIST = 100;

    private final Vertx vertx;
    private final Caller.AdminToken adminToken;
    private final AgentRegistry agents;
    private final TokenStore tokens;
    private final KeyService keys;
    private final Clock clock;
    private final int globalMaxDepth;
    private final Duration maxTokenLifetime;

    AdminApi(Vertx vertx, Caller.AdminToken adminToken, AgentRegistry agents, TokenStore tokens, KeyService keys,
             Clock clock, int globalMaxDepth, Duration maxTokenLifetime) {
        this.vertx = vertx;
        this.adminToken = adminToken;
        this.agents = agents;
        this.tokens = tokens;
        this.keys = keys;
        this.clock = clock;
        this.globalMaxDepth = globalMaxDepth;
        this.maxTokenLifetime = maxTokenLifetime;
    }

    /** First step of every admin route. */
    void requireAdmin(RoutingContext ctx) {
        if (!adminToken.matchesHeader(ctx.request().getHeader("Authorization"))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"admin\"");
            Responses.error(ctx, new OAuthException("invalid_token", 401, "admin bearer token required", null));
            return;
        }
        ctx.next();
    }

    void register(RoutingContext ctx) {
        try {
            AgentRecord agent = parseRegistration(ctx);
            agents.register(agent).onSuccess(created -> {
                if (created) {
                    Responses.json(ctx, 201, toJson(agent, null));
                } else {
                    Responses.error(ctx, new OAuthException("agent_exists", 409,
                            "agent '" + agent.agentId() + "' is already registered", null));
                }
            }).onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void list(RoutingContext ctx) {
        Future<List<AgentRecord>> all = agents.list();
        Future<Map<String, Long>> counts = tokens.liveTokenCounts(clock.instant());
        Future.all(all, counts).onSuccess(done -> {
            JsonArray array = new JsonArray();
            for (AgentRecord agent : all.result()) {
                array.add(toJson(agent, counts.result().getOrDefault(agent.agentId(), 0L)));
            }
            Responses.json(ctx, 200, new JsonObject().put("agents", array));
        }).onFailure(t -> Responses.failure(ctx, t));
    }

    void get(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        agents.find(id).compose(agent -> {
            if (agent == null) {
                return Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"));
            }
            return tokens.liveTokenCounts(clock.instant())
                    .map(counts -> toJson(agent, counts.getOrDefault(agent.agentId(), 0L)));
        }).onSuccess(json -> Responses.json(ctx, 200, json)).onFailure(t -> Responses.failure(ctx, t));
    }

    void kill(RoutingContext ctx) {
        setStatus(ctx, AgentStatus.KILLED);
    }

    void restore(RoutingContext ctx) {
        setStatus(ctx, AgentStatus.ACTIVE);
    }

    private void setStatus(RoutingContext ctx, AgentStatus status) {
        String id = ctx.pathParam("id");
        agents.setStatus(id, status, clock.instant()).compose(agent -> agent == null
                ? Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"))
                : Future.succeededFuture(agent))
                .onSuccess(agent -> Responses.json(ctx, 200, toJson(agent, null)))
                .onFailure(t -> Responses.failure(ctx, t));
    }

    void rotateKeys(RoutingContext ctx) {
        try {
            JsonObject body = optionalJson(ctx);
            long activateIn = body.containsKey("activate_in_seconds")
                    ? integer(body, "activate_in_seconds", 0, 86_400) : 120;
            keys.rotate(vertx, Duration.ofSeconds(activateIn)).onSuccess(ring -> {
                Instant now = clock.instant();
                Responses.json(ctx, 200, new JsonObject()
                        .put("signing_kid", ring.signingKeyId(now))
                        .put("keys", new JsonArray(ring.keys().stream().map(k -> new JsonObject()
                                .put("kid", k.privateJwk().getKeyID())
                                .put("created_at", k.createdAt().toString())
                                .put("activates_at", k.activatesAt().toString())).toList())));
            }).onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    private static JsonObject optionalJson(RoutingContext ctx) {
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            return new JsonObject();
        }
        return jsonBody(ctx);
    }

    private static JsonObject jsonBody(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase().split(";", 2)[0].trim().equals("application/json")) {
            throw OAuthException.invalidRequest("Content-Type must be application/json");
        }
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(ctx.body().buffer());
            if (!(parsed instanceof JsonObject)) {
                throw OAuthException.invalidRequest("the body must be a JSON object");
            }
            return (JsonObject) parsed;
        } catch (DecodeException e) {
            throw OAuthException.invalidRequest("the body is not valid JSON");
        }
    }

    private AgentRecord parseRegistration(RoutingContext ctx) {
        JsonObject body = jsonBody(ctx);
        for (String name : body.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw bad(name, "unknown field '" + name + "'");
            }
        }
        String agentId = string(body, "agent_id", 128);
        if (!AGENT_ID.matcher(agentId).matches()) {
            throw bad("agent_id", "agent_id must match " + AGENT_ID.pattern());
        }
        String owner = string(body, "owner", 256);
        JWKSet jwks = jwks(body);
        List<String> scopes = strings(body, "scopes", true, SCOPE_TOKEN);
        List<String> audiences = strings(body, "audiences", true, null);
        List<String> delegates = body.containsKey("delegates") ? strings(body, "delegates", false, AGENT_ID) : List.of();
        if (delegates.contains(agentId)) {
            throw bad("delegates", "an agent cannot delegate to itself");
        }
        int maxDepth = body.containsKey("max_delegation_depth")
                ? (int) integer(body, "max_delegation_depth", 1, globalMaxDepth) : globalMaxDepth;
        long ttl = body.containsKey("token_ttl_seconds")
                ? integer(body, "token_ttl_seconds", 1, maxTokenLifetime.toSeconds()) : Math.min(300,
                maxTokenLifetime.toSeconds());
        Instant now = clock.instant();
        return new AgentRecord(agentId, owner, jwks.toString(true), scopes, audiences, delegates, maxDepth, ttl,
                AgentStatus.ACTIVE, now, now);
    }

    private static JWKSet jwks(JsonObject body) {
        Object raw = body.getValue("jwks");
        if (!(raw instanceof JsonObject)) {
            throw bad("jwks", "jwks must be a JSON object {\"keys\": [...]}");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(((JsonObject) raw).encode());
        } catch (java.text.ParseException e) {
            throw bad("jwks", "jwks is not a valid JWK set");
        }
        if (set.getKeys().isEmpty() || set.getKeys().size() > 10) {
            throw bad("jwks", "jwks must hold between 1 and 10 keys");
        }
        try {
            JwksPolicy.requirePublicSigningKeys(set);
        } catch (IllegalArgumentException e) {
            throw bad("jwks", e.getMessage());
        }
        for (JWK key : set.getKeys()) {
            if (!(key instanceof ECKey) || !Curve.P_256.equals(((ECKey) key).getCurve())) {
                throw bad("jwks", "client assertions are ES256: every key must be an EC P-256 key");
            }
        }
        return set;
    }

    private static String string(JsonObject body, String field, int maxLength) {
        Object value = body.getValue(field);
        if (!(value instanceof String) || ((String) value).isBlank()) {
            throw bad(field, field + " must be a non-empty string");
        }
        if (((String) value).length() > maxLength) {
            throw bad(field, field + " must be at most " + maxLength + " characters");
        }
        return (String) value;
    }

    private static List<String> strings(JsonObject body, String field, boolean nonEmpty, Pattern syntax) {
        Object value = body.getValue(field);
        if (!(value instanceof JsonArray)) {
            throw bad(field, field + " must be an array of strings");
        }
        JsonArray array = (JsonArray) value;
        if (nonEmpty && array.isEmpty()) {
            throw bad(field, field + " must not be empty");
        }
        if (array.size() > MAX_LIST) {
            throw bad(field, field + " must hold at most " + MAX_LIST + " entries");
        }
        Set<String> values = new LinkedHashSet<>();
        for (Object item : array) {
            if (!(item instanceof String) || ((String) item).isEmpty() || ((String) item).length() > 512
                    || (syntax != null && !syntax.matcher((String) item).matches())) {
                throw bad(field, field + " holds an invalid entry");
            }
            if (!values.add((String) item)) {
                throw bad(field, field + " holds '" + item + "' twice");
            }
        }
        return List.copyOf(new ArrayList<>(values));
    }

    private static long integer(JsonObject body, String field, long min, long max) {
        Object value = body.getValue(field);
        if (!(value instanceof Integer || value instanceof Long)) {
            throw bad(field, field + " must be an integer");
        }
        long n = ((Number) value).longValue();
        if (n < min || n > max) {
            throw bad(field, field + " must be between " + min + " and " + max);
        }
        return n;
    }

    private static OAuthException bad(String field, String description) {
        return OAuthException.badField(field, description);
    }

    static JsonObject toJson(AgentRecord agent, Long liveTokens) {
        JsonObject json = new JsonObject()
                .put("agent_id", agent.agentId())
                .put("owner", agent.owner())
                .put("status", agent.status().name().toLowerCase())
                .put("jwks", new JsonObject(agent.jwksJson()))
                .put("scopes", new JsonArray(agent.scopes()))
                .put("audiences", new JsonArray(agent.audiences()))
                .put("delegates", new JsonArray(agent.delegates()))
                .put("max_delegation_depth", agent.maxDelegationDepth())
                .put("token_ttl_seconds", agent.tokenTtlSeconds())
                .put("created_at", agent.createdAt().toString())
                .put("status_changed_at", agent.statusChangedAt().toString());
        if (agent.lastKilledAt() != null) {
            json.put("last_killed_at", agent.lastKilledAt().toString());
        }
        if (liveTokens != null) {
            json.put("live_tokens", liveTokens);
        }
        return json;
    }
}
