package dev.agentid.issuer.http;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.console.ConsoleSession;
import dev.agentid.issuer.domain.AttestationRequirement;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.ApprovalPolicy;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.JwksPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The admin API: agent registration, inventory, changes (PATCH, RFC 7396 merge patch), deregistration (DELETE), kill
 * switch and restore, key rotation. Every call needs {@code Authorization: Bearer <admin token>}.
 */
final class AdminApi {

    private static final Logger LOG = Logger.getLogger(AdminApi.class.getName());

    static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    /** RFC 6749 §3.3 scope-token. */
    static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
    /** Sender-constrained tokens: RFC 9449 section 5.2 and RFC 8705 sections 2.1.2 and 3.4 client metadata. */
    static final String DPOP_BOUND = "dpop_bound_access_tokens";
    static final String CERTIFICATE_BOUND = "tls_client_certificate_bound_access_tokens";
    static final String SAN_URI = "tls_client_auth_san_uri";
    /** Client attestation: {"required": bool, "digests": [...], "models": [...], "runtimes": [...]}. */
    static final String ATTESTATION = "attestation";
    private static final Set<String> ATTESTATION_FIELDS = Set.of("required", "digests", "models", "runtimes");
    private static final Pattern MEASUREMENT = Pattern.compile("[\\x21-\\x7E]{1,256}");
    /** Human principals (federation/idp): {"users": ["<idp issuer>#<sub>"], "groups": ["<idp issuer>#<group>"]}. */
    static final String ACTS_FOR = "acts_for";
    private static final Set<String> ACTS_FOR_FIELDS = Set.of("users", "groups");
    /** {@code <idp issuer URL>#<sub or group>}: printable ASCII, no '#' in the issuer part. */
    static final Pattern HUMAN_PRINCIPAL = Pattern.compile("https?://[\\x21\\x22\\x24-\\x7E]+#[\\x21-\\x7E]{1,255}");
    private static final Set<String> FIELDS = Set.of("agent_id", "owner", "jwks", "scopes", "audiences", "delegates",
            "max_delegation_depth", "token_ttl_seconds", DPOP_BOUND, CERTIFICATE_BOUND, SAN_URI, ATTESTATION, ACTS_FOR,
            ApprovalPolicy.MEMBER);
    private static final int MAX_LIST = 100;

    private final Vertx vertx;
    private final AdminToken adminToken;
    private final AgentRegistry agents;
    private final KeyService keys;
    private final Clock clock;
    private final int globalMaxDepth;
    private final Duration maxTokenLifetime;
    private final StatusLists statusLists;
    private final AuditLog audit;
    /** Who acts through this API, in audit records: the holder of the admin token. */
    static final String ADMIN = "admin";
    /** The optional body of kill and restore: {"reason": "..."}, recorded in the audit log. */
    static final String REASON = "reason";
    private static final int MAX_REASON = 512;

    AdminApi(Vertx vertx, AdminToken adminToken, AgentRegistry agents, KeyService keys,
             Clock clock, int globalMaxDepth, Duration maxTokenLifetime, StatusLists statusLists, AuditLog audit) {
        this.audit = audit;
        this.vertx = vertx;
        this.adminToken = adminToken;
        this.agents = agents;
        this.keys = keys;
        this.clock = clock;
        this.globalMaxDepth = globalMaxDepth;
        this.maxTokenLifetime = maxTokenLifetime;
        this.statusLists = statusLists;
    }

    /** First step of every admin route. */
    void requireAdmin(RoutingContext ctx) {
        SocketAddress remote = ctx.request().remoteAddress();
        switch (adminToken.presentHeader(ctx.request().getHeader("Authorization"), remote)) {
            case ADMIN -> ctx.next();
            case LOCKED_OUT -> Responses.failure(ctx, adminToken.lockedOut(remote));   // R03, with Retry-After
            default -> {
                ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"admin\"");
                Responses.error(ctx, new OAuthException("invalid_token", 401, "admin bearer token required", null));
            }
        }
    }

    void register(RoutingContext ctx) {
        try {
            AgentRecord agent = parseRegistration(jsonBody(ctx));
            agents.register(agent).compose(created -> !created ? Future.succeededFuture(false)
                    : audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_REGISTERED, ADMIN, agent.agentId(),
                            agent.owner(), auditView(agent), null)).map(seq -> true)).onSuccess(created -> {
                if (created) {
                    LOG.info(() -> "admin: registered agent " + agent.agentId() + " (owner " + agent.owner()
                            + ", scopes " + agent.scopes() + ", audiences " + agent.audiences() + ", delegates "
                            + agent.delegates() + ")");
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
        Future<Map<String, Long>> counts = statusLists.liveCounts();
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
            return statusLists.liveCounts()
                    .map(counts -> toJson(agent, counts.getOrDefault(agent.agentId(), 0L)));
        }).onSuccess(json -> Responses.json(ctx, 200, json)).onFailure(t -> Responses.failure(ctx, t));
    }

    void kill(RoutingContext ctx) {
        setStatus(ctx, AgentStatus.KILLED);
    }

    void restore(RoutingContext ctx) {
        setStatus(ctx, AgentStatus.ACTIVE);
    }

    /**
     * DELETE: deregisters the agent. The record stays in the inventory as {@code deregistered} (audit); every token
     * of the agent is dead from now on and it gets no new ones. Idempotent: deregistering a deregistered agent
     * answers 200 with the record as it is (the first deregistration time is kept).
     */
    void deregister(RoutingContext ctx) {
        setStatus(ctx, AgentStatus.DEREGISTERED);
    }

    private void setStatus(RoutingContext ctx, AgentStatus status) {
        String id = ctx.pathParam("id");
        String reason;
        try {
            reason = reason(ctx);
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
            return;
        }
        String type = status == AgentStatus.KILLED ? AuditEvent.AGENT_KILLED
                : status == AgentStatus.DEREGISTERED ? AuditEvent.AGENT_DEREGISTERED : AuditEvent.AGENT_RESTORED;
        String by = actor(ctx);
        agents.setStatus(id, status, clock.instant()).compose(agent -> agent == null
                ? Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"))
                : agent.deregistered() && status != AgentStatus.DEREGISTERED ? Future.failedFuture(deregistered(id))
                : Future.succeededFuture(agent))
                .compose(agent -> audit.durable(new AuditEvent.AgentChanged(type, by, agent.agentId(),
                        agent.owner(), Map.of(), reason)).map(seq -> agent))
                .onSuccess(agent -> {
                    LOG.info(() -> by + ": " + (status == AgentStatus.KILLED ? "killed"
                            : status == AgentStatus.DEREGISTERED ? "deregistered" : "restored") + " agent "
                            + agent.agentId() + " (owner " + agent.owner() + ")");
                    Responses.json(ctx, 200, toJson(agent, null));
                })
                .onFailure(t -> Responses.failure(ctx, t));
    }

    /**
     * Who acts, for the audit record: the signed-in human when the web console runs this handler for her
     * ({@link ConsoleSession#ACTOR}), else the holder of the admin token.
     */
    static String actor(RoutingContext ctx) {
        String human = ctx.get(ConsoleSession.ACTOR);
        return human == null ? ADMIN : human;
    }

    /** The optional {@code {"reason": "..."}} body of kill, restore and deregister: printable, at most 512 chars. */
    private static String reason(RoutingContext ctx) {
        JsonObject body = optionalJson(ctx);
        for (String name : body.fieldNames()) {
            if (!REASON.equals(name)) {
                throw bad(name, "unknown field '" + name + "'");
            }
        }
        Object reason = body.getValue(REASON);
        if (reason == null) {
            return null;
        }
        if (!(reason instanceof String text) || text.isBlank() || text.length() > MAX_REASON
                || text.chars().anyMatch(Character::isISOControl)) {
            throw bad(REASON, REASON + " must be a printable string of at most " + MAX_REASON + " characters");
        }
        return text;
    }

    /**
     * A registration as audit records show it: the registration fields, the JWK set as its key ids (the keys are
     * public, but a record names keys, it does not carry them).
     */
    static Map<String, Object> auditView(AgentRecord agent) {
        JsonObject view = registration(agent);
        JsonArray kids = new JsonArray();
        view.getJsonObject("jwks").getJsonArray("keys").forEach(k -> kids.add(((JsonObject) k).getString("kid")));
        view.remove("jwks");
        view.put("jwks_kids", kids);
        return view.getMap();
    }

    /** What a PATCH changed: each field whose value differs, as {"from": ..., "to": ...} (absent: null). */
    static Map<String, Object> changes(AgentRecord before, AgentRecord after) {
        Map<String, Object> from = auditView(before);
        Map<String, Object> to = auditView(after);
        Map<String, Object> changed = new java.util.TreeMap<>();
        Set<String> names = new java.util.TreeSet<>(from.keySet());
        names.addAll(to.keySet());
        for (String name : names) {
            Object a = from.get(name);
            Object b = to.get(name);
            if (!java.util.Objects.equals(a, b)) {
                Map<String, Object> change = new java.util.LinkedHashMap<>();
                change.put("from", a);
                change.put("to", b);
                changed.put(name, change);
            }
        }
        return changed;
    }

    private static OAuthException deregistered(String id) {
        return new OAuthException("agent_deregistered", 409, "agent '" + id + "' is deregistered", null);
    }

    /** How often a PATCH re-reads and re-applies itself when the record changed between its read and its write. */
    private static final int PATCH_ATTEMPTS = 5;

    /**
     * PATCH: an RFC 7396 JSON merge patch of the agent's registration ({@code application/merge-patch+json} or
     * {@code application/json}): any registration field but {@code agent_id}; {@code null} removes a field (its
     * default, or 400 for a required one). The result is validated exactly like a registration. It applies to tokens
     * issued from now on; tokens already issued keep their claims until they expire (kill or revoke to end them).
     */
    void patch(RoutingContext ctx) {
        try {
            String id = ctx.pathParam("id");
            JsonObject patch = jsonBody(ctx, "application/merge-patch+json");
            for (String name : patch.fieldNames()) {
                if (!FIELDS.contains(name)) {
                    throw bad(name, "unknown field '" + name + "'");
                }
            }
            if (patch.containsKey("agent_id") && !id.equals(patch.getValue("agent_id"))) {
                throw bad("agent_id", "agent_id cannot be changed");
            }
            patch(id, patch, 1).compose(change -> change.before().equals(change.after())
                    ? Future.succeededFuture(change.after())
                    : audit.durable(new AuditEvent.AgentChanged(AuditEvent.AGENT_UPDATED, ADMIN, id,
                            change.after().owner(), changes(change.before(), change.after()), null))
                    .map(seq -> change.after())).onSuccess(agent -> {
                LOG.info(() -> "admin: changed agent " + agent.agentId() + " (" + String.join(", ",
                        patch.fieldNames()) + "; now scopes " + agent.scopes() + ", audiences " + agent.audiences()
                        + ", delegates " + agent.delegates() + ")");
                Responses.json(ctx, 200, toJson(agent, null));
            }).onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    private record Change(AgentRecord before, AgentRecord after) {
    }

    private Future<Change> patch(String id, JsonObject patch, int attempt) {
        return agents.find(id).compose(current -> {
            if (current == null) {
                return Future.failedFuture(OAuthException.notFound("agent '" + id + "' is not registered"));
            }
            if (current.deregistered()) {
                return Future.failedFuture(deregistered(id));
            }
            AgentRecord next;
            try {
                next = current.withSettingsOf(parseRegistration(mergePatch(registration(current), patch)));
            } catch (RuntimeException e) {
                return Future.failedFuture(e);
            }
            if (next.equals(current)) {
                return Future.succeededFuture(new Change(current, current));
            }
            return agents.replace(current, next).compose(replaced -> replaced
                    ? Future.succeededFuture(new Change(current, next))
                    : attempt < PATCH_ATTEMPTS ? patch(id, patch, attempt + 1)
                    : Future.failedFuture(new IllegalStateException("agent " + id + " changed concurrently")));
        });
    }

    /** The agent's registration fields as JSON (what POST took), the document a PATCH applies to. */
    private static JsonObject registration(AgentRecord agent) {
        JsonObject all = toJson(agent, null);
        JsonObject registration = new JsonObject();
        for (String name : all.fieldNames()) {
            if (FIELDS.contains(name)) {
                registration.put(name, all.getValue(name));
            }
        }
        return registration;
    }

    /** RFC 7396 section 2: MergePatch(Target, Patch). */
    static Object mergePatch(Object target, Object patch) {
        if (!(patch instanceof JsonObject)) {
            return patch;
        }
        JsonObject result = target instanceof JsonObject ? ((JsonObject) target).copy() : new JsonObject();
        for (Map.Entry<String, Object> entry : (JsonObject) patch) {
            if (entry.getValue() == null) {
                result.remove(entry.getKey());
            } else {
                result.put(entry.getKey(), mergePatch(result.getValue(entry.getKey()), entry.getValue()));
            }
        }
        return result;
    }

    void rotateKeys(RoutingContext ctx) {
        try {
            JsonObject body = optionalJson(ctx);
            long activateIn = body.containsKey("activate_in_seconds")
                    ? integer(body, "activate_in_seconds", 0, 86_400) : 120;
            keys.rotate(vertx, Duration.ofSeconds(activateIn)).compose(ring -> {
                return audit.durable(AuditEvent.KeysRotated.of(ADMIN, ring, clock.instant())).map(seq -> ring);
            }).onSuccess(ring -> {
                Instant now = clock.instant();
                LOG.info(() -> "admin: rotated signing keys; signing key " + ring.signingKeyId(now) + ", new key active"
                        + " in " + activateIn + " s");
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

    static JsonObject optionalJson(RoutingContext ctx) {
        String text = ctx.body().asString();
        if (text == null || text.isBlank()) {
            return new JsonObject();
        }
        return jsonBody(ctx);
    }

    private static JsonObject jsonBody(RoutingContext ctx) {
        return jsonBody(ctx, null);
    }

    /** The body as a JSON object; its Content-Type application/json or {@code alsoAccepted} (when not null). */
    private static JsonObject jsonBody(RoutingContext ctx, String alsoAccepted) {
        String type = ctx.request().getHeader("Content-Type");
        String media = type == null ? null : type.toLowerCase().split(";", 2)[0].trim();
        if (media == null || !(media.equals("application/json") || media.equals(alsoAccepted))) {
            throw new OAuthException("invalid_request", alsoAccepted == null ? 400 : 415, "Content-Type must be"
                    + (alsoAccepted == null ? "" : " " + alsoAccepted + " or") + " application/json", null);
        }
        try {
            Object parsed = Json.decodeValue(ctx.body().buffer());
            if (!(parsed instanceof JsonObject)) {
                throw OAuthException.invalidRequest("the body must be a JSON object");
            }
            return (JsonObject) parsed;
        } catch (DecodeException e) {
            throw OAuthException.invalidRequest("the body is not valid JSON");
        }
    }

    private AgentRecord parseRegistration(Object patched) {
        JsonObject body = (JsonObject) patched;
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
                AgentStatus.ACTIVE, now, now)
                .withSenderConstraints(bool(body, DPOP_BOUND), bool(body, CERTIFICATE_BOUND), sanUri(body, agentId))
                .withAttestation(attestation(body))
                .withActsFor(actsFor(body, "users"), actsFor(body, "groups"))
                .withApproval(approval(body, scopes, audiences));
    }

    /** The optional {@code approval} policy (profile section 6.13); absent: no request needs approval. */
    private static ApprovalPolicy approval(JsonObject body, List<String> scopes, List<String> audiences) {
        if (!body.containsKey(ApprovalPolicy.MEMBER)) {
            return null;
        }
        Object raw = body.getValue(ApprovalPolicy.MEMBER);
        if (!(raw instanceof JsonObject)) {
            throw bad(ApprovalPolicy.MEMBER, "approval must be a JSON object");
        }
        try {
            return ApprovalPolicy.parse(com.nimbusds.jose.util.JSONObjectUtils.parse(((JsonObject) raw).encode()),
                    scopes, audiences);
        } catch (ParseException e) {
            throw bad(ApprovalPolicy.MEMBER, "approval must be a JSON object");
        } catch (IllegalArgumentException e) {
            throw bad(ApprovalPolicy.MEMBER, e.getMessage());
        }
    }

    /** One list of the optional {@code acts_for} object; absent means the agent acts for no human. */
    private static List<String> actsFor(JsonObject body, String list) {
        if (!body.containsKey(ACTS_FOR)) {
            return List.of();
        }
        Object raw = body.getValue(ACTS_FOR);
        if (!(raw instanceof JsonObject)) {
            throw bad(ACTS_FOR, ACTS_FOR + " must be a JSON object {\"users\": [...], \"groups\": [...]}");
        }
        JsonObject actsFor = (JsonObject) raw;
        for (String name : actsFor.fieldNames()) {
            if (!ACTS_FOR_FIELDS.contains(name)) {
                throw bad(ACTS_FOR, "unknown field '" + ACTS_FOR + "." + name + "'");
            }
        }
        if (!actsFor.containsKey(list)) {
            return List.of();
        }
        JsonObject wrapper = new JsonObject().put(ACTS_FOR + "." + list, actsFor.getValue(list));
        try {
            return strings(wrapper, ACTS_FOR + "." + list, false, HUMAN_PRINCIPAL);
        } catch (OAuthException e) {
            throw bad(ACTS_FOR, e.description() + " (each entry is '<identity provider issuer>#<"
                    + (list.equals("users") ? "sub" : "group") + ">')");
        }
    }

    /** The optional {@code attestation} object; absent means nothing required and nothing pinned. */
    private static AttestationRequirement attestation(JsonObject body) {
        if (!body.containsKey(ATTESTATION)) {
            return AttestationRequirement.NONE;
        }
        Object raw = body.getValue(ATTESTATION);
        if (!(raw instanceof JsonObject)) {
            throw bad(ATTESTATION, ATTESTATION + " must be a JSON object");
        }
        JsonObject att = (JsonObject) raw;
        for (String name : att.fieldNames()) {
            if (!ATTESTATION_FIELDS.contains(name)) {
                throw bad(ATTESTATION, "unknown field '" + ATTESTATION + "." + name + "'");
            }
        }
        Object required = att.getValue("required");
        if (required != null && !(required instanceof Boolean)) {
            throw bad(ATTESTATION, ATTESTATION + ".required must be true or false");
        }
        return new AttestationRequirement(Boolean.TRUE.equals(required),
                pins(att, "digests", Attestation.DIGEST), pins(att, "models", MEASUREMENT),
                pins(att, "runtimes", MEASUREMENT));
    }

    private static List<String> pins(JsonObject att, String field, Pattern syntax) {
        if (!att.containsKey(field)) {
            return List.of();
        }
        JsonObject wrapper = new JsonObject().put(ATTESTATION + "." + field, att.getValue(field));
        try {
            return strings(wrapper, ATTESTATION + "." + field, false, syntax);
        } catch (OAuthException e) {
            throw bad(ATTESTATION, e.description());
        }
    }

    private static boolean bool(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value != null && !(value instanceof Boolean)) {
            throw bad(field, field + " must be true or false");
        }
        return Boolean.TRUE.equals(value);
    }

    /**
     * The agent CA names an agent only as {@code urn:agentid:agent:<agent_id>}; any other URI would let an agent
     * authenticate with another agent's certificate, so no other value is accepted.
     */
    private static String sanUri(JsonObject body, String agentId) {
        if (!body.containsKey(SAN_URI)) {
            return null;
        }
        String expected = ClientCertificates.AGENT_URI_PREFIX + agentId;
        if (!expected.equals(body.getValue(SAN_URI))) {
            throw bad(SAN_URI, SAN_URI + " must be '" + expected + "'");
        }
        return expected;
    }

    private static JWKSet jwks(JsonObject body) {
        Object raw = body.getValue("jwks");
        if (!(raw instanceof JsonObject)) {
            throw bad("jwks", "jwks must be a JSON object {\"keys\": [...]}");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(((JsonObject) raw).encode());
        } catch (ParseException e) {
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
                .put("status_changed_at", agent.statusChangedAt().toString())
                .put(DPOP_BOUND, agent.dpopBoundAccessTokens())
                .put(CERTIFICATE_BOUND, agent.tlsClientCertificateBoundAccessTokens());
        if (!agent.attestation().isNone()) {
            AttestationRequirement att = agent.attestation();
            json.put(ATTESTATION, new JsonObject().put("required", att.required())
                    .put("digests", new JsonArray(att.digests())).put("models", new JsonArray(att.models()))
                    .put("runtimes", new JsonArray(att.runtimes())));
        }
        if (!agent.actsForUsers().isEmpty() || !agent.actsForGroups().isEmpty()) {
            json.put(ACTS_FOR, new JsonObject().put("users", new JsonArray(agent.actsForUsers()))
                    .put("groups", new JsonArray(agent.actsForGroups())));
        }
        if (agent.approval() != null) {
            json.put(ApprovalPolicy.MEMBER, new JsonObject(agent.approval().toJson()));
        }
        if (agent.tlsClientAuthSanUri() != null) {
            json.put(SAN_URI, agent.tlsClientAuthSanUri());
        }
        if (agent.lastKilledAt() != null) {
            json.put("last_killed_at", agent.lastKilledAt().toString());
        }
        if (liveTokens != null) {
            json.put("live_tokens", liveTokens);
        }
        return json;
    }
}
