package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.domain.AuthorizationDetails;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.service.TokenService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RFC 8693 token exchange of one of this issuer's agent tokens (X01–X23): the client becomes the new current actor.
 * Registered last among the token-exchange handlers: it takes every exchange the others do not.
 */
public final class AgentTokenExchange implements GrantHandler {

    /** Every token exchange accepts these. */
    static final Set<String> PARAMETERS = Set.of("scope", "audience", "resource", "subject_token",
            "subject_token_type", "actor_token", "actor_token_type", "requested_token_type",
            AuthorizationDetails.CLAIM);
    static final Set<TokenTypeURI> ACCEPTED_TOKEN_TYPES = Set.of(TokenTypeURI.ACCESS_TOKEN, TokenTypeURI.JWT);

    private final TokenService tokens;

    public AgentTokenExchange(TokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    public String grantType() {
        return GrantType.TOKEN_EXCHANGE.getValue();
    }

    @Override
    public Set<String> parameters() {
        return PARAMETERS;
    }

    /** X22, for every token exchange (the endpoint runs the form checks of each handler of the grant type). */
    @Override
    public void checkForm(Map<String, List<String>> params) {
        if ((single(params, "actor_token") == null) != (single(params, "actor_token_type") == null)) {
            throw OAuthException.invalidRequest("actor_token and actor_token_type must be given together");
        }
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        TokenRequest request = g.request();
        TokenExchangeGrant grant = requireTokenTypes(request);
        return tokens.exchange(g.presenter(), grant.getSubjectToken().getValue(), actorToken(grant),
                        Wire.scope(request), Wire.audiences(request, grant.getAudience()), Wire.details(request))
                .map(issued -> Wire.accessToken(issued, g.presenter()));
    }

    /** X02, X03: the token types an exchange of this issuer completes. */
    static TokenExchangeGrant requireTokenTypes(TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        boolean idToken = TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType());
        if (!idToken && !ACCEPTED_TOKEN_TYPES.contains(grant.getSubjectTokenType())) {
            throw OAuthException.invalidRequest("unsupported subject_token_type: use " + TokenTypeURI.ACCESS_TOKEN
                    + ", " + TokenTypeURI.JWT + " or " + TokenTypeURI.ID_TOKEN);
        }
        if (grant.getRequestedTokenType() != null && !ACCEPTED_TOKEN_TYPES.contains(grant.getRequestedTokenType())) {
            throw OAuthException.invalidRequest("unsupported requested_token_type");
        }
        return grant;
    }

    static String actorToken(TokenExchangeGrant grant) {
        return grant.getActorToken() == null ? null : grant.getActorToken().getValue();
    }
}
