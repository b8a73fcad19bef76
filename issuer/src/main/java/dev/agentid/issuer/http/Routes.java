package dev.agentid.issuer.http;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.as.AuthorizationServerMetadata;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.ciba.BackChannelTokenDeliveryMode;
import com.nimbusds.oauth2.sdk.id.Issuer;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.approval.Approvals;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.attestation.TrustedAttesters;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.console.Console;
import dev.agentid.issuer.console.ConsoleSettings;
import dev.agentid.issuer.console.ConsoleViews;
import dev.agentid.issuer.federation.FederationService;
import dev.agentid.issuer.federation.idp.HumanExchange;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.grant.AgentTokenExchange;
import dev.agentid.issuer.grant.CibaGrant;
import dev.agentid.issuer.grant.ClientCredentialsGrant;
import dev.agentid.issuer.grant.Grants;
import dev.agentid.issuer.grant.HumanPrincipalExchange;
import dev.agentid.issuer.grant.JwtBearerRedemption;
import dev.agentid.issuer.grant.PartnerChainGrant;
import dev.agentid.issuer.metrics.Metrics;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.status.StatusListEndpoint;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.store.StateStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** The HTTP surface of the issuer. Each route is a list of small named steps. */
public final class Routes {

    public static final int MAX_BODY_BYTES = 16 * 1024;
    public static final String TOKEN_PATH = "/oauth2/token";
    public static final String JWKS_PATH = "/oauth2/jwks";
    public static final String INTROSPECTION_PATH = "/oauth2/introspect";
    public static final String REVOCATION_PATH = "/oauth2/revoke";
    public static final String METRICS_PATH = "/metrics";
    public static final String METADATA_PATH = "/.well-known/oauth-authorization-server";
    /** OpenID CIBA's backchannel authentication endpoint: requests that need a human's approval (section 6.13). */
    public static final String BACKCHANNEL_PATH = TokenService.BACKCHANNEL_PATH;
    /** Relying parties may cache the JWKS this long; key rotation publishes new keys earlier than that. */
    public static final int JWKS_MAX_AGE_SECONDS = 60;

    private Routes() {
    }

    /** Everything a router needs. */
    public record Wiring(Vertx vertx, Clock clock, String issuer, AdminToken adminToken, StateStore state,
                         KeyService keys, TokenService tokens, TokenLiveness liveness, ClientAuthenticator clients,
                         int globalMaxDepth, Duration maxTokenLifetime, StatusLists statusLists,
                         SenderBinding binding, FederationService federation, HumanExchange humans,
                         Metrics metrics, AuditLog audit, List<String> auditPeers, Approvals approvals,
                         HumanPrincipals humanPrincipals,
                         dev.agentid.issuer.monitor.Monitor monitor,
                         dev.agentid.issuer.lifecycle.Lifecycle lifecycle) {
    }

    public static Router router(Wiring w) {
        return router(w, RateLimiter.off(w.clock()));
    }

    /** With the token endpoint's rate limits (R01, R02). */
    public static Router router(Wiring w, RateLimiter limiter) {
        URI tokenUri = URI.create(w.issuer() + TOKEN_PATH);
        AdminToken admin = w.adminToken();
        // the grants of the token endpoint; several token-exchange handlers: the first that accepts the request
        Grants grants = new Grants(List.of(
                new ClientCredentialsGrant(w.tokens()),
                new PartnerChainGrant(w.federation()),
                new HumanPrincipalExchange(w.humans()),
                new AgentTokenExchange(w.tokens()),
                new JwtBearerRedemption(w.federation()),
                new CibaGrant(w.approvals())));
        TokenEndpoint token = new TokenEndpoint(tokenUri, w.clients(), w.binding(), grants, limiter, w.audit());
        IntrospectionEndpoint introspection = new IntrospectionEndpoint(URI.create(w.issuer() + INTROSPECTION_PATH),
                w.clients(), w.tokens(), w.liveness(), new IntrospectionAccess(w.issuer()), w.audit());
        RevocationEndpoint revocation = new RevocationEndpoint(URI.create(w.issuer() + REVOCATION_PATH), w.clients(),
                w.tokens(), w.state().tokens(), w.issuer(), w.audit());
        AdminApi adminApi = new AdminApi(w.vertx(), admin, w.state().agents(), w.keys(), w.clock(),
                w.globalMaxDepth(), w.maxTokenLifetime(), w.statusLists(), w.audit());
        StatusListEndpoint statusLists = new StatusListEndpoint(w.statusLists());
        BackchannelEndpoint backchannel = new BackchannelEndpoint(URI.create(w.issuer() + BACKCHANNEL_PATH),
                w.clients(), w.binding(), limiter, w.approvals(), w.humans(), w.federation(), w.audit());
        ApprovalsApi approvalsApi = new ApprovalsApi(admin, w.approvals(), w.humanPrincipals());
        // encoded once; kept as a String, which the event loops can share (a Buffer has reader state)
        String metadata = w.binding().advertise(metadata(w.issuer(), grants.types())).encode();

        Router router = Router.router(w.vertx());
        io.vertx.core.Handler<RoutingContext> body = BodyLimits.forBodyMethods(
                BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        // the form endpoints read the raw body once and decode it once (Forms), with no decoder in between
        io.vertx.core.Handler<RoutingContext> form = BodyLimits.forBodyMethods(new FormBody(MAX_BODY_BYTES));

        router.get(METADATA_PATH).handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "public, max-age=" + JWKS_MAX_AGE_SECONDS)
                .end(metadata));
        router.get(JWKS_PATH).handler(ctx -> ctx.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "public, max-age=" + JWKS_MAX_AGE_SECONDS)
                .end(w.keys().publishedKeys().toString(true)));

        HealthEndpoints health = new HealthEndpoints(w.state());
        router.get(HealthEndpoints.LIVE_PATH).handler(health::live);
        router.get(HealthEndpoints.READY_PATH).handler(health::ready);
        router.get(HealthEndpoints.VERSION_PATH).handler(health::version);
        String openApi = OpenApi.document();
        router.get(OpenApi.PATH).handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-cache").end(openApi));

        router.get(StatusLists.PATH).handler(statusLists::aggregation);
        router.get(StatusLists.PATH + "/:list").handler(statusLists::list);

        router.get(METRICS_PATH).handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .putHeader("Cache-Control", "no-store").end(w.metrics().scrape()));

        router.route(TOKEN_PATH).handler(limiter::admitAddress);   // R01, before the body is read

        // Vert.x runs the body step first; a body it refuses (413, bad encoding) shows in vertx_http_server_*
        router.route(TOKEN_PATH).handler(form).handler(w.metrics()::observe).handler(Responses::noStore)
                .handler(token::handle);
        router.route(INTROSPECTION_PATH).handler(form).handler(w.metrics()::observe).handler(Responses::noStore)
                .handler(introspection::handle);
        router.route(REVOCATION_PATH).handler(form).handler(w.metrics()::observe).handler(Responses::noStore)
                .handler(revocation::handle);

        router.route(BACKCHANNEL_PATH).handler(limiter::admitAddress);   // R01, before the body is read
        router.route(BACKCHANNEL_PATH).handler(body).handler(w.metrics()::observe).handler(Responses::noStore)
                .handler(backchannel::handle);

        if (w.lifecycle() != null && w.humanPrincipals() != null) {
            // Shared Signals (RFC 8935 push): the trusted OpenID Providers' security events; owner offboarding
            SecurityEventEndpoint events = new SecurityEventEndpoint(w.vertx(), w.humanPrincipals(),
                    w.lifecycle().signals(), w.lifecycle().settings().securityEventMaxAge());
            router.route(SecurityEventEndpoint.PATH).handler(limiter::admitAddress);   // R01, before the body
            router.post(SecurityEventEndpoint.PATH).handler(body).handler(w.metrics()::observe)
                    .handler(Responses::noStore).handler(events::handle);
        }

        // approvers: an approver's id_token or the admin token (break-glass), so before the admin-only routes
        router.route(ApprovalsApi.PATH + "/*").handler(body).handler(w.metrics()::observe).handler(Responses::noStore);
        router.get(ApprovalsApi.PATH).handler(approvalsApi::list);
        router.get(ApprovalsApi.PATH + "/:id").handler(approvalsApi::get);
        router.post(ApprovalsApi.PATH + "/:id/approve").handler(approvalsApi::approve);
        router.post(ApprovalsApi.PATH + "/:id/deny").handler(approvalsApi::deny);

        router.route("/admin/*").handler(body).handler(w.metrics()::observe).handler(Responses::noStore)
                .handler(adminApi::requireAdmin);
        router.post("/admin/agents").handler(adminApi::register);
        router.get("/admin/agents").handler(adminApi::list);
        router.get("/admin/agents/:id").handler(adminApi::get);
        router.patch("/admin/agents/:id").handler(adminApi::patch);
        router.delete("/admin/agents/:id").handler(adminApi::deregister);
        router.post("/admin/agents/:id/kill").handler(adminApi::kill);
        router.post("/admin/agents/:id/restore").handler(adminApi::restore);
        router.post("/admin/keys/rotate").handler(adminApi::rotateKeys);
        router.get(MonitoringApi.ALERTS_PATH).handler(new MonitoringApi(w.monitor())::alerts);
        if (w.lifecycle() != null) {
            GovernanceApi governance = new GovernanceApi(w.vertx(), w.lifecycle());
            router.post(GovernanceApi.OWNER_DISABLE).handler(governance::disableOwner);
            router.post(GovernanceApi.RECERTIFY).handler(governance::recertify);
            router.get(GovernanceApi.REVIEWS).handler(governance::reviews);
            router.get(GovernanceApi.UNUSED).handler(governance::unused);
            router.get(GovernanceApi.STALE).handler(governance::staleAgents);
            router.post(GovernanceApi.STALE_SUSPEND).handler(governance::suspendStale);
            router.get(GovernanceApi.KEY_AGES).handler(governance::keyAges);
        }
        router.get(AuditEndpoint.PATH).handler(new AuditEndpoint(w.vertx(), w.audit(), w.auditPeers())::handle);

        // the web console (docs/CONSOLE.md): its sessions call the same handlers as the admin API above
        console(w, router, adminApi, approvalsApi);

        router.route().failureHandler(Responses::routeFailure);
        router.route().last().handler(Routes::notFound);
        return router;
    }

    /** The console, configured by the trust file's optional {@code console} object (absent: break-glass only). */
    private static void console(Wiring w, Router router, AdminApi adminApi, ApprovalsApi approvalsApi) {
        ConsoleSettings settings = ConsoleSettings.parse(w.federation().partners().trust().console(),
                w.humanPrincipals().issuers());
        ConsoleViews views = new ConsoleViews(w.vertx(), w.clock(), w.issuer(), w.state().agents(), w.statusLists(),
                w.lifecycle(), w.monitor(), w.audit(), w.state(), w.humanPrincipals(),
                () -> w.federation().partners().trust().partners().stream().map(p -> p.issuer()).toList(),
                () -> w.federation().partnerStatus().followed());
        Console console = new Console(w.vertx(), w.clock(), w.issuer(), w.adminToken(), w.audit(),
                w.humanPrincipals(), settings, views);
        AuditEndpoint audit = new AuditEndpoint(w.vertx(), w.audit(), w.auditPeers(), w.adminToken());
        console.mount(router, new Console.Reused(adminApi::kill, adminApi::restore, approvalsApi::list,
                approvalsApi::approve, approvalsApi::deny, new MonitoringApi(w.monitor())::alerts, audit::handle));
    }

    private static void notFound(RoutingContext ctx) {
        Responses.json(ctx, 404, new JsonObject().put("error", "not_found")
                .put("error_description", "no such endpoint"));
    }

    /** RFC 8414 metadata, built once: it advertises only what this server completes (the grants offered). */
    static JsonObject metadata(String issuer, List<GrantType> grantTypes) {
        AuthorizationServerMetadata md = new AuthorizationServerMetadata(new Issuer(issuer));
        md.setTokenEndpointURI(URI.create(issuer + TOKEN_PATH));
        md.setJWKSetURI(URI.create(issuer + JWKS_PATH));
        md.setIntrospectionEndpointURI(URI.create(issuer + INTROSPECTION_PATH));
        md.setRevocationEndpointURI(URI.create(issuer + REVOCATION_PATH));
        md.setGrantTypes(grantTypes);
        // OpenID CIBA poll mode: requests that need a human's approval (profile section 6.13)
        md.setBackChannelAuthenticationEndpointURI(URI.create(issuer + BACKCHANNEL_PATH));
        md.setBackChannelTokenDeliveryModes(List.of(BackChannelTokenDeliveryMode.POLL));
        md.setTokenEndpointAuthMethods(List.of(ClientAuthenticationMethod.PRIVATE_KEY_JWT));
        md.setTokenEndpointJWSAlgs(List.of(JWSAlgorithm.ES256));
        md.setIntrospectionEndpointAuthMethods(List.of(ClientAuthenticationMethod.PRIVATE_KEY_JWT));
        md.setIntrospectionEndpointJWSAlgs(List.of(JWSAlgorithm.ES256));
        md.setRevocationEndpointAuthMethods(List.of(ClientAuthenticationMethod.PRIVATE_KEY_JWT));
        md.setRevocationEndpointJWSAlgs(List.of(JWSAlgorithm.ES256));
        JsonObject json = new JsonObject(md.toJSONObject());
        json.put("response_types_supported", new JsonArray());
        json.put("access_token_signing_alg_values_supported", new JsonArray().add("ES256"));
        // draft-ietf-oauth-attestation-based-client-auth sections 7.6 and 8: a client attestation is an additional
        // signal next to private_key_jwt (never client authentication on its own, so attest_jwt_client_auth is not
        // listed); "none": only agents whose registration requires it must present one
        JsonArray attestationAlgs = new JsonArray();
        TrustedAttesters.ALGORITHMS.forEach(alg -> attestationAlgs.add(alg.getName()));
        json.put("client_attestation_signing_alg_values_supported", attestationAlgs);
        json.put("client_attestation_pop_signing_alg_values_supported", attestationAlgs.copy());
        json.put("client_attestation_pop_methods_supported", new JsonArray()
                .add(ClientAttestationVerifier.POP_METHOD).add("none"));
        // draft-ietf-oauth-status-list, "Status List Aggregation": the URIs of every list being served
        json.put("status_list_aggregation_endpoint", issuer + StatusLists.PATH);
        return json;
    }

}
