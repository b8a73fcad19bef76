package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.ciba.AuthRequestID;
import com.nimbusds.oauth2.sdk.ciba.CIBARequestAcknowledgement;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.rar.AuthorizationDetail;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.approval.Approvals;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.binding.TokenEndpointDpop;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.client.ClientAuthenticator.Endpoint;
import dev.agentid.issuer.domain.AuthorizationDetails;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.FederationService;
import dev.agentid.issuer.federation.idp.HumanExchange;
import dev.agentid.issuer.service.Presenter;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backchannel authentication endpoint of OpenID CIBA poll mode, for requests that need a human's approval
 * (profile section 6.13): the parameters of a token exchange (subject_token, scope, audience or resource,
 * authorization_details; private_key_jwt), read by the same Nimbus parser as at the token endpoint, then the same
 * client-authentication stage; the answer is CIBA section 7.3's acknowledgement. Wire steps only: the checks of the
 * exchange and the holding of the request are {@link Approvals#start}.
 */
final class BackchannelEndpoint {

    /** Exactly the token exchange's parameters (the endpoint has no grant_type: it is implied). */
    static final Set<String> PARAMETERS = Set.of("scope", "audience", "resource", "subject_token",
            "subject_token_type", "actor_token", "actor_token_type", "requested_token_type",
            AuthorizationDetails.CLAIM);

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final SenderBinding binding;
    private final RateLimiter limiter;
    private final Approvals approvals;
    private final HumanExchange humans;
    private final FederationService federation;
    private final AuditLog audit;

    BackchannelEndpoint(URI endpoint, ClientAuthenticator clients, SenderBinding binding, RateLimiter limiter,
                        Approvals approvals, HumanExchange humans, FederationService federation, AuditLog audit) {
        this.endpoint = endpoint;
        this.clients = clients;
        this.binding = binding.at(endpoint);
        this.limiter = limiter;
        this.approvals = approvals;
        this.humans = humans;
        this.federation = federation;
        this.audit = audit;
    }

    void handle(RoutingContext ctx) {
        String[] authenticated = {null};
        try {
            Forms.requirePost(ctx, "backchannel authentication endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, PARAMETERS);
            X509Certificate certificate = ClientCertificates.peer(ctx.request());
            List<String> proofs = ctx.request().headers().getAll(TokenEndpointDpop.HEADER);
            TokenRequest request = parse(ctx, certificate, params);
            clients.authenticate(ClientAuthenticationStep.presented(ctx, request.getClientAuthentication()),
                            Endpoint.TOKEN)
                    .compose(client -> {
                        authenticated[0] = client.agent().agentId();
                        return limiter.admitClient(client.agent().agentId(), client);   // R02
                    })
                    // a DPoP proof names this endpoint as htu; it proves possession of a DPoP-bound subject token
                    .compose(client -> binding.confirmation(client.agent(), proofs, certificate)
                            .map(cnf -> new Presenter(client.agent(), cnf, client.attestation()).withCertificate(
                                    certificate == null ? null : ClientCertificates.thumbprint(certificate))))
                    .compose(presenter -> start(presenter, request))
                    .onSuccess(ack -> Responses.json(ctx, 200, ack))
                    .onFailure(t -> {
                        refused(authenticated[0], t);
                        Responses.failure(ctx, t);
                    });
        } catch (RuntimeException e) {
            refused(authenticated[0], e);
            Responses.failure(ctx, e);
        }
    }

    private io.vertx.core.Future<JsonObject> start(Presenter presenter, TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        String subject = grant.getSubjectToken().getValue();
        List<String> targets = audiences(request, grant);
        if (TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType()) || humans.issuedByIdentityProvider(subject)
                || federation.isPartner(targets)) {   // P07
            throw OAuthException.invalidRequest("the backchannel endpoint takes an agent token of this issuer as"
                    + " subject_token, for an audience of this issuer");
        }
        if (grant.getActorToken() != null && grant.getActorTokenType() == null
                || grant.getActorToken() == null && grant.getActorTokenType() != null) {   // X22
            throw OAuthException.invalidRequest("actor_token and actor_token_type must be given together");
        }
        List<Map<String, Object>> details = new ArrayList<>();
        List<AuthorizationDetail> parsed = request.getAuthorizationDetails();
        if (parsed != null) {
            if (parsed.size() > AuthorizationDetails.MAX) {   // P05
                throw OAuthException.invalidRequest("authorization_details holds more than "
                        + AuthorizationDetails.MAX + " entries");
            }
            parsed.forEach(d -> details.add(d.toJSONObject()));
        }
        return approvals.start(presenter, subject, grant.getActorToken() == null ? null
                        : grant.getActorToken().getValue(), request.getScope() == null ? null
                        : request.getScope().toStringList(), targets, details.isEmpty() ? null : details)
                .map(pending -> new JsonObject(new CIBARequestAcknowledgement(new AuthRequestID(pending.id()),
                        (int) java.time.Duration.between(pending.createdAt(), pending.expiresAt()).getSeconds(),
                        (int) pending.intervalSeconds())
                        .toJSONObject().toJSONString()));
    }

    private static List<String> audiences(TokenRequest request, TokenExchangeGrant grant) {
        List<String> targets = new ArrayList<>(1);
        Set<String> seen = new HashSet<>();
        if (grant.getAudience() != null) {
            grant.getAudience().forEach(a -> {
                if (seen.add(a.getValue())) {
                    targets.add(a.getValue());
                }
            });
        }
        if (request.getResources() != null) {
            request.getResources().forEach(r -> {
                if (seen.add(r.toString())) {
                    targets.add(r.toString());
                }
            });
        }
        return targets;
    }

    /** The form as a token exchange (grant_type implied), parsed once by the Nimbus SDK. */
    private TokenRequest parse(RoutingContext ctx, X509Certificate certificate, Map<String, List<String>> params) {
        Map<String, List<String>> exchange = new java.util.HashMap<>(params);
        exchange.put("grant_type", List.of(GrantType.TOKEN_EXCHANGE.getValue()));
        HTTPRequest http = Forms.toNimbus(ctx, endpoint, exchange);
        http.setClientX509Certificate(certificate);
        try {
            return TokenRequest.parse(http);
        } catch (ParseException e) {
            throw ClientAuthenticationStep.unparsable(ctx, endpoint, clients, params, e);
        } catch (IllegalArgumentException e) {
            throw OAuthException.invalidRequest(Forms.MALFORMED_PARAMETER);
        }
    }

    private void refused(String agent, Throwable t) {
        OAuthException e = t instanceof RateLimiter.Throttled throttled ? throttled.refusal
                : t instanceof OAuthException o ? o : null;
        if (e != null) {
            audit.record(new AuditEvent.Refused("backchannel", "ciba", e.error(), e.row(),
                    agent != null ? agent : e.client(), agent != null, e.description()));
        }
    }
}
