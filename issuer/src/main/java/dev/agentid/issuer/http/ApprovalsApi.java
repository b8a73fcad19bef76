package dev.agentid.issuer.http;

import dev.agentid.issuer.approval.Approvals;
import dev.agentid.issuer.approval.Approvals.Approver;
import dev.agentid.issuer.approval.Pending;
import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.console.ConsoleSession;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.idp.HumanToken;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * The approvers' side of human approval (profile section 6.13, docs/APPROVALS.md):
 * {@code GET /admin/approvals} (the pending requests, each with its whole chain, principal, scopes and authorization
 * details), {@code GET /admin/approvals/{id}}, {@code POST /admin/approvals/{id}/approve} and {@code .../deny}.
 *
 * <p>Who acts: an approver presents an id_token of a trusted OpenID Provider, verified as the issuer verifies humans'
 * tokens ({@link HumanPrincipals}), as {@code Authorization: Bearer <id_token>} or as {@code approver_token} in the JSON
 * body; the admin bearer token alone acts as break-glass and is recorded as such. An approver sees only the requests
 * it may decide.
 */
final class ApprovalsApi {

    static final String PATH = "/admin/approvals";
    static final String APPROVER_TOKEN = "approver_token";
    static final String REASON = "reason";
    private static final int MAX_REASON = 512;
    private static final Set<String> DECISION_FIELDS = Set.of(APPROVER_TOKEN, REASON);

    private final AdminToken admin;
    private final Approvals approvals;
    private final HumanPrincipals humans;

    ApprovalsApi(AdminToken admin, Approvals approvals, HumanPrincipals humans) {
        this.admin = admin;
        this.approvals = approvals;
        this.humans = humans;
    }

    void list(RoutingContext ctx) {
        try {
            approver(ctx, null).compose(approvals::pending).onSuccess(pending -> {
                JsonArray items = new JsonArray();
                pending.forEach(p -> items.add(Approvals.view(p)));
                Responses.json(ctx, 200, new JsonObject().put("approvals", items));
            }).onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void get(RoutingContext ctx) {
        try {
            String id = ctx.pathParam("id");
            approver(ctx, null).compose(who -> approvals.find(id).map(p -> {
                        if (!Approvals.visibleTo(p, who)) {   // answered as unknown: ids are not disclosed
                            throw OAuthException.notFound("no approval request '" + id + "'");
                        }
                        return p;
                    }))
                    .onSuccess(p -> Responses.json(ctx, 200, Approvals.view(p)))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    void approve(RoutingContext ctx) {
        decide(ctx, true);
    }

    void deny(RoutingContext ctx) {
        decide(ctx, false);
    }

    private void decide(RoutingContext ctx, boolean approve) {
        try {
            JsonObject body = AdminApi.optionalJson(ctx);
            for (String name : body.fieldNames()) {
                if (!DECISION_FIELDS.contains(name)) {
                    throw OAuthException.badField(name, "unknown field '" + name + "'");
                }
            }
            Object token = body.getValue(APPROVER_TOKEN);
            if (token != null && !(token instanceof String)) {
                throw OAuthException.badField(APPROVER_TOKEN, APPROVER_TOKEN + " must be a string");
            }
            Object reason = body.getValue(REASON);
            if (reason != null && (!(reason instanceof String text) || text.isBlank() || text.length() > MAX_REASON
                    || text.chars().anyMatch(Character::isISOControl))) {
                throw OAuthException.badField(REASON, REASON + " must be a printable string of at most " + MAX_REASON
                        + " characters");
            }
            approver(ctx, (String) token).compose(who -> approvals.decide(ctx.pathParam("id"), approve, who,
                            (String) reason))
                    .onSuccess((Pending p) -> Responses.json(ctx, 200, Approvals.view(p)))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    /**
     * The approver: the id_token in the body or as the bearer token (verified off the event loop: the IdP's keys may
     * have to be fetched), else the admin token as break-glass, else 401.
     */
    private Future<Approver> approver(RoutingContext ctx, String bodyToken) {
        Approver console = ctx.get(ConsoleSession.APPROVER);
        if (console != null) {   // the web console's signed-in human (or its break-glass session)
            return Future.succeededFuture(console);
        }
        SocketAddress remote = ctx.request().remoteAddress();
        if (bodyToken != null) {
            return humanApprover(bodyToken, null, remote);
        }
        String bearer = AdminToken.bearer(ctx.request().getHeader("Authorization"));
        AdminToken.Outcome outcome = admin.judge(bearer, remote);
        if (outcome == AdminToken.Outcome.ADMIN) {
            return Future.succeededFuture(Approver.BREAK_GLASS);
        }
        if (bearer != null && !bearer.isEmpty()) {
            return humanApprover(bearer, outcome, remote);
        }
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"approvals\"");
        return Future.failedFuture(new OAuthException("invalid_token", 401,
                "an approver's id_token or the admin bearer token is required", null));
    }

    /**
     * The human whose id_token this is. {@code asAdmin} is what the same value came to as the admin token (null when
     * it came in the body, where only an id_token goes): a bearer token that is neither was a wrong admin token
     * (counted, R03), and from a locked-out address it is answered as the lockout.
     */
    private Future<Approver> humanApprover(String idToken, AdminToken.Outcome asAdmin, SocketAddress remote) {
        return humans.verifyOffLoop(idToken, HumanToken.Kind.ID_TOKEN)
                .map(human -> new Approver(human.principal(), human.groups(), false))
                .recover(t -> {
                    if (asAdmin == AdminToken.Outcome.NOT_ADMIN) {
                        admin.failed(remote);   // even when the IdP is unavailable: the value was no admin token
                    }
                    if (t instanceof OAuthException e && e.status() == 503) {
                        return Future.failedFuture(e);
                    }
                    if (asAdmin == AdminToken.Outcome.LOCKED_OUT) {
                        return Future.failedFuture(admin.lockedOut(remote));
                    }
                    return Future.failedFuture(new OAuthException("invalid_token", 401, "the approver's token is"
                            + " not a valid id_token of a trusted identity provider", t.getMessage()));
                });
    }
}
