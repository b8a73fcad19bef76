package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.ciba.CIBAGrant;
import dev.agentid.issuer.approval.Approvals;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * OpenID CIBA poll mode at the token endpoint ({@code urn:openid:params:grant-type:ciba}, CIBA sections 10.1 and 11):
 * the client that started a request at the backchannel endpoint polls it with its {@code auth_req_id} until a human
 * approves or denies it (profile section 6.13, rows P08–P13).
 */
public final class CibaGrant implements GrantHandler {

    private final Approvals approvals;

    public CibaGrant(Approvals approvals) {
        this.approvals = approvals;
    }

    @Override
    public String grantType() {
        return CIBAGrant.GRANT_TYPE.getValue();
    }

    @Override
    public Set<String> parameters() {
        return Set.of("auth_req_id");
    }

    @Override
    public Future<JsonObject> handle(GrantRequest g) {
        CIBAGrant grant = (CIBAGrant) g.request().getAuthorizationGrant();
        return approvals.redeem(g.presenter(), grant.getAuthRequestID().getValue())
                .map(issued -> Wire.accessToken(issued, g.presenter()));
    }
}
