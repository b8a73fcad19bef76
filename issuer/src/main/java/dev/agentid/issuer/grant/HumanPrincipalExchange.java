package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.federation.idp.HumanToken;
import dev.agentid.issuer.federation.idp.HumanExchange;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * Token exchange whose subject token is a human's (H01–H11): an {@code id_token}, or an access token whose
 * {@code iss} is a trusted OpenID Provider (federation/idp). The client becomes the first actor.
 */
public final class HumanPrincipalExchange implements GrantHandler {

    private final HumanExchange humans;

    public HumanPrincipalExchange(HumanExchange humans) {
        this.humans = humans;
    }

    @Override
    public String grantType() {
        return GrantType.TOKEN_EXCHANGE.getValue();
    }

    @Override
    public Set<String> parameters() {
        return AgentTokenExchange.PARAMETERS;
    }

    @Override
    public boolean accepts(TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        return TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType())
                || humans.issuedByIdentityProvider(grant.getSubjectToken().getValue());
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        TokenRequest request = g.request();
        TokenExchangeGrant grant = AgentTokenExchange.requireTokenTypes(request);
        HumanToken.Kind kind = TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType())
                ? HumanToken.Kind.ID_TOKEN : HumanToken.Kind.ACCESS_TOKEN;
        return humans.exchange(g.presenter(), grant.getSubjectToken().getValue(), kind,
                        AgentTokenExchange.actorToken(grant), Wire.scope(request),
                        Wire.audiences(request, grant.getAudience()), Wire.details(request))
                .map(issued -> Wire.accessToken(issued, g.presenter()));
    }
}
