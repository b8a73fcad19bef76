package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.TokenRequest;
import dev.agentid.issuer.service.TokenService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/** {@code client_credentials} (RFC 6749 section 4.4): a token for the agent itself (C01–C04). */
public final class ClientCredentialsGrant implements GrantHandler {

    private final TokenService tokens;

    public ClientCredentialsGrant(TokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    public String grantType() {
        return GrantType.CLIENT_CREDENTIALS.getValue();
    }

    @Override
    public Set<String> parameters() {
        return Set.of("scope", "audience", "resource", dev.agentid.issuer.domain.AuthorizationDetails.CLAIM);
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        TokenRequest request = g.request();
        return tokens.clientCredentials(g.presenter(), Wire.scope(request), Wire.audiences(request, null),
                        Wire.details(request))
                .map(issued -> Wire.accessToken(issued, g.presenter()));
    }
}
