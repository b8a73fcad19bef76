package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.federation.FederationService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * Identity chaining, step 1 (F01, F02): a token exchange whose one target is a trusted partner's issuer yields a
 * JWT authorization grant for it (RFC 8693 section 2.2.1 with {@code issued_token_type} jwt and {@code token_type}
 * N_A). Registered first among the token-exchange handlers.
 */
public final class PartnerChainGrant implements GrantHandler {

    private final FederationService federation;

    public PartnerChainGrant(FederationService federation) {
        this.federation = federation;
    }

    @Override
    public String grantType() {
        return GrantType.TOKEN_EXCHANGE.getValue();
    }

    /** The token-exchange parameters, and {@code subject_proof}: the IdP's id_token for a human principal. */
    static final Set<String> PARAMETERS;

    static {
        java.util.Set<String> all = new java.util.HashSet<>(AgentTokenExchange.PARAMETERS);
        all.add(FederationService.SUBJECT_PROOF_PARAMETER);
        PARAMETERS = Set.copyOf(all);
    }

    @Override
    public Set<String> parameters() {
        return PARAMETERS;
    }

    @Override
    public boolean accepts(TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        return !TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType())
                && federation.isPartner(Wire.audiences(request, grant.getAudience()));
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        TokenRequest request = g.request();
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        List<String> targets = Wire.audiences(request, grant.getAudience());
        if (!Wire.details(request).isEmpty()) {   // P06
            throw dev.agentid.issuer.domain.OAuthException.invalidRequest(
                    "authorization_details do not cross to a partner organisation");
        }
        String requested = grant.getRequestedTokenType() == null ? null
                : grant.getRequestedTokenType().getURI().toString();
        return federation.grant(g.presenter(), grant.getSubjectToken().getValue(), AgentTokenExchange.actorToken(grant),
                Wire.scope(request), targets.get(0), requested,
                request.getCustomParameter(FederationService.SUBJECT_PROOF_PARAMETER)).map(issued -> new JsonObject()
                .put("access_token", issued.assertion())
                .put("issued_token_type", FederationService.JWT_TOKEN_TYPE)
                .put("token_type", "N_A")
                .put("expires_in", issued.expiresIn())
                .put("scope", String.join(" ", issued.scopes())));
    }
}
