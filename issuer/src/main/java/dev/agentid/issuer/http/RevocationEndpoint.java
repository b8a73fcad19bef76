package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.client.AuthenticatedClient;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.client.ClientAuthenticator.Endpoint;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.store.TokenStore;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * RFC 7009 revocation. Revoking a token revokes its whole subtree: descendants are refused because
 * their lineage names it, so nothing here loops over descendants. An agent in the token's chain may
 * revoke it, and so may the admin.
 */
final class RevocationEndpoint {

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final TokenService tokens;
    private final TokenStore store;
    private final String issuer;
    private final AuditLog audit;

    RevocationEndpoint(URI endpoint, ClientAuthenticator clients, TokenService tokens, TokenStore store,
                       String issuer, AuditLog audit) {
        this.audit = audit;
        this.endpoint = endpoint;
        this.clients = clients;
        this.tokens = tokens;
        this.store = store;
        this.issuer = issuer;
    }

    void handle(RoutingContext ctx) {
        try {
            Forms.requirePost(ctx, "revocation endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, Forms.TOKEN_PARAMETERS);
            String hint = Forms.single(params, "token_type_hint");
            if (hint != null && !hint.equals("access_token")) {
                throw new OAuthException("unsupported_token_type", 400, "only access tokens can be revoked", null);
            }
            String authorization = ctx.request().getHeader("Authorization");
            if (authorization == null && Forms.single(params, "client_assertion") == null
                    && ClientCertificates.peer(ctx.request()) == null) {
                throw OAuthException.invalidClient("client authentication failed");
            }
            Future<AuthenticatedClient> caller;
            String token;
            if (authorization != null && Forms.single(params, "client_assertion") == null) {
                // the admin bearer: the SDK's parser wants client authentication, so read the form here
                token = Forms.single(params, "token");
                if (token == null) {
                    throw OAuthException.invalidRequest("missing token");
                }
                caller = clients.authenticate(ClientAuthenticationStep.presented(ctx, null), Endpoint.REVOCATION);
            } else {
                TokenRevocationRequest request = parse(ctx, params);
                token = request.getToken().getValue();
                caller = clients.authenticate(ClientAuthenticationStep.presented(ctx,
                        request.getClientAuthentication()), Endpoint.REVOCATION);
            }
            caller.compose(c -> revoke(c, token))
                    .onSuccess(v -> ctx.response().setStatusCode(200).putHeader("Cache-Control", "no-store").end())
                    .onFailure(t -> {
                        Refusals.record(audit, "revocation", t);
                        Responses.failure(ctx, t);
                    });
        } catch (RuntimeException e) {
            Refusals.record(audit, "revocation", e);
            Responses.failure(ctx, e);
        }
    }

    private TokenRevocationRequest parse(RoutingContext ctx, Map<String, List<String>> params) {
        try {
            return TokenRevocationRequest.parse(ClientAuthenticationStep.toNimbus(ctx, endpoint, params));
        } catch (ParseException e) {
            throw ClientAuthenticationStep.unparsable(ctx, endpoint, clients, params, e);
        } catch (IllegalArgumentException e) {   // the SDK's own error for a parameter it cannot even quote
            throw OAuthException.invalidRequest(Forms.MALFORMED_PARAMETER);
        }
    }

    private Future<Void> revoke(AuthenticatedClient caller, String token) {
        VerifiedAgentToken verified;
        try {
            verified = tokens.verifySubjectToken(token);
        } catch (RuntimeException invalidOrExpired) {
            return Future.succeededFuture();   // RFC 7009 §2.2: nothing to revoke is still a success
        }
        if (!caller.admin() && !verified.chain().containsAgent(caller.agent().agentId(), issuer)) {
            return Future.failedFuture(OAuthException.unauthorizedClient(
                    "agent '" + caller.agent().agentId() + "' may not revoke this token"));
        }
        // every node's status lists hear of the mark from the replicated cache and set the subtree's bits
        String root;
        try {
            root = Lineage.of(verified.claims()).root();
        } catch (IllegalArgumentException malformed) {
            root = verified.jwtId();   // no usable lineage: the token is dead anyway; mark it itself
        }
        String lineageRoot = root;
        // the response waits for the record; descendants are not counted here (the lineage query finds them)
        return store.revoke(verified.jwtId(), root, verified.expiresAt()).compose(v -> audit.durable(
                new AuditEvent.Revoked(caller.admin() ? "admin" : caller.agent().agentId(), verified.jwtId(),
                        lineageRoot, verified.chain().current().subject(), verified.principal(), -1))).mapEmpty();
    }
}
