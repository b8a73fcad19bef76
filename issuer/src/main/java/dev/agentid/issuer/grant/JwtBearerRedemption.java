package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.JWTBearerGrant;
import com.nimbusds.oauth2.sdk.TokenRequest;
import dev.agentid.issuer.federation.FederationService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * Identity chaining, step 2 (F03–F22): RFC 7523 section 2.1 with a partner's grant as the assertion. Offered only
 * with a trust file.
 */
public final class JwtBearerRedemption implements GrantHandler {

    private final FederationService federation;

    public JwtBearerRedemption(FederationService federation) {
        this.federation = federation;
    }

    @Override
    public String grantType() {
        return GrantType.JWT_BEARER.getValue();
    }

    @Override
    public Set<String> parameters() {
        return Set.of("scope", "audience", "resource", "assertion");
    }

    @Override
    public boolean offered() {
        return federation.enabled();
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        FederationService.requireWellFormed(g.single("assertion"));   // F04, before the SDK's own parse error
        TokenRequest request = g.request();
        JWTBearerGrant grant = (JWTBearerGrant) request.getAuthorizationGrant();
        return federation.redeem(g.presenter(), grant.getAssertion(), Wire.scope(request),
                        Wire.audiences(request, null))
                .map(issued -> Wire.accessToken(issued, g.presenter()));
    }
}
