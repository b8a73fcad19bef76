package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.binding.TokenEndpointDpop;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.client.ClientAuthenticator.Endpoint;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.grant.GrantHandler;
import dev.agentid.issuer.grant.GrantRequest;
import dev.agentid.issuer.grant.Grants;
import dev.agentid.issuer.metrics.Metrics;
import dev.agentid.issuer.service.Presenter;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * The token endpoint: the wire steps only, read top to bottom: POST only -> form (size is the route's body limit;
 * only parameters some grant accepts, T12) -> grant type and its form checks ({@link Grants}) -> Nimbus
 * {@link TokenRequest#parse}, once -> the client-authentication stage ({@link ClientAuthenticator}: method, then
 * client attestation) -> sender binding (DPoP proof or client certificate: the new token's {@code cnf},
 * {@link SenderBinding}) -> the grant's handler -> response.
 */
final class TokenEndpoint {

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final SenderBinding binding;
    private final Grants grants;
    private final RateLimiter limiter;
    private final AuditLog audit;

    TokenEndpoint(URI endpoint, ClientAuthenticator clients, SenderBinding binding, Grants grants,
                  RateLimiter limiter, AuditLog audit) {
        this.limiter = limiter;
        this.audit = audit;
        this.endpoint = endpoint;
        this.clients = clients;
        this.binding = binding;
        this.grants = grants;
    }

    void handle(RoutingContext ctx) {
        String[] grantType = {null};
        String[] authenticated = {null};
        try {
            Forms.requirePost(ctx, "token endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, grants.parameters());
            grantType[0] = Forms.single(params, "grant_type");
            List<GrantHandler> handlers = grants.forType(grantType[0]);   // T05, T06
            handlers.forEach(h -> h.checkForm(params));
            X509Certificate certificate = ClientCertificates.peer(ctx.request());
            List<String> proofs = ctx.request().headers().getAll(TokenEndpointDpop.HEADER);
            Parsed parsed = parse(ctx, certificate, params);
            clients.authenticate(ClientAuthenticationStep.presented(ctx, parsed.clientAuthentication()),
                            Endpoint.TOKEN)
                    .compose(client -> {
                        authenticated[0] = client.agent().agentId();
                        return limiter.admitClient(client.agent().agentId(), client);   // R02
                    })
                    .compose(client -> binding.confirmation(client.agent(), proofs, certificate)
                            .map(cnf -> new Presenter(client.agent(), cnf, client.attestation()).withCertificate(
                                    certificate == null ? null : ClientCertificates.thumbprint(certificate))))
                    .compose(presenter -> Grants.dispatch(handlers,
                            new GrantRequest(presenter, params, parsed.request(), parsed.grantError())))
                    .onSuccess(response -> {
                        ctx.put(Metrics.GRANT, handlers.get(0).grantType());
                        Responses.json(ctx, 200, response);
                    })
                    .onFailure(t -> {
                        refused(grantType[0], authenticated[0], t);
                        Responses.failure(ctx, t);
                    });
        } catch (RuntimeException e) {
            refused(grantType[0], authenticated[0], e);
            Responses.failure(ctx, e);
        }
    }

    /**
     * A refusal's audit record (not waited for: the refusal is sent either way). The agent is the authenticated one,
     * else the client_id the refusal names (unproven); the reason is the public description only.
     */
    private void refused(String grantType, String agent, Throwable t) {
        OAuthException e = t instanceof RateLimiter.Throttled throttled ? throttled.refusal
                : t instanceof OAuthException o ? o : null;
        if (e == null || "authorization_pending".equals(e.error())) {
            return;   // not a refusal: an outage (503), a bug (500, in the operations log), or a poll that waits
        }
        audit.record(new AuditEvent.Refused("token", grantType, e.error(), e.row(), agent != null ? agent
                : e.client(), agent != null, e.description()));
    }

    /**
     * The request as the Nimbus SDK parses it, once. A grant that does not parse is not refused yet:
     * client authentication (T07–T11) and its companions come first, so its error is kept for later and
     * only the client authentication is parsed on its own.
     */
    private record Parsed(TokenRequest request, OAuthException grantError,
                          ClientAuthentication clientAuthentication) {
    }

    /** The certificate goes along: a tls_client_auth request has no other client authentication to parse. */
    private Parsed parse(RoutingContext ctx, X509Certificate certificate, Map<String, List<String>> params) {
        HTTPRequest http = Forms.toNimbus(ctx, endpoint, params);
        http.setClientX509Certificate(certificate);
        OAuthException grantError;
        try {
            TokenRequest request = TokenRequest.parse(http);
            return new Parsed(request, null, request.getClientAuthentication());
        } catch (ParseException e) {
            grantError = Forms.fromParse(e);
        } catch (IllegalArgumentException e) {   // the SDK refuses some combinations with IAE
            grantError = OAuthException.invalidRequest(e.getMessage());
        }
        try {
            return new Parsed(null, grantError, ClientAuthentication.parse(http));
        } catch (ParseException e) {
            throw clients.unparsable(params, e.getMessage());   // T22–T25: which check failed
        }
    }
}
