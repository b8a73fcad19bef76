package dev.agentid.issuer.approval;

import dev.agentid.issuer.domain.ApprovalPolicy;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.verifier.Actor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One request held for approval, as stored (JSON text in the {@code approvals} cache). Immutable: every change is a
 * new value, written by compare-and-set, and carries a revision of its own ({@code rev}). The compare-and-set is an
 * Infinispan {@code replace}, and one that Infinispan retries after a topology change succeeds when the value present
 * equals the value it writes (it takes it for its own earlier attempt): without the revision, two redemptions of one
 * approval in the same millisecond would write the same text and could both win. It keeps what the client asked for
 * (to run the exchange again when it is redeemed, subject token included: see docs/APPROVALS.md) and what that
 * request would grant (what the approver sees, and the bound of what is minted).
 */
public final class Pending {

    /** CIBA's life of a request. */
    public enum State { PENDING, APPROVED, DENIED, EXPIRED, REDEEMED }

    /** The next revision: counts up from a random start (see InfinispanReplayStore's claims for the odds). */
    private static final AtomicLong REVISIONS = new AtomicLong(new SecureRandom().nextLong());

    private final JsonObject json;

    private Pending(JsonObject json) {
        this.json = json;
    }

    static Pending start(String id, TokenService.Prepared p, String subjectToken, String actorToken,
                         List<String> requestedScope, List<String> requestedAudience,
                         List<Map<String, Object>> requestedDetails, ApprovalPolicy policy, String kind,
                         Instant now) {
        JsonArray chain = new JsonArray();
        p.draft().chain().actors().forEach(a -> chain.add(new JsonArray().add(a.subject()).add(a.issuer())));
        JsonObject json = new JsonObject()
                .put("id", id)
                .put("state", State.PENDING.name())
                .put("client", p.client().agentId())
                .put("owner", p.client().owner())
                .put("principal", p.draft().subject())
                .put("chain", chain)
                .put("scopes", new JsonArray(p.draft().scopes()))
                .put("audience", p.draft().audience())
                .put("details", details(p.draft().authorizationDetails()))
                .put("reasons", new JsonArray(p.reasons()))
                .put("kind", kind)
                .put("anc", new JsonArray(p.parent().selfAndAncestors()))
                .put("subject_token", subjectToken)
                .put("actor_token", actorToken)
                .put("req_scope", requestedScope == null ? null : new JsonArray(requestedScope))
                .put("req_audience", new JsonArray(requestedAudience))
                .put("req_details", requestedDetails == null ? null : details(requestedDetails))
                .put("policy", new JsonObject(policy.toJson()))
                .put("created", now.toEpochMilli())
                .put("expires", now.plusSeconds(policy.pendingSeconds()).toEpochMilli())
                .put("interval", policy.intervalSeconds())
                .put("lifetime", policy.lifetimeSeconds());
        return new Pending(json);
    }

    private static JsonArray details(List<Map<String, Object>> details) {
        JsonArray array = new JsonArray();
        details.forEach(d -> array.add(new JsonObject(dev.agentid.issuer.domain.AuthorizationDetails.canonical(d))));
        return array;
    }

    public static Pending decode(String text) {
        return new Pending(new JsonObject(text));
    }

    /** The request stored as {@code text}, or null when the entry is not a request (graduated autonomy's counts). */
    static Pending decodeOrNull(String text) {
        if (text == null) {
            return null;
        }
        JsonObject json = new JsonObject(text);
        return json.containsKey("state") && json.containsKey("client") ? new Pending(json) : null;
    }

    /** The kind of request (the policy's rules it meets), for graduated autonomy. */
    public String kind() {
        return json.getString("kind");
    }

    public String encode() {
        return json.encode();
    }

    /** The next version: this one's fields, {@code changes} and a new revision. */
    private Pending next(Map<String, Object> changes) {
        JsonObject next = json.copy();
        changes.forEach(next::put);
        return new Pending(next.put("rev", Long.toHexString(REVISIONS.incrementAndGet())));
    }

    Pending polled(Instant now, long interval) {
        return next(Map.of("last_poll", now.toEpochMilli(), "interval", interval));
    }

    Pending decided(State state, String approver, Instant now) {
        Map<String, Object> changes = new HashMap<>();
        changes.put("state", state.name());
        changes.put("approver", approver);   // null when it expired
        changes.put("decided", now.toEpochMilli());
        return next(changes);
    }

    Pending redeemed(Instant now) {
        return next(Map.of("state", State.REDEEMED.name(), "redeemed", now.toEpochMilli()));
    }

    public String id() {
        return json.getString("id");
    }

    public State state() {
        return State.valueOf(json.getString("state"));
    }

    public String client() {
        return json.getString("client");
    }

    public String owner() {
        return json.getString("owner");
    }

    public String principal() {
        return json.getString("principal");
    }

    public List<Actor> chain() {
        List<Actor> actors = new ArrayList<>();
        json.getJsonArray("chain").forEach(a -> actors.add(new Actor(((JsonArray) a).getString(0),
                ((JsonArray) a).getString(1))));
        return actors;
    }

    public List<String> scopes() {
        return strings("scopes");
    }

    public String audience() {
        return json.getString("audience");
    }

    public List<Map<String, Object>> details() {
        return maps("details");
    }

    public List<String> reasons() {
        return strings("reasons");
    }

    /** The subject token's {@code jti} and its ancestors', root first. */
    public List<String> ancestors() {
        return strings("anc");
    }

    String subjectToken() {
        return json.getString("subject_token");
    }

    String actorToken() {
        return json.getString("actor_token");
    }

    List<String> requestedScope() {
        return json.getJsonArray("req_scope") == null ? null : strings("req_scope");
    }

    List<String> requestedAudience() {
        return strings("req_audience");
    }

    List<Map<String, Object>> requestedDetails() {
        return json.getJsonArray("req_details") == null ? null : maps("req_details");
    }

    public ApprovalPolicy policy() {
        return ApprovalPolicy.fromJson(json.getJsonObject("policy").encode());
    }

    public Instant createdAt() {
        return Instant.ofEpochMilli(json.getLong("created"));
    }

    public Instant expiresAt() {
        return Instant.ofEpochMilli(json.getLong("expires"));
    }

    public long intervalSeconds() {
        return json.getLong("interval");
    }

    public long lifetimeSeconds() {
        return json.getLong("lifetime");
    }

    public Instant lastPollAt() {
        Long at = json.getLong("last_poll");
        return at == null ? null : Instant.ofEpochMilli(at);
    }

    public String approver() {
        return json.getString("approver");
    }

    public Instant decidedAt() {
        Long at = json.getLong("decided");
        return at == null ? null : Instant.ofEpochMilli(at);
    }

    private List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        json.getJsonArray(key).forEach(v -> out.add((String) v));
        return List.copyOf(out);
    }

    private List<Map<String, Object>> maps(String key) {
        List<Map<String, Object>> out = new ArrayList<>();
        json.getJsonArray(key).forEach(v -> out.add(((JsonObject) v).getMap()));
        return List.copyOf(out);
    }
}
