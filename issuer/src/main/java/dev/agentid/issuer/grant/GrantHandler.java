package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.TokenRequest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One grant of the token endpoint (node-oidc-provider's grant modules): it names its {@code grant_type}, declares
 * the form parameters it accepts, translates the typed request to a service call and the result to the RFC 6749
 * section 5.1 / RFC 8693 section 2.2.1 response. Adding a grant is one new handler, registered in {@link Grants}.
 */
public interface GrantHandler {

    /** The {@code grant_type} value this handler completes. */
    String grantType();

    /** The form parameters of this grant (client-authentication parameters are accepted for every grant). */
    Set<String> parameters();

    /** Whether the grant is offered now (jwt-bearer: only with a trust file); its parameters are known anyway. */
    default boolean offered() {
        return true;
    }

    /**
     * When several handlers share a {@code grant_type} (the kinds of token exchange): whether this one takes the
     * parsed request. The first handler, in registration order, that accepts it handles it.
     */
    default boolean accepts(TokenRequest request) {
        return true;
    }

    /**
     * Checks of the raw form that come before client authentication. The endpoint runs them for every handler of
     * the request's {@code grant_type}.
     */
    default void checkForm(Map<String, List<String>> params) {
    }

    /** Completes the grant for the authenticated, bound client. */
    Future<JsonObject> handle(GrantRequest request);
}
