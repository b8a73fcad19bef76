package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.JWTBearerGrant;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.TLSClientAuthentication;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import dev.agentid.issuer.OAuthException;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.binding.DpopProofVerifier;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.federation.FederationService;
import dev.agentid.issuer.federation.idp.HumanToken;
import dev.agentid.issuer.store.AgentRecord;
import dev.agentid.issuer.service.ClientAuthenticator;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token endpoint, read top to bottom: POST only -> form checks -> grant type -> client
 * authentication -> client attestation (A01–A08, {@link ClientAttestationVerifier}) -> sender binding (DPoP proof or client certificate: the new token's {@code cnf},
 * {@link SenderBinding}) -> Nimbus {@link TokenRequest#parse} -> grant handler -> {@link TokenService}.
 * The handlers only translate wire to typed request and typed result to the RFC 8693 §2.2.1 response.
 */
final class TokenEndpoint {

    /** The parameters of the grants this endpoint completes; anything else is refused (T12). */
    static final Set<String> PARAMETERS = Set.of("grant_type", "scope", "audience", "resource", "subject_token",
            "subject_token_type", "actor_token", "actor_token_type", "requested_token_type", "assertion");

    static final Set<TokenTypeURI> ACCEPTED_TOKEN_TYPES = Set.of(TokenTypeURI.ACCESS_TOKEN, TokenTypeURI.JWT);

    private final URI endpoint;
    private final ClientAuthenticator clients;
    private final TokenService tokens;
    private final SenderBinding binding;
    private final ClientAttestationVerifier attestations;
    private final FederationService federation;
    private final RateLimiter limiter;

    TokenEndpoint(URI endpoint, ClientAuthenticator clients, TokenService tokens, SenderBinding binding,
                  ClientAttestationVerifier attestations, FederationService federation, RateLimiter limiter) {
        this.limiter = limiter;
        this.federation = federation;
        this.endpoint = endpoint;
        this.clients = clients;
        this.tokens = tokens;
        this.binding = binding;
        this.attestations = attestations;
    }

    void handle(RoutingContext ctx) {
        try {
            Forms.requirePost(ctx, "token endpoint");
            Map<String, List<String>> params = Forms.requireForm(ctx, PARAMETERS);
            GrantType grantType = grantType(Forms.single(params, "grant_type"));
            if (GrantType.TOKEN_EXCHANGE.equals(grantType)
                    && (Forms.single(params, "actor_token") == null) != (Forms.single(params, "actor_token_type") == null)) {
                throw OAuthException.invalidRequest("actor_token and actor_token_type must be given together");
            }
            X509Certificate certificate = ClientCertificates.peer(ctx.request());
            List<String> proofs = ctx.request().headers().getAll(DpopProofVerifier.HEADER);
            Parsed parsed = parse(ctx, certificate);
            List<String> attestation = ctx.request().headers().getAll(ClientAttestationVerifier.ATTESTATION_HEADER);
            List<String> attestationPop = ctx.request().headers().getAll(ClientAttestationVerifier.POP_HEADER);
            authenticate(parsed.clientAuthentication())
                    .compose(agent -> limiter.admitClient(agent.agentId(), agent))   // R02
                    .compose(agent -> attestations.verify(agent, attestation, attestationPop)   // A01–A08
                            .compose(summary -> binding.confirmation(agent, proofs, certificate)
                                    .map(cnf -> new Presenter(agent, cnf, summary).withCertificate(
                                            certificate == null ? null : ClientCertificates.thumbprint(certificate)))))
                    .compose(presenter -> {
                        if (GrantType.JWT_BEARER.equals(grantType)) {
                            FederationService.requireWellFormed(Forms.single(params, "assertion"));   // F04
                        }
                        TokenRequest request = parsed.request();   // or the grant's parse error, now
                        if (GrantType.CLIENT_CREDENTIALS.equals(grantType)) {
                            return tokens.clientCredentials(presenter, scope(request), audiences(request, null))
                                    .map(issued -> tokenResponse(issued, presenter));
                        }
                        if (GrantType.JWT_BEARER.equals(grantType)) {   // identity chaining, step 2 (F03–F22)
                            return redeem(presenter, request).map(issued -> tokenResponse(issued, presenter));
                        }
                        Future<JsonObject> partnerGrant = partnerGrant(presenter, request);
                        if (partnerGrant != null) {                     // identity chaining, step 1 (F01–F02)
                            return partnerGrant;
                        }
                        return exchange(presenter, request).map(issued -> tokenResponse(issued, presenter));
                    })
                    .onSuccess(response -> Responses.json(ctx, 200, response))
                    .onFailure(t -> Responses.failure(ctx, t));
        } catch (RuntimeException e) {
            Responses.failure(ctx, e);
        }
    }

    /** T05–T06; jwt-bearer only with a trust file (identity chaining). */
    private GrantType grantType(String value) {
        if (value == null) {
            throw OAuthException.invalidRequest("missing grant_type");
        }
        if (!value.equals(GrantType.CLIENT_CREDENTIALS.getValue()) && !value.equals(GrantType.TOKEN_EXCHANGE.getValue())
                && !(value.equals(GrantType.JWT_BEARER.getValue()) && federation.enabled())) {
            throw OAuthException.unsupportedGrantType("grant_type '" + value + "' is not supported");
        }
        return new GrantType(value);
    }

    /** private_key_jwt (T07–T11), or tls_client_auth with the connection's client certificate (M01). */
    private Future<AgentRecord> authenticate(ClientAuthentication auth) {
        if (auth instanceof TLSClientAuthentication) {
            return binding.authenticate((TLSClientAuthentication) auth);
        }
        return clients.authenticate(auth);
    }

    /**
     * The request as the Nimbus SDK parses it, once. A grant that does not parse is not refused yet:
     * client authentication (T07–T11) and its companions come first, so its error is kept for later and
     * only the client authentication is parsed on its own.
     */
    private record Parsed(TokenRequest parsedRequest, OAuthException grantError,
                          ClientAuthentication clientAuthentication) {
        TokenRequest request() {
            if (grantError != null) {
                throw grantError;
            }
            return parsedRequest;
        }
    }

    /** The certificate goes along: a tls_client_auth request has no other client authentication to parse. */
    private Parsed parse(RoutingContext ctx, X509Certificate certificate) {
        HTTPRequest http = Forms.toNimbus(ctx, endpoint);
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
            throw OAuthException.invalidClient("client authentication failed", e.getMessage());
        }
    }

    private Future<TokenService.Issued> exchange(Presenter presenter, TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        boolean idToken = TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType());
        if (!idToken && !ACCEPTED_TOKEN_TYPES.contains(grant.getSubjectTokenType())) {
            throw OAuthException.invalidRequest("unsupported subject_token_type: use " + TokenTypeURI.ACCESS_TOKEN
                    + ", " + TokenTypeURI.JWT + " or " + TokenTypeURI.ID_TOKEN);
        }
        if (grant.getRequestedTokenType() != null && !ACCEPTED_TOKEN_TYPES.contains(grant.getRequestedTokenType())) {
            throw OAuthException.invalidRequest("unsupported requested_token_type");
        }
        String actorToken = grant.getActorToken() == null ? null : grant.getActorToken().getValue();
        // human principals (federation/idp): an id_token, or an access token whose iss is a trusted OpenID Provider
        if (idToken || tokens.humans().issuedByIdentityProvider(grant.getSubjectToken().getValue())) {
            return tokens.exchangeHuman(presenter, grant.getSubjectToken().getValue(),
                    idToken ? HumanToken.Kind.ID_TOKEN : HumanToken.Kind.ACCESS_TOKEN, actorToken, scope(request),
                    audiences(request, grant.getAudience()));
        }
        return tokens.exchange(presenter, grant.getSubjectToken().getValue(), actorToken, scope(request),
                audiences(request, grant.getAudience()));
    }

    /**
     * Identity chaining step 1: a token exchange whose one target is a trusted partner's issuer yields a JWT
     * authorization grant for it (RFC 8693 section 2.2.1 with issued_token_type jwt and token_type N_A); null for any
     * other exchange.
     */
    private Future<JsonObject> partnerGrant(Presenter presenter, TokenRequest request) {
        TokenExchangeGrant grant = (TokenExchangeGrant) request.getAuthorizationGrant();
        List<String> targets = audiences(request, grant.getAudience());
        if (TokenTypeURI.ID_TOKEN.equals(grant.getSubjectTokenType()) || !federation.isPartner(targets)) {
            return null;
        }
        String actorToken = grant.getActorToken() == null ? null : grant.getActorToken().getValue();
        String requested = grant.getRequestedTokenType() == null ? null : grant.getRequestedTokenType().getURI().toString();
        return federation.grant(presenter, grant.getSubjectToken().getValue(), actorToken, scope(request),
                targets.get(0), requested).map(issued -> new JsonObject()
                .put("access_token", issued.assertion())
                .put("issued_token_type", FederationService.JWT_TOKEN_TYPE)
                .put("token_type", "N_A")
                .put("expires_in", issued.expiresIn())
                .put("scope", String.join(" ", issued.scopes())));
    }

    /** Identity chaining step 2: RFC 7523 section 2.1 with a partner's grant as the assertion. */
    private Future<TokenService.Issued> redeem(Presenter presenter, TokenRequest request) {
        JWTBearerGrant grant = (JWTBearerGrant) request.getAuthorizationGrant();
        return federation.redeem(presenter, grant.getAssertion(), scope(request), audiences(request, null));
    }

    private static List<String> scope(TokenRequest request) {
        Scope scope = request.getScope();
        return scope == null ? null : scope.toStringList();
    }

    /** `audience` (RFC 8693) and `resource` (RFC 8707) both name the target; duplicates collapse. */
    private static List<String> audiences(TokenRequest request, List<Audience> grantAudience) {
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
    private static JsonObject tokenResponse(TokenService.Issued issued, Presenter presenter) {
        return new JsonObject()
                .put("access_token", issued.accessToken())
                .put("issued_token_type", TokenTypeURI.ACCESS_TOKEN.getURI().toString())
                .put("token_type", SenderBinding.tokenType(presenter.confirmation()))
                .put("expires_in", issued.expiresIn())
                .put("scope", String.join(" ", issued.scopes()));
    }
}
