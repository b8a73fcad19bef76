package dev.agentid.issuer.console;

import dev.agentid.issuer.approval.Approvals;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.idp.HumanToken;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The web console at {@code /console} (docs/CONSOLE.md): static pages (HTML, ES modules, CSS from the issuer's
 * resources, no build step), sign-in (the trusted OpenID Provider, or the admin token as break-glass), server-side
 * sessions, and the JSON calls under {@code /console/api} that the pages make. Every state-changing call needs the
 * session's CSRF token in {@link ConsoleSession#CSRF_HEADER} and this issuer's {@code Origin}. The calls that the
 * admin API also offers (kill, restore, approvals, alerts, audit) run the admin API's own handlers, given here as
 * {@link Reused}, with the signed-in human as the actor.
 */
public final class Console {

    public static final String PATH = "/console";
    public static final String API = PATH + "/api";
    static final String SESSION_COOKIE = "agentid_console";
    static final String SIGN_IN_COOKIE = "agentid_console_sign_in";
    static final String CALLBACK_PATH = PATH + "/callback";
    /** No inline script or style anywhere: scripts, styles and connections to this origin only. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final int MAX_BODY_BYTES = 16 * 1024;
    private static final Logger LOG = Logger.getLogger(Console.class.getName());

    /** The admin API's handlers that the console runs as they are. */
    public record Reused(Handler<RoutingContext> kill, Handler<RoutingContext> restore,
                         Handler<RoutingContext> approvals, Handler<RoutingContext> approve,
                         Handler<RoutingContext> deny, Handler<RoutingContext> alerts,
                         Handler<RoutingContext> audit) {
    }

    private final Vertx vertx;
    private final Clock clock;
    private final String origin;
    private final boolean secureCookies;
    private final AdminToken adminToken;
    private final AuditLog audit;
    private final ConsoleSettings settings;
    private final ConsoleSessions sessions;
    private final ConsoleSignIn signIn;
    private final ConsoleViews views;

    public Console(Vertx vertx, Clock clock, String issuer, AdminToken adminToken, AuditLog audit,
                   HumanPrincipals humans, ConsoleSettings settings, ConsoleViews views) {
        this.vertx = vertx;
        this.clock = clock;
        URI uri = URI.create(issuer);
        this.origin = uri.getScheme() + "://" + uri.getRawAuthority();
        this.secureCookies = "https".equalsIgnoreCase(uri.getScheme());
        this.adminToken = adminToken;
        this.audit = audit;
        this.settings = settings;
        this.sessions = new ConsoleSessions(clock, settings.idle(), settings.absolute());
        this.signIn = settings.signInConfigured() ? new ConsoleSignIn(settings, humans,
                URI.create(trimSlash(issuer) + CALLBACK_PATH)) : null;
        this.views = views;
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    public ConsoleSessions sessions() {
        return sessions;
    }

    /** Registers the console's routes; before the router's last-resort steps. */
    public void mount(Router router, Reused reused) {
        Handler<RoutingContext> body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        router.get(PATH).handler(this::headers).handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                ctx.next();
                return;
            }
            ctx.response().setStatusCode(302).putHeader("Location", PATH + "/").end();
        });
        router.route(PATH + "/*").handler(this::headers);
        router.get(API + "/config").handler(this::config);
        router.get(PATH + "/login").handler(this::startSignIn);
        router.get(CALLBACK_PATH).handler(this::callback);
        router.post(PATH + "/login/break-glass").handler(body).handler(this::requireOrigin).handler(this::breakGlass);

        router.route(API + "/*").handler(body).handler(this::requireSession).handler(this::requireCsrf);
        router.get(API + "/session").handler(this::session);
        router.post(API + "/logout").handler(this::logout);
        router.get(API + "/agents").handler(views::inventory);
        router.get(API + "/agents/:id").handler(views::agent);
        router.post(API + "/agents/:id/kill").handler(requires(Role.OPERATOR)).handler(reused.kill());
        router.post(API + "/agents/:id/restore").handler(requires(Role.OPERATOR)).handler(reused.restore());
        router.get(API + "/approvals").handler(reused.approvals());
        router.post(API + "/approvals/:id/approve").handler(requires(Role.APPROVER)).handler(reused.approve());
        router.post(API + "/approvals/:id/deny").handler(requires(Role.APPROVER)).handler(reused.deny());
        router.get(API + "/alerts").handler(reused.alerts());
        router.get(API + "/audit").handler(reused.audit());
        router.get(API + "/graph").handler(views::graph);
        router.get(API + "/cluster").handler(views::cluster);
        router.route(API + "/*").handler(ctx -> error(ctx, new OAuthException("not_found", 404,
                "no such console endpoint", null)));

        router.route(PATH + "/*").handler(StaticHandler.create("console").setIndexPage("index.html")
                .setCachingEnabled(false).setIncludeHidden(false).setDirectoryListing(false));
    }

    /** Every console response: its content policy, never framed, never sniffed, never cached by a proxy. */
    void headers(RoutingContext ctx) {
        ctx.response().putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Cache-Control", "no-store");
        ctx.next();
    }

    private void config(RoutingContext ctx) {
        json(ctx, 200, new JsonObject().put("sign_in", settings.signInConfigured())
                .put("idp", settings.idp()).put("break_glass", true));
    }

    // ---- sign-in --------------------------------------------------------------------------------------------------

    private void startSignIn(RoutingContext ctx) {
        try {
            if (signIn == null) {
                throw new OAuthException("not_found", 404, "sign-in through an identity provider is not configured"
                        + " (the trust file has no console.idp): use break-glass", null);
            }
            String hint = ctx.queryParams().get("login_hint");
            if (hint != null && (hint.length() > 256 || hint.chars().anyMatch(Character::isISOControl))) {
                throw OAuthException.badField("login_hint", "login_hint must be printable, at most 256 characters");
            }
            ConsoleSessions.SignIn started = sessions.startSignIn(new com.nimbusds.oauth2.sdk.pkce.CodeVerifier()
                    .getValue());
            URI redirect = signIn.authorizationRequest(started, hint);
            ctx.response().addCookie(Cookie.cookie(SIGN_IN_COOKIE, started.browser()).setPath(CALLBACK_PATH)
                    .setHttpOnly(true).setSecure(secureCookies).setSameSite(CookieSameSite.LAX)
                    .setMaxAge(ConsoleSessions.SIGN_IN_LIFETIME.toSeconds()));
            ctx.response().setStatusCode(302).putHeader("Location", redirect.toString()).end();
        } catch (OAuthException e) {
            if (e.status() == 404) {
                error(ctx, e);
            } else {   // a browser navigated here: back to the sign-in page, which says why
                signInFailed(ctx, e.error(), e.description());
            }
        } catch (IllegalStateException e) {
            signInFailed(ctx, "temporarily_unavailable", "too many sign-ins in progress");
        }
    }

    private void callback(RoutingContext ctx) {
        if (signIn == null) {
            error(ctx, new OAuthException("not_found", 404, "sign-in through an identity provider is not configured",
                    null));
            return;
        }
        String query = ctx.request().query();
        URI callback = URI.create(origin + CALLBACK_PATH + (query == null ? "" : "?" + query));
        ConsoleSessions.SignIn started = sessions.takeSignIn(ConsoleSignIn.state(callback));
        Cookie browser = ctx.request().getCookie(SIGN_IN_COOKIE);
        ctx.response().addCookie(Cookie.cookie(SIGN_IN_COOKIE, "").setPath(CALLBACK_PATH).setMaxAge(0)
                .setHttpOnly(true).setSecure(secureCookies).setSameSite(CookieSameSite.LAX));
        if (started == null || browser == null || !equal(browser.getValue(), started.browser())) {
            signInFailed(ctx, "invalid_state", "unknown or expired sign-in state");
            return;
        }
        vertx.executeBlocking(() -> signIn.complete(callback, started), false).onSuccess(human -> {
            EnumSet<Role> roles = EnumSet.noneOf(Role.class);
            roles.addAll(settings.rolesOf(human.principal(), human.groups()));
            if (roles.isEmpty()) {
                LOG.info(() -> "console: " + human.principal() + " signed in at the identity provider but holds no"
                        + " console role");
                signInFailed(ctx, "no_role", human.principal() + " holds no console role");
                return;
            }
            start(ctx, human.principal(), human.groups(), roles, false, human);
            ctx.response().setStatusCode(302).putHeader("Location", PATH + "/").end();
        }).onFailure(t -> {
            OAuthException e = t instanceof OAuthException o ? o : new OAuthException("server_error", 500,
                    "the sign-in failed", t.toString());
            LOG.info(() -> "console: sign-in refused: " + e.description());
            signInFailed(ctx, e.error(), e.description());
        });
    }

    /** Back to the sign-in page, which shows what went wrong. */
    private void signInFailed(RoutingContext ctx, String error, String description) {
        ctx.response().setStatusCode(302).putHeader("Location", PATH + "/?sign_in_error="
                + java.net.URLEncoder.encode(error, StandardCharsets.UTF_8) + "&sign_in_error_description="
                + java.net.URLEncoder.encode(description, StandardCharsets.UTF_8)).end();
    }

    private void breakGlass(RoutingContext ctx) {
        JsonObject body;
        try {
            body = ctx.body().asJsonObject();
        } catch (RuntimeException e) {
            body = null;
        }
        Object token = body == null ? null : body.getValue("admin_token");
        AdminToken.Outcome outcome = adminToken.present(token instanceof String text ? text : null,
                ctx.request().remoteAddress());
        if (outcome == AdminToken.Outcome.LOCKED_OUT) {   // R03
            ctx.response().putHeader("Retry-After", adminToken.retryAfterSeconds(ctx.request().remoteAddress()));
            error(ctx, AdminToken.lockout());
            return;
        }
        if (outcome != AdminToken.Outcome.ADMIN) {
            error(ctx, new OAuthException("invalid_token", 401, "that is not the admin token", null));
            return;
        }
        start(ctx, ConsoleSession.BREAK_GLASS_ACTOR, List.of(), EnumSet.allOf(Role.class), true, null);
        json(ctx, 200, new JsonObject().put("signed_in", true));
    }

    /** Creates the session, audits the sign-in, sets the cookie. */
    private void start(RoutingContext ctx, String actor, List<String> groups, EnumSet<Role> roles, boolean breakGlass,
                       HumanToken human) {
        ConsoleSession session = sessions.create(actor, groups, roles, breakGlass);
        views.warm();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("by", actor);
        fields.put("method", breakGlass ? "break_glass" : "oidc");
        fields.put("roles", roles.stream().map(Role::wire).toList());
        fields.put("idp", human == null ? null : human.provider().issuer());
        audit.record(new AuditEvent.ConsoleAccess(AuditEvent.CONSOLE_SIGNED_IN, fields));
        LOG.info(() -> "console: " + actor + " signed in" + (breakGlass ? " with the admin token (break-glass)" : "")
                + " as " + fields.get("roles"));
        ctx.response().addCookie(Cookie.cookie(SESSION_COOKIE, session.id()).setPath(PATH).setHttpOnly(true)
                .setSecure(secureCookies).setSameSite(CookieSameSite.STRICT)
                .setMaxAge(settings.absolute().toSeconds()));
    }

    // ---- the steps of /console/api ---------------------------------------------------------------------------------

    void requireSession(RoutingContext ctx) {
        Cookie cookie = ctx.request().getCookie(SESSION_COOKIE);
        ConsoleSession session = sessions.find(cookie == null ? null : cookie.getValue());
        if (session == null) {
            error(ctx, new OAuthException("login_required", 401, "sign in to the console first (no session, or it"
                    + " expired)", null));
            return;
        }
        ctx.put(ConsoleSession.class.getName(), session);
        ctx.put(ConsoleSession.ACTOR, session.actor());
        ctx.put(ConsoleSession.APPROVER, session.breakGlass() ? Approvals.Approver.BREAK_GLASS
                : new Approvals.Approver(session.actor(), session.groups(), false));
        ctx.next();
    }

    /** State-changing calls: this issuer's Origin, and the session's CSRF token (compared in constant time). */
    void requireCsrf(RoutingContext ctx) {
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET
                || ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
            ctx.next();
            return;
        }
        if (!origin.equals(ctx.request().getHeader("Origin"))) {
            error(ctx, new OAuthException("invalid_origin", 403, "the request's Origin is not this console", null));
            return;
        }
        ConsoleSession session = ctx.get(ConsoleSession.class.getName());
        String presented = ctx.request().getHeader(ConsoleSession.CSRF_HEADER);
        if (presented == null || !equal(presented, session.csrf())) {
            error(ctx, new OAuthException("invalid_csrf_token", 403, "the " + ConsoleSession.CSRF_HEADER
                    + " header is missing or is not this session's", null));
            return;
        }
        ctx.next();
    }

    void requireOrigin(RoutingContext ctx) {
        if (!origin.equals(ctx.request().getHeader("Origin"))) {
            error(ctx, new OAuthException("invalid_origin", 403, "the request's Origin is not this console", null));
            return;
        }
        ctx.next();
    }

    static Handler<RoutingContext> requires(Role role) {
        return ctx -> {
            ConsoleSession session = ctx.get(ConsoleSession.class.getName());
            if (session == null || !session.may(role)) {
                error(ctx, new OAuthException("forbidden", 403, "this needs the " + role.wire() + " role", null));
                return;
            }
            ctx.next();
        };
    }

    private void session(RoutingContext ctx) {
        ConsoleSession session = ctx.get(ConsoleSession.class.getName());
        json(ctx, 200, new JsonObject().put("actor", session.actor()).put("break_glass", session.breakGlass())
                .put("roles", new JsonArray(session.roles().stream().map(Role::wire).sorted().toList()))
                .put("csrf_token", session.csrf())
                .put("created_at", session.createdAt().toString())
                .put("expires_at", sessions.expiresAt(session).toString()));
    }

    private void logout(RoutingContext ctx) {
        ConsoleSession session = ctx.get(ConsoleSession.class.getName());
        sessions.remove(session.id());
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("by", session.actor());
        fields.put("method", session.breakGlass() ? "break_glass" : "oidc");
        audit.record(new AuditEvent.ConsoleAccess(AuditEvent.CONSOLE_SIGNED_OUT, fields));
        ctx.response().addCookie(Cookie.cookie(SESSION_COOKIE, "").setPath(PATH).setMaxAge(0).setHttpOnly(true)
                .setSecure(secureCookies).setSameSite(CookieSameSite.STRICT));
        json(ctx, 200, new JsonObject().put("signed_out", true));
    }

    // ---- responses -------------------------------------------------------------------------------------------------

    private static boolean equal(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(body.toBuffer());
    }

    static void error(RoutingContext ctx, OAuthException e) {
        json(ctx, e.status(), new JsonObject().put("error", e.error()).put("error_description", e.description()));
    }

    /** A failed future: its OAuthException as it is, anything else a generic server_error (the cause logged). */
    static void failure(RoutingContext ctx, Throwable t) {
        if (t instanceof OAuthException e) {
            error(ctx, e);
            return;
        }
        LOG.warning("console: " + ctx.request().path() + " failed: " + t);
        error(ctx, new OAuthException("server_error", 500, "the console could not answer", null));
    }
}
