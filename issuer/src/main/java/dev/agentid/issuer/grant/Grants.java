package dev.agentid.issuer.grant;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.TokenRequest;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The token endpoint's grants, registered by {@code grant_type} ({@code grantTypeHandlers.get(grant_type)}). */
public final class Grants {

    private final Map<String, List<GrantHandler>> byType = new LinkedHashMap<>();
    private final Set<String> parameters;

    public Grants(List<GrantHandler> handlers) {
        Set<String> all = new LinkedHashSet<>();
        all.add("grant_type");
        for (GrantHandler handler : handlers) {
            byType.computeIfAbsent(handler.grantType(), t -> new ArrayList<>()).add(handler);
            all.addAll(handler.parameters());
        }
        parameters = Set.copyOf(all);   // built once: the token endpoint asks on every request
    }

    /** Every parameter some grant accepts; anything else is refused (T12). */
    public Set<String> parameters() {
        return parameters;
    }

    /** The grant types offered, in registration order (RFC 8414 {@code grant_types_supported}). */
    public List<GrantType> types() {
        List<GrantType> types = new ArrayList<>();
        byType.forEach((type, handlers) -> {
            if (handlers.get(0).offered()) {
                types.add(new GrantType(type));
            }
        });
        return types;
    }

    /** The handlers of a grant type; T05 without one, T06 for one that is not offered. */
    public List<GrantHandler> forType(String grantType) {
        if (grantType == null) {
            throw OAuthException.invalidRequest("missing grant_type");
        }
        List<GrantHandler> handlers = byType.get(grantType);
        if (handlers == null || !handlers.get(0).offered()) {
            throw OAuthException.unsupportedGrantType("grant_type '" + grantType + "' is not supported");
        }
        return handlers;
    }

    /** Hands the request to the handler of its grant type that accepts it. */
    public static Future<JsonObject> dispatch(List<GrantHandler> handlers, GrantRequest request) {
        if (handlers.size() == 1) {
            return handlers.get(0).handle(request);
        }
        TokenRequest parsed = request.request();
        for (GrantHandler handler : handlers) {
            if (handler.accepts(parsed)) {
                return handler.handle(request);
            }
        }
        throw new IllegalStateException("no handler accepts the " + handlers.get(0).grantType() + " request");
    }
}
