package dev.agentid.verifier.vertx;

import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import io.vertx.ext.web.handler.SimpleAuthenticationHandler;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A Vert.x Web {@link AuthenticationHandler} for resource servers that accept agent tokens: it reads the RFC 6750
 * bearer token, verifies it with an {@link AgentTokenVerifier} (off the event loop: a key or status-list fetch may
 * block), and either sets the route's user or answers the RFC 6750 section 3 error itself:
 * <ul>
 *   <li>no or malformed {@code Authorization}: 401 with {@code WWW-Authenticate: Bearer realm="..."};</li>
 *   <li>a token the verifier refuses: 401 {@code error="invalid_token"} with the stable {@link Reason} code as the
 *       description;</li>
 *   <li>a token without every required scope: 403 {@code error="insufficient_scope"};</li>
 *   <li>keys or status lists that cannot be fetched: 503, because "could not decide" is not "invalid".</li>
 * </ul>
 * On success {@code ctx.user()} has the principal ({@code sub}), {@code client_id}, {@code scope} and the
 * {@code act} chain, and {@link #token(RoutingContext)} returns the {@link VerifiedAgentToken}.
 *
 * <p>Vert.x Web is a {@code provided} dependency of verifier-lib: only resource servers that use this class
 * need it on their class path.
 */
public final class AgentTokenAuthHandler implements AuthenticationHandler {

    /** The key under which the verified token is kept in the routing context. */
    public static final String TOKEN_KEY = AgentTokenAuthHandler.class.getName() + ".token";

    private final Vertx vertx;
    private final AgentTokenVerifier verifier;
    private final String realm;
    private final Set<String> requiredScopes;
    private final SimpleAuthenticationHandler setUser;

    private AgentTokenAuthHandler(Vertx vertx, AgentTokenVerifier verifier, String realm, Set<String> requiredScopes) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.realm = Objects.requireNonNull(realm, "realm");
        this.requiredScopes = Set.copyOf(requiredScopes);
        // Vert.x's public way to set the route's user: the verification below has already happened
        this.setUser = SimpleAuthenticationHandler.create()
                .authenticate(ctx -> Future.succeededFuture(user(ctx.get(TOKEN_KEY))));
    }

    /** A handler that accepts any token the verifier accepts. */
    public static AgentTokenAuthHandler create(Vertx vertx, AgentTokenVerifier verifier, String realm) {
        return new AgentTokenAuthHandler(vertx, verifier, realm, Set.of());
    }

    /** This handler, also requiring every one of {@code scopes} (403 {@code insufficient_scope} otherwise). */
    public AgentTokenAuthHandler requireScopes(String... scopes) {
        return new AgentTokenAuthHandler(vertx, verifier, realm, Set.of(scopes));
    }

    /** The token this handler verified for the request, or null. */
    public static VerifiedAgentToken token(RoutingContext ctx) {
        return ctx.get(TOKEN_KEY);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String token = bearer(ctx.request().getHeader("Authorization"));
        if (token == null) {
            ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"" + realm + "\"")
                    .putHeader("Cache-Control", "no-store").end();
            return;
        }
        ctx.request().pause();
        vertx.<VerifiedAgentToken>executeBlocking(() -> verifier.verify(token), false).onComplete(done -> {
            ctx.request().resume();
            if (done.succeeded()) {
                accept(ctx, done.result());
            } else if (done.cause() instanceof TokenVerificationException e
                    && e.reason().family() == Reason.Family.INVALID_TOKEN) {
                refuse(ctx, 401, "invalid_token", e.reason().name());
            } else {
                ctx.response().putHeader("Retry-After", "5");
                refuse(ctx, 503, "temporarily_unavailable", "the token could not be checked now");
            }
        });
    }

    private void accept(RoutingContext ctx, VerifiedAgentToken verified) {
        if (!verified.scopes().containsAll(requiredScopes)) {
            refuse(ctx, 403, "insufficient_scope", "requires " + String.join(" ", requiredScopes.stream().sorted()
                    .toList()));
            return;
        }
        ctx.put(TOKEN_KEY, verified);
        setUser.handle(ctx);
    }

    private void refuse(RoutingContext ctx, int status, String error, String description) {
        String challenge = "Bearer realm=\"" + realm + "\", error=\"" + error + "\", error_description=\""
                + description + "\"" + (status == 403 ? ", scope=\"" + String.join(" ", requiredScopes) + "\"" : "");
        ctx.response().setStatusCode(status).putHeader("WWW-Authenticate", status == 503 ? "Bearer realm=\"" + realm
                        + "\"" : challenge)
                .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("error", error).put("error_description", description).encode());
    }

    /** The value of an RFC 6750 section 2.1 {@code Authorization: Bearer} header, or null. */
    static String bearer(String header) {
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = header.substring(7).trim();
        return token.isEmpty() || token.indexOf(' ') >= 0 ? null : token;
    }

    private static User user(VerifiedAgentToken token) {
        JsonArray act = new JsonArray();
        List<Actor> actors = token.chain().actors();
        for (Actor actor : actors) {
            act.add(new JsonObject().put("sub", actor.subject()).put("iss", actor.issuer()));
        }
        JsonObject principal = new JsonObject().put("sub", token.principal()).put("iss", token.issuer())
                .put("client_id", token.clientId()).put("scope", String.join(" ", token.scopes()))
                .put("jti", token.jwtId()).put("act", act);
        return User.create(principal);
    }
}
