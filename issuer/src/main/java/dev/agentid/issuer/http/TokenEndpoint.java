package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.OAuthException;
import dev.agentid.issuer.service.ClientAuthenticator;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token endpoint, read top to bottom: POST only -> form checks -> grant type -> client
 * authentication -> Nimbus {@link TokenRequest#parse} -> grant handler -> {@link TokenService}.
 * The handlers only translate wire to typed request and typed result to the RFC 8693 §2.2.1 response.
 */
final class TokenEndpoint {

    /** The parameters of the grants this endpoint completes; anything else is refused (T12). */
    static final Set<String> PARAMETERS = Set.of("grant_type", "scope", "audience", "resource", "subject_token",
            "subject_token_type", "actor_token", "actor_token_type", "requested_token_type");

    static final Set<TokenTypeURI> ACCEPTED_TOKEN_TYPES = Set.of(TokenTypeURI.ACCESS_TOKEN, TokenTypeURI.JWT);

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final TokenService tokens;

    TokenEndpoint(URI endpoint, ClientAuthenticator clients, TokenService tokens) {
        this.endpoint = endpoint;
        this.clients = clients;
        this.tokens = tokens;
    }

    void handle(RoutingContext ctx) {
        try {
            Forms.requirePost(ctx, "token endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, PARAMETERS);
            GrantType grantType = grantType(Forms.single(params, "grant_type"));
            if (GrantType.TOKEN_EXCHANGE.equals(grantType)
                    && (Forms.single(params, "actor_token") == null) != (Forms.single(params, "actor_token_type") == null)) {
                throw OAuthException.invalidRequest("actor_token and actor_token_type must be given together");
            }
            ClientAuthentication auth = parseClientAuthentication(ctx);
            clients.authenticate(auth)
                    .compose(agent -> {
                        TokenRequest request = parse(ctx);
                        if (GrantType.CLIENT_CREDENTIALS.equals(grantType)) {
                            return tokens.clientCredentials(Presenter.bearer(agent), scope(request),
                                    audiences(request, null));
                        }
                        return exchange(agent, request);
                    })
                    .onSuccess(issued -> Responses.json(ctx, 200, tokenResponse(issued)))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    /** T05–T06. */
    private static GrantType grantType(String value) {
        if (value == null) {
            throw OAuthException.invalidRequest("missing grant_type");
        }
        if (!value.equals(GrantType.CLIENT_CREDENTIALS.getValue()) && !value.equals(GrantType.TOKEN_EXCHANGE.getValue())) {
            throw OAuthException.unsupportedGrantType("grant_type '" + value + "' is not supported");
        }
        return new GrantType(value);
    }

    /** T07–T08: client authentication is parsed before the grant, so that its errors come first. */
    private ClientAuthentication parseClientAuthentication(RoutingContext ctx) {
        try {
            return ClientAuthentication.parse(Forms.toNimbus(ctx, endpoint));
        } catch (ParseException e) {
            throw OAuthException.invalidClient("client authentication failed", e.getMessage());
        }
    }

    private TokenRequest parse(RoutingContext ctx) {
        try {
            return TokenRequest.parse(Forms.toNimbus(ctx, endpoint));
        } catch (ParseException e) {
            throw Forms.fromParse(e);
        } catch (IllegalArgumentException e) {   // the SDK refuses some combinations with IAE
            throw OAuthException.invalidRequest(e.getMessage());
        }
    }

    private Future<TokenService.Issued> exchange(dev.agentid.issuer.store.AgentRecord client, TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        if (!ACCEPTED_TOKEN_TYPES.contains(grant.getSubjectTokenType())) {
            throw OAuthException.invalidRequest("unsupported subject_token_type: use "
                    + TokenTypeURI.ACCESS_TOKEN + " or " + TokenTypeURI.JWT);
        }
        if (grant.getRequestedTokenType() != null && !ACCEPTED_TOKEN_TYPES.contains(grant.getRequestedTokenType())) {
            throw OAuthException.invalidRequest("unsupported requested_token_type");
        }
        String actorToken = grant.getActorToken() == null ? null : grant.getActorToken().getValue();
        return tokens.exchange(Presenter.bearer(client), grant.getSubjectToken().getValue(), actorToken, scope(request),
                audiences(request, grant.getAudience()));
    }

    private static List<String> scope(TokenRequest request) {
        Scope scope = request.getScope();
        return scope == null ? null : scope.toStringList();
    }

    /** `audience` (RFC 8693) and `resource` (RFC 8707) both name the target; duplicates collapse. */
    private static List<String> audiences(TokenRequest request, List<Audience> grantAudience) {
        List<String> targets = new ArrayList<>(1);
        if (grantAudience != null) {
            grantAudience.forEach(a -> addOnce(targets, a.getValue()));
        } else {
            List<String> custom = request.getCustomParameter("audience");
            if (custom != null) {
                custom.forEach(a -> addOnce(targets, a));
            }
        }
        if (request.getResources() != null) {
            request.getResources().forEach(r -> addOnce(targets, r.toString()));
        }
        return targets;
    }

    private static void addOnce(List<String> list, String value) {
        if (value != null && !value.isEmpty() && !list.contains(value)) {
            list.add(value);
        }
    }

    private static JsonObject tokenResponse(TokenService.Issued issued) {
        return new JsonObject()
                .put("access_token", issued.accessToken())
                .put("issued_token_type", TokenTypeURI.ACCESS_TOKEN.getURI().toString())
                .put("token_type", "Bearer")
                .put("expires_in", issued.expiresIn())
                .put("scope", String.join(" ", issued.scopes()));
    }
}
