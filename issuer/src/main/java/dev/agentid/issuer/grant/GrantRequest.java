package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.TokenRequest;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.service.Presenter;

import java.util.List;
import java.util.Map;

/**
 * A token request after the endpoint's wire steps: the client as authenticated and bound, the form, and the request as
 * the Nimbus SDK parsed it. A grant that did not parse is refused only when a handler asks for it ({@link #request}),
 * after client authentication, as the refusal table orders it.
 *
 * @param presenter the authenticated client and the new token's binding
 * @param params the form
 * @param parsed the parsed request, or null when it did not parse
 * @param parseError the parse error, or null
 */
public record GrantRequest(Presenter presenter, Map<String, List<String>> params, TokenRequest parsed,
                           OAuthException parseError) {

    /** The parsed request; throws the grant's parse error. */
    public TokenRequest request() {
        if (parseError != null) {
            throw parseError;
        }
        return parsed;
    }

    /** The single value of a form parameter, or null. */
    public String single(String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
