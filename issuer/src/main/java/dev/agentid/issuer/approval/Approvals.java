package dev.agentid.issuer.approval;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.ApprovalPolicy;
import dev.agentid.issuer.domain.AuthorizationDetails;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.store.SharedMap;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.Approval;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Requests held for a human's approval (profile section 6.13), in the shape of OpenID CIBA poll mode: a client starts
 * one at the backchannel endpoint ({@link #start}), polls the token endpoint with its {@code auth_req_id}
 * ({@link #redeem}), and an approver approves or denies it through the admin API ({@link #decide}).
 *
 * <p>Every request is one entry of the replicated, persisted {@code approvals} cache (auth_req_id to the request's
 * JSON; {@link Pending}); each change is a compare-and-set of the whole entry, so two nodes, or two polls, never both
 * win. The entry lives {@link #RETAIN} past its request's expiry, so that a late poll is told {@code expired_token}
 * rather than that the id is unknown. Nothing here blocks the event loop: the cache's asynchronous operations, and a
 * worker for the scan that lists pending requests.
 */
public final class Approvals {

    private static final Logger LOG = Logger.getLogger(Approvals.class.getName());

    /** How long a request's entry outlives its expiry (or its approval's window). */
    public static final Duration RETAIN = Duration.ofHours(1);
    /** At most this many undecided, unexpired requests per agent (P14): each one is a replicated, persisted entry. */
    public static final int MAX_PENDING_PER_AGENT = 20;
    /** CIBA section 11: each slow_down adds this to the interval. */
    public static final long SLOW_DOWN_STEP_SECONDS = 5;

    /** Who decides: a human of the trusted OpenID Provider ({@code <iss>#<sub>} and groups), or the admin token. */
    public record Approver(String principal, List<String> groups, boolean breakGlass) {

        public static final Approver BREAK_GLASS = new Approver(Approval.BREAK_GLASS, List.of(), true);

        public Approver {
            groups = List.copyOf(groups);
        }
    }

    private final Vertx vertx;
    private final Clock clock;
    private final SharedMap<String, String> store;
    private final TokenService tokens;
    private final AuditLog audit;
    private final ApprovalWebhook webhook;
    private final SecureRandom random = new SecureRandom();

    public Approvals(Vertx vertx, Clock clock, SharedMap<String, String> store, TokenService tokens, AuditLog audit,
                     ApprovalWebhook webhook) {
        this.vertx = vertx;
        this.clock = clock;
        this.store = store;
        this.tokens = tokens;
        this.audit = audit;
        this.webhook = webhook;
    }

    /**
     * The backchannel authentication request: every check of the token exchange it would be, then, if the client's
     * policy holds it for a human, a pending request (P06 when it does not). Answers CIBA section 7.3's
     * {@code auth_req_id}, {@code expires_in} and {@code interval}.
     */
    public Future<Pending> start(Presenter presenter, String subjectToken, String actorToken, List<String> scope,
                                 List<String> audience, List<Map<String, Object>> details) {
        return tokens.prepareExchange(presenter, subjectToken, actorToken, scope, audience, details).compose(p -> {
            if (p.reasons().isEmpty()) {
                throw OAuthException.invalidRequest("this request needs no approval: ask the token endpoint");
            }
            ApprovalPolicy policy = p.client().approval();
            String kind = policy.kind(p.draft().scopes(), p.draft().audience(), p.draft().authorizationDetails());
            Instant now = clock.instant();
            Pending requested = Pending.start(newId(random), p, subjectToken, actorToken, scope, audience, details,
                    policy, kind, now);
            return requireRoom(requested.client(), now).compose(v -> autonomous(requested, policy, now))
                    .compose(auto -> {
                Pending pending = auto ? requested.decided(Pending.State.APPROVED, Approval.AUTONOMY, now)
                        : requested;
                return store.putIfAbsentAsync(pending.id(), pending.encode(), lifespan(pending, now))
                        .compose(stored -> {
                            if (!stored) {
                                throw new IllegalStateException("auth_req_id collision");
                            }
                            return audit.durable(event(AuditEvent.APPROVAL_REQUESTED, pending, null));
                        })
                        .compose(seq -> auto ? audit.durable(event(AuditEvent.APPROVAL_APPROVED, pending,
                                Approval.AUTONOMY)) : Future.succeededFuture(seq))
                        .map(seq -> {
                            if (!auto) {
                                webhook.notify(pending);
                            }
                            LOG.info(() -> "approval " + pending.id() + " requested by agent " + pending.client()
                                    + " (" + String.join(", ", pending.reasons()) + ")"
                                    + (auto ? ": approved automatically (graduated autonomy)" : ""));
                            return pending;
                        });
            });
        });
    }

    /** P14: the agent's undecided, unexpired requests, counted in this node's copy (a scan, on a worker). */
    private Future<Void> requireRoom(String agent, Instant now) {
        return vertx.executeBlocking(() -> {
            int open = 0;
            for (String json : store.localValues()) {
                Pending p = Pending.decodeOrNull(json);
                if (p != null && p.state() == Pending.State.PENDING && p.client().equals(agent)
                        && now.isBefore(p.expiresAt())) {
                    open++;
                }
            }
            if (open >= MAX_PENDING_PER_AGENT) {
                throw OAuthException.invalidRequest("agent '" + agent + "' has " + MAX_PENDING_PER_AGENT
                        + " requests awaiting approval already");
            }
            return null;
        }, false);
    }

    // ---- graduated autonomy: per agent, the times of recent human approvals, by kind of request ----

    /** The entry of an agent's counts in the approvals cache (never an auth_req_id: those are base64url). */
    static String countsKey(String agent) {
        return "autonomy|" + agent;
    }

    /** Whether humans approved enough requests of this kind within the policy's window (false without autonomy). */
    private Future<Boolean> autonomous(Pending p, ApprovalPolicy policy, Instant now) {
        if (policy.autonomy() == null) {
            return Future.succeededFuture(false);
        }
        return store.getAsync(countsKey(p.client())).map(json -> {
            if (json == null) {
                return false;
            }
            JsonArray times = new JsonObject(json).getJsonArray(p.kind());
            long since = now.minusSeconds(policy.autonomy().windowSeconds()).toEpochMilli();
            long recent = times == null ? 0 : times.stream().filter(t -> ((Number) t).longValue() > since).count();
            return recent >= policy.autonomy().after();
        });
    }

    /** A human approved: its time joins the kind's count. A denial resets every count of the agent. */
    private Future<Void> count(Pending p, boolean approved, Instant now) {
        ApprovalPolicy.Autonomy autonomy = p.policy().autonomy();
        if (autonomy == null) {
            return Future.succeededFuture();
        }
        Duration window = Duration.ofSeconds(autonomy.windowSeconds());
        long since = now.minus(window).toEpochMilli();
        return updateCounts(p.client(), counts -> {
            if (!approved) {
                return new JsonObject();
            }
            JsonArray kept = new JsonArray();
            JsonArray times = counts.getJsonArray(p.kind());
            if (times != null) {
                times.stream().filter(t -> ((Number) t).longValue() > since).forEach(kept::add);
            }
            kept.add(now.toEpochMilli());
            while (kept.size() > autonomy.after()) {
                kept.remove(0);
            }
            return counts.put(p.kind(), kept);
        }, window, 1);
    }

    private Future<Void> updateCounts(String agent, java.util.function.UnaryOperator<JsonObject> change,
                                      Duration lifespan, int attempt) {
        String key = countsKey(agent);
        return store.getAsync(key).compose(current -> {
            JsonObject next = change.apply(current == null ? new JsonObject() : new JsonObject(current));
            Future<Boolean> written = current == null ? store.putIfAbsentAsync(key, next.encode(), lifespan)
                    : store.replaceAsync(key, current, next.encode(), lifespan);
            return written.compose(ok -> ok || attempt >= 5 ? Future.<Void>succeededFuture()
                    : updateCounts(agent, change, lifespan, attempt + 1));
        });
    }

    /**
     * The CIBA grant at the token endpoint: only the client that started the request may poll it (P08, answered as an
     * unknown id); too early is {@code slow_down} (P10, and the interval grows); then {@code authorization_pending}
     * (P09), {@code access_denied} (P11), {@code expired_token} (P12), or, once approved, the token: the exchange is
     * checked again from the start (a revocation or a kill meanwhile refuses it), its {@code act} level records the
     * approval and it lives no longer than the approval's window. An approval is redeemed once (P13).
     */
    public Future<TokenService.Issued> redeem(Presenter presenter, String authReqId) {
        return store.getAsync(authReqId).compose(json -> {
            Pending pending = Pending.decodeOrNull(json);
            if (pending == null || !pending.client().equals(presenter.agent().agentId())) {
                throw new OAuthException("invalid_grant", 400,
                        "auth_req_id is unknown, expired long ago, or belongs to another client", null);
            }
            Instant now = clock.instant();
            switch (pending.state()) {
                case REDEEMED:
                    throw new OAuthException("invalid_grant", 400, "auth_req_id has already been redeemed", null);
                case DENIED:
                    throw new OAuthException("access_denied", 400, "the request was denied", null);
                case EXPIRED:
                    throw expiredToken();
                case APPROVED:
                    return redeemApproved(presenter, pending, json, now);
                case PENDING:
                default:
                    return poll(pending, json, now);
            }
        });
    }

    private Future<TokenService.Issued> poll(Pending pending, String json, Instant now) {
        if (!now.isBefore(pending.expiresAt())) {
            return expire(pending, json, now).compose(v -> Future.failedFuture(expiredToken()));
        }
        Instant earliest = pending.lastPollAt() == null ? null
                : pending.lastPollAt().plusSeconds(pending.intervalSeconds());
        boolean tooEarly = earliest != null && now.isBefore(earliest);
        Pending next = tooEarly ? pending.polled(now, pending.intervalSeconds() + SLOW_DOWN_STEP_SECONDS)
                : pending.polled(now, pending.intervalSeconds());
        return store.replaceAsync(pending.id(), json, next.encode(), lifespan(next, now)).compose(replaced -> {
            if (tooEarly || !replaced) {   // a concurrent poll of the same request is a poll too fast
                throw new OAuthException("slow_down", 400, "polling faster than every "
                        + pending.intervalSeconds() + " s", null);
            }
            throw new OAuthException("authorization_pending", 400, "the request awaits a human's approval", null);
        });
    }

    private Future<TokenService.Issued> redeemApproved(Presenter presenter, Pending pending, String json,
                                                       Instant now) {
        Instant window = pending.decidedAt().plusSeconds(pending.lifetimeSeconds());
        if (!now.isBefore(window)) {
            throw expiredToken();
        }
        Pending redeemed = pending.redeemed(now);
        return store.replaceAsync(pending.id(), json, redeemed.encode(), lifespan(redeemed, now))
                .compose(won -> {
                    if (!won) {
                        throw new OAuthException("invalid_grant", 400, "auth_req_id has already been redeemed",
                                null);
                    }
                    return tokens.prepareExchange(presenter, pending.subjectToken(), pending.actorToken(),
                            pending.requestedScope(), pending.requestedAudience(), pending.requestedDetails());
                })
                .compose(p -> {
                    // what was approved bounds what is minted (a registration changed meanwhile may only narrow it)
                    if (!pending.scopes().containsAll(p.draft().scopes())
                            || !pending.audience().equals(p.draft().audience())
                            || !AuthorizationDetails.within(p.draft().authorizationDetails(), pending.details())) {
                        throw new OAuthException("access_denied", 400, "the request was denied", "the request now"
                                + " asks for more than approval " + pending.id() + " covers");
                    }
                    Approval approval = new Approval(pending.id(), pending.approver(),
                            Instant.ofEpochSecond(pending.decidedAt().getEpochSecond()));
                    return tokens.mintExchange(p, approval, window);
                });
    }

    private static OAuthException expiredToken() {
        return new OAuthException("expired_token", 400, "the request expired before it was approved", null);
    }

    /** Marks a pending request expired (once: the compare-and-set's winner records it). */
    private Future<Void> expire(Pending pending, String json, Instant now) {
        Pending expired = pending.decided(Pending.State.EXPIRED, null, now);
        return store.replaceAsync(pending.id(), json, expired.encode(), lifespan(expired, now)).compose(won -> won
                ? audit.durable(event(AuditEvent.APPROVAL_EXPIRED, pending, null)).mapEmpty()
                : Future.succeededFuture());
    }

    /**
     * The requests awaiting a decision, oldest first (this node's copy of the replicated cache, scanned on a worker);
     * requests past their expiry are marked expired on the way. With {@code approver} (not break-glass), only those
     * it may approve or deny.
     */
    public Future<List<Pending>> pending(Approver approver) {
        Instant now = clock.instant();
        return vertx.executeBlocking(() -> new ArrayList<>(store.localValues()), false).compose(values -> {
            List<Pending> open = new ArrayList<>();
            List<Future<Void>> expiries = new ArrayList<>();
            for (String json : values) {
                Pending p = Pending.decodeOrNull(json);
                if (p == null || p.state() != Pending.State.PENDING) {
                    continue;
                }
                if (!now.isBefore(p.expiresAt())) {
                    expiries.add(expire(p, json, now));
                } else if (approver.breakGlass() || mayDecide(p, approver)) {
                    open.add(p);
                }
            }
            open.sort(Comparator.comparing(Pending::createdAt).thenComparing(Pending::id));
            return Future.join(expiries).otherwiseEmpty().map(v -> open);
        });
    }

    /** One request, for an approver; 404 when unknown. */
    public Future<Pending> find(String id) {
        return store.getAsync(id).map(json -> {
            Pending p = Pending.decodeOrNull(json);
            if (p == null) {
                throw OAuthException.notFound("no approval request '" + id + "'");
            }
            return p;
        });
    }

    /** Whether {@code approver} may see {@code p}: break-glass, one of its approvers, or its agent's owner. */
    public static boolean visibleTo(Pending p, Approver approver) {
        return approver.breakGlass() || mayDecide(p, approver);
    }

    private static boolean mayDecide(Pending p, Approver approver) {
        return p.policy().approver(p.owner(), approver.principal(), approver.groups())
                || p.owner().equals(approver.principal());
    }

    /**
     * An approver's decision. Approve: the approver must be one the policy names; under four eyes neither the agent's
     * owner nor the request's principal may approve. Deny: any approver, or the owner. The admin token decides as
     * break-glass, recorded as such.
     */
    public Future<Pending> decide(String id, boolean approve, Approver approver) {
        return decide(id, approve, approver, null);
    }

    /** As {@link #decide(String, boolean, Approver)}, with the approver's reason for the audit record (or null). */
    public Future<Pending> decide(String id, boolean approve, Approver approver, String reason) {
        return store.getAsync(id).compose(json -> {
            Pending pending = Pending.decodeOrNull(json);
            if (pending == null) {
                throw OAuthException.notFound("no approval request '" + id + "'");
            }
            Instant now = clock.instant();
            if (pending.state() == Pending.State.PENDING && !now.isBefore(pending.expiresAt())) {
                return expire(pending, json, now).compose(v -> Future.failedFuture(notPending(id, "expired")));
            }
            if (pending.state() != Pending.State.PENDING) {
                throw notPending(id, pending.state().name().toLowerCase());
            }
            if (!approver.breakGlass()) {
                ApprovalPolicy policy = pending.policy();
                boolean listed = policy.approver(pending.owner(), approver.principal(), approver.groups());
                if (approve && policy.fourEyes() && (approver.principal().equals(pending.owner())
                        || approver.principal().equals(pending.principal()))) {
                    throw new OAuthException("access_denied", 403, "four eyes: '" + approver.principal()
                            + "' may not approve a request of their own agent or on their own behalf", null);
                }
                if (!listed && !(!approve && approver.principal().equals(pending.owner()))) {
                    throw new OAuthException("access_denied", 403, "'" + approver.principal()
                            + "' is not an approver of agent '" + pending.client() + "'", null);
                }
            }
            Pending decided = pending.decided(approve ? Pending.State.APPROVED : Pending.State.DENIED,
                    approver.principal(), now);
            return store.replaceAsync(id, json, decided.encode(), lifespan(decided, now)).compose(won -> {
                if (!won) {
                    throw notPending(id, "decided");
                }
                return audit.durable(event(approve ? AuditEvent.APPROVAL_APPROVED : AuditEvent.APPROVAL_DENIED,
                        pending, approver.principal(), reason));
            }).compose(seq -> approver.breakGlass() && approve ? Future.succeededFuture()
                    : count(pending, approve, now)).map(v -> {
                LOG.info(() -> "approval " + id + (approve ? " approved" : " denied") + " by "
                        + approver.principal());
                return decided;
            });
        });
    }

    private static OAuthException notPending(String id, String state) {
        return new OAuthException("approval_not_pending", 409, "approval request '" + id + "' is " + state, null);
    }

    /** The entry's lifespan: until a while after the last moment anyone may act on it. */
    private static Duration lifespan(Pending p, Instant now) {
        Instant end = p.expiresAt();
        if (p.decidedAt() != null) {
            Instant window = p.decidedAt().plusSeconds(p.lifetimeSeconds());
            end = window.isAfter(end) ? window : end;
        }
        Duration left = Duration.between(now, end.plus(RETAIN));
        return left.isNegative() || left.isZero() ? Duration.ofSeconds(1) : left;
    }

    private static AuditEvent.Approval event(String type, Pending p, String approver) {
        return event(type, p, approver, null);
    }

    private static AuditEvent.Approval event(String type, Pending p, String approver, String decisionReason) {
        List<AuditEvent.ChainActor> chain = new ArrayList<>();
        for (Actor a : p.chain()) {
            chain.add(new AuditEvent.ChainActor(a.subject(), a.issuer()));
        }
        List<String> details = new ArrayList<>();
        p.details().forEach(d -> details.add(AuthorizationDetails.canonical(d)));
        return new AuditEvent.Approval(type, p.id(), p.client(), p.owner(), p.principal(), chain, p.scopes(),
                List.of(p.audience()), details, p.reasons(), p.ancestors(), approver, decisionReason);
    }

    /**
     * CIBA section 7.3: 128 random bits, base64url (AuthRequestID's recommended length), drawn again when it begins
     * with '-' (one in 64): a command line takes such an argument for an option ({@code agentctl approvals approve
     * -oAb3...} is {@code -o Ab3...}). The first character is then uniform over the other 63, which leaves 127.98 bits.
     */
    static String newId(java.util.Random random) {
        byte[] bytes = new byte[16];
        String id;
        do {
            random.nextBytes(bytes);
            id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (id.charAt(0) == '-');
        return id;
    }

    /** The admin API's view of a request: never the subject or actor token. */
    public static JsonObject view(Pending p) {
        JsonArray chain = new JsonArray();
        p.chain().forEach(a -> chain.add(new JsonObject().put("sub", a.subject()).put("iss", a.issuer())));
        JsonArray details = new JsonArray();
        p.details().forEach(d -> details.add(new JsonObject(AuthorizationDetails.canonical(d))));
        JsonObject json = new JsonObject()
                .put("id", p.id())
                .put("state", p.state().name().toLowerCase())
                .put("agent", p.client())
                .put("owner", p.owner())
                .put("principal", p.principal())
                .put("chain", chain)
                .put("scopes", new JsonArray(p.scopes()))
                .put("audience", p.audience())
                .put("authorization_details", details)
                .put("reasons", new JsonArray(p.reasons()))
                .put("parent_jti", p.ancestors().isEmpty() ? null : p.ancestors().get(p.ancestors().size() - 1))
                .put("requested_at", p.createdAt().toString())
                .put("expires_at", p.expiresAt().toString())
                .put("four_eyes", p.policy().fourEyes())
                .put("approval_lifetime_seconds", p.lifetimeSeconds());
        if (p.approver() != null) {
            json.put("approver", p.approver()).put("decided_at", p.decidedAt().toString());
        }
        return json;
    }
}
