package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.id.Subject;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.client.AuthenticatedClient;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.client.ClientAuthenticator.Endpoint;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * RFC 7662 introspection: active tokens return their claims (with the nested act) to the callers that
 * {@link IntrospectionAccess} lets see them; all else {"active":false}.
 */
final class IntrospectionEndpoint {

    private static final JsonObject INACTIVE = new JsonObject().put("active", false);

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final TokenService tokens;
    private final TokenLiveness liveness;
    private final IntrospectionAccess access;
    private final AuditLog audit;

    IntrospectionEndpoint(URI endpoint, ClientAuthenticator clients, TokenService tokens, TokenLiveness liveness,
                          IntrospectionAccess access, AuditLog audit) {
        this.access = access;
        this.audit = audit;
        this.endpoint = endpoint;
        this.clients = clients;
        this.tokens = tokens;
        this.liveness = liveness;
    }

    void handle(RoutingContext ctx) {
        try {
            Forms.requirePost(ctx, "introspection endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, Forms.TOKEN_PARAMETERS);
            TokenIntrospectionRequest request = parse(ctx, params);
            clients.authenticate(ClientAuthenticationStep.presented(ctx, request.getClientAuthentication()),
                            Endpoint.INTROSPECTION)
                    .compose(caller -> introspect(caller, request.getToken().getValue()))
                    .onSuccess(body -> Responses.json(ctx, 200, body))
                    .onFailure(t -> {
                        Refusals.record(audit, "introspection", t);
                        Responses.failure(ctx, t);
                    });
        } catch (RuntimeException e) {
            Refusals.record(audit, "introspection", e);
            Responses.failure(ctx, e);
        }
    }

    private TokenIntrospectionRequest parse(RoutingContext ctx, Map<String, List<String>> params) {
        try {
            return TokenIntrospectionRequest.parse(ClientAuthenticationStep.toNimbus(ctx, endpoint, params));
        } catch (ParseException e) {
            throw ClientAuthenticationStep.unparsable(ctx, endpoint, clients, params, e);
        } catch (IllegalArgumentException e) {   // the SDK's own error for a parameter it cannot even quote
            throw OAuthException.invalidRequest(Forms.MALFORMED_PARAMETER);
        }
    }

    private Future<JsonObject> introspect(AuthenticatedClient caller, String token) {
        VerifiedAgentToken verified;
        try {
            verified = tokens.verifySubjectToken(token);
        } catch (RuntimeException invalid) {
            return Future.succeededFuture(INACTIVE);
        }
        if (!access.maySee(caller, verified)) {   // RFC 7662 section 4: the same answer as for an invalid token
            return Future.succeededFuture(INACTIVE);
        }
        return liveness.check(verified).map(verdict -> verdict.active() ? active(verified) : INACTIVE);
    }

    private static JsonObject active(VerifiedAgentToken t) {
        TokenIntrospectionSuccessResponse response = new TokenIntrospectionSuccessResponse.Builder(true)
                .issuer(new Issuer(t.issuer()))
                .subject(new Subject(t.principal()))
                .audience(Audience.create(t.audience()))
                .expirationTime(Date.from(t.expiresAt()))
                .issueTime(Date.from(t.issuedAt()))
                .jwtID(new JWTID(t.jwtId()))
                .clientID(new ClientID(t.clientId()))
                .scope(new Scope(t.scopes().toArray(new String[0])))
                .tokenType(AccessTokenType.BEARER)
                .parameter(DelegationChain.ACT, t.chain().toActClaim())
                .build();
        JsonObject json = new JsonObject(response.toJSONObject());
        // RFC 9449 section 6.2 / RFC 8705 section 3.2: the binding, for resource servers that introspect
        Object cnf = t.claims().getClaim("cnf");
        if (cnf instanceof Map) {
            @SuppressWarnings("unchecked")
            JsonObject confirmation = new JsonObject((Map<String, Object>) cnf);
            json.put("cnf", confirmation);
            if (confirmation.containsKey(SenderBinding.JKT)) {
                json.put("token_type", "DPoP");
            }
        }
        return json;
    }
}
