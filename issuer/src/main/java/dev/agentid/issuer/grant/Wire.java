package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.rar.AuthorizationDetail;
import dev.agentid.issuer.domain.AuthorizationDetails;
import dev.agentid.issuer.domain.OAuthException;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenService;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The wire pieces every grant shares: requested scope and targets, and the access-token response. */
final class Wire {

    private Wire() {
    }

    static List<String> scope(TokenRequest request) {
        Scope scope = request.getScope();
        return scope == null ? null : scope.toStringList();
    }

    /**
     * RFC 9396 {@code authorization_details} as the SDK parsed them (each with a {@code type}); empty without. P05:
     * more than {@value AuthorizationDetails#MAX}.
     */
    static List<Map<String, Object>> details(TokenRequest request) {
        List<AuthorizationDetail> parsed = request.getAuthorizationDetails();
        if (parsed == null || parsed.isEmpty()) {
            return List.of();
        }
        if (parsed.size() > AuthorizationDetails.MAX) {
            throw OAuthException.invalidRequest("authorization_details holds more than " + AuthorizationDetails.MAX
                    + " entries");
        }
        List<Map<String, Object>> details = new ArrayList<>(parsed.size());
        parsed.forEach(d -> details.add(d.toJSONObject()));
        return List.copyOf(details);
    }

    /** `audience` (RFC 8693) and `resource` (RFC 8707) both name the target; duplicates collapse. */
    static List<String> audiences(TokenRequest request, List<Audience> grantAudience) {
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

    /** RFC 8693 section 2.2.1; {@code token_type} DPoP for a DPoP-bound token (RFC 9449 section 5). */
    static JsonObject accessToken(TokenService.Issued issued, Presenter presenter) {
        return new JsonObject()
                .put("access_token", issued.accessToken())
                .put("issued_token_type", TokenTypeURI.ACCESS_TOKEN.getURI().toString())
                .put("token_type", SenderBinding.tokenType(presenter.confirmation()))
                .put("expires_in", issued.expiresIn())
                .put("scope", String.join(" ", issued.scopes()));
    }
}
