package dev.agentid.issuer;

import com.nimbusds.jose.JOSEObjectType;
import dev.agentid.issuer.attestation.AttestersFile;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.attestation.TrustedAttesters;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.binding.TokenEndpointDpop;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.approval.ApprovalWebhook;
import dev.agentid.issuer.approval.Approvals;
import dev.agentid.issuer.federation.idp.HumanExchange;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.FederationService;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.federation.OutboundFetcher;
import dev.agentid.issuer.federation.SharedSignalsTransmitter;
import dev.agentid.issuer.federation.PartnerStatusLists;
import dev.agentid.issuer.federation.TrustedPartners;
import dev.agentid.issuer.http.BodyLimits;
import dev.agentid.issuer.http.RateLimiter;
import dev.agentid.issuer.http.Routes;
import dev.agentid.issuer.client.AdminToken;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.client.PrivateKeyJwtAuthenticator;
import dev.agentid.issuer.client.TlsClientAuthenticator;
import dev.agentid.issuer.policy.DelegationPolicy;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.lifecycle.Lifecycle;
import dev.agentid.issuer.metrics.Metrics;
import dev.agentid.issuer.monitor.ClusterCounters;
import dev.agentid.issuer.monitor.Containment;
import dev.agentid.issuer.monitor.Counters;
import dev.agentid.issuer.monitor.LocalCounters;
import dev.agentid.issuer.monitor.Monitor;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.issuer.token.TokenMinter;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.store.DataDirectory;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.net.URI;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/** A running issuer: state store, keys, HTTP server. {@link #close()} stops all of it. */
public final class IssuerServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(IssuerServer.class.getName());

    private final Vertx vertx;
    private final StateStore state;
    private final HttpServer http;
    private final String issuer;
    private final int port;
    private final String adminToken;

    private final StatusLists statusLists;
    private Router router;
    private FederationService federation;
    private RateLimiter rateLimiter;
    private AuditLog audit;
    private Monitor monitor;
    private Lifecycle lifecycle;
    private static final JOSEObjectType CHECKPOINT = new JOSEObjectType(AuditLog.CHECKPOINT_TYPE);
    /** RFC 8417 section 2.3: Security Event Tokens to the partners subscribed to our Shared Signals. */
    private static final JOSEObjectType SECEVENT = new JOSEObjectType("secevent+jwt");

    private IssuerServer(Vertx vertx, StateStore state, HttpServer http, String issuer, int port, String adminToken,
                         StatusLists statusLists) {
        this.statusLists = statusLists;
        this.vertx = vertx;
        this.state = state;
        this.http = http;
        this.issuer = issuer;
        this.port = port;
        this.adminToken = adminToken;
    }

    /** Starts an issuer; blocks until it listens. Call from a plain thread, never an event loop. */
    public static IssuerServer start(IssuerConfig config, Clock clock) {
        Path dataDir = config.dataDir();
        DataDirectory.secure(dataDir);   // 0700 directories, 0600 files, or no start
        String adminToken = config.adminToken() != null ? config.adminToken() : adminTokenFile(dataDir);
        KeyStoreFile keyFile = KeyStoreFile.in(dataDir);
        KeyRing ring = keyFile.loadOrCreate(clock);
        StateStore state = StateStore.start(dataDir, clock, config.cluster());
        Metrics metrics = metrics(state);
        Vertx vertx = metrics.vertxBuilder(new VertxOptions()).build();
        StatusLists statusLists = null;
        AuditLog audit = null;
        Monitor monitor = null;
        try {
            AtomicReference<Router> router = new AtomicReference<>();
            HttpServer http = listen(config, vertx, dispatch(config, router));
            int port = http.actualPort();
            String issuer = config.issuerUrlFor(port);
            KeyService keys = keys(config, vertx, clock, issuer, keyFile, ring, state);
            metrics.gauge("agentid_key_file_checks", "times this node has checked its signing key file for changes",
                    keys::fileChecks);
            audit = AuditLog.open(dataDir, config.cluster() == null ? "local" : config.cluster().bind().toString(),
                    clock, config.audit(), (claims, at) -> keys.sign(CHECKPOINT, claims, at));
            audit.timeForces(metrics.nanosTimer("agentid_audit_fsync",
                    "time of each audit group commit's fsync (every token response waits for one)"));
            AuditLog trail = audit;
            keys.onFileChange(changed -> trail.record(AuditEvent.KeysRotated.of("key-file", changed, clock.instant())));
            Partners partners = partners(config, vertx, clock);
            partners.trusted().onChange(c -> trail.record(new AuditEvent.TrustChanged(c.partners(), c.added(),
                    c.removed())));
            statusLists = statusLists(config, vertx, clock, issuer, keys, state, partners.status());
            StatusLists lists = statusLists;
            metrics.gauge("agentid_status_lists_cpu_seconds", "CPU time of the status-list worker thread",
                    () -> lists.workerCpuNanos() / 1e9);
            metrics.gauge("agentid_status_list_writes", "status list tokens this node signed and stored",
                    lists::writes);
            metrics.gauge("agentid_status_list_lost_writes",
                    "status list tokens this node signed whose compare-and-set lost to another node (bits retried)",
                    lists::lostWrites);
            TokenLiveness liveness = new TokenLiveness(state.tokens(), state.agents(), issuer, partners.status());
            DelegationPolicy policy = new DelegationPolicy(config.maxDelegationDepth(), config.maxTokenLifetime());
            TokenService tokens = new TokenService(clock, new TokenMinter(issuer, keys), keys, liveness, policy,
                    statusLists, audit);
            ClientCertificates certificates = config.tls() == null || !config.tls().mutualTls() ? null
                    : new ClientCertificates(config.tls().clientCaCertificate(), clock);
            SenderBinding binding = new SenderBinding(new TokenEndpointDpop(URI.create(issuer + Routes.TOKEN_PATH),
                    state.replay(), clock, config.clockSkew()), certificates);
            FederationService federation = new FederationService(vertx, issuer, clock, config.clockSkew(), keys,
                    tokens, liveness, policy, statusLists, state.agents(), state.replay(),
                    partners.trusted(), partners.status(), partners.humans());
            RateLimiter limiter = rateLimiter(config, clock, metrics);
            SharedSignalsTransmitter signals = new SharedSignalsTransmitter(issuer,
                    () -> partners.trusted().trust().signalReceivers(), partners.fetcher(),
                    (claims, at) -> keys.sign(SECEVENT, claims, at), clock);
            metrics.gauge("agentid_ssf_sent", "Shared Signals SETs delivered to subscribed partners", signals::sent);
            metrics.gauge("agentid_ssf_failed", "Shared Signals SETs not delivered", signals::failed);
            monitor = monitor(config, clock, state, audit, limiter, metrics, signals);
            Lifecycle lifecycle = new Lifecycle(state.agents(), state.sharedMap(StoreConfiguration.GOVERNANCE), audit,
                    clock, config.lifecycle()).start(vertx);
            // one for the node: a wrong guess at the admin token counts at every place that takes it (R03)
            AdminToken admin = new AdminToken(adminToken, clock);
            router.set(Routes.router(new Routes.Wiring(vertx, clock, issuer, admin, state, keys,
                    tokens, liveness, clients(config, vertx, clock, issuer, state, certificates, admin,
                            lifecycle.keyAges()),
                    config.maxDelegationDepth(), config.maxTokenLifetime(), statusLists, binding, federation,
                    new HumanExchange(clock, issuer, tokens, policy, partners.humans()), metrics, audit, config.audit().peers(),
                    new Approvals(vertx, clock, state.sharedMap(StoreConfiguration.APPROVALS), tokens, audit,
                            ApprovalWebhook.to(vertx, config.approvalWebhook())), partners.humans(),
                    monitor, lifecycle),
                    limiter));
            writePortFile(dataDir, port);
            DataDirectory.secure(dataDir);
            IssuerServer server = new IssuerServer(vertx, state, http, issuer, port, adminToken, statusLists);
            server.audit = audit;
            server.monitor = monitor;
            server.lifecycle = lifecycle;
            server.federation = federation;
            server.router = router.get();
            server.rateLimiter = limiter;
            return server;
        } catch (RuntimeException e) {
            vertx.close();
            if (statusLists != null) {
                statusLists.close();
            }
            if (monitor != null) {
                monitor.close();
            }
            if (audit != null) {
                audit.close();
            }
            state.close();
            throw e;
        }
    }

    private static Metrics metrics(StateStore state) {
        Metrics metrics = new Metrics();
        metrics.gauge("agentid_cluster_members", "cluster members this node sees (1 when not clustered)",
                () -> state.members().size());
        metrics.gauge("agentid_replay_marks", "single-use marks held in this node's memory",
                () -> state.localEntries(StoreConfiguration.REPLAY));
        return metrics;
    }

    /**
     * Behavioural monitoring on the audit trail's events (docs/MONITORING.md): off the request path, on its own
     * thread; cluster-wide counts when clustered.
     */
    private static Monitor monitor(IssuerConfig config, Clock clock, StateStore state, AuditLog audit,
                                   RateLimiter limiter, Metrics metrics, SharedSignalsTransmitter signals) {
        Counters counters = state.clustered()
                ? new ClusterCounters(state.sharedMap(StoreConfiguration.MONITOR), state.self(), state::members)
                : new LocalCounters();
        Containment containment = new Containment(config.monitor(), clock, audit::record, state.agents(),
                limiter::throttle, alert -> {
                    AgentRecord agent = state.agents().findHere(alert.agent());
                    if (agent != null) {   // refusals naming an unregistered client_id concern no partner
                        signals.monitorAlert(agent.agentId(), agent.audiences(), alert.detector(),
                                alert.severity().label(), alert.explanation(),
                                alert.response() == dev.agentid.issuer.monitor.Response.SUSPEND);
                    }
                });
        Monitor monitor = new Monitor(config.monitor(), clock, counters, containment, audit.node());
        monitor.start(audit);
        state.agents().onChange(monitor::changed);
        metrics.gauge("agentid_monitor_observations", "audit events monitoring has processed", monitor::processed);
        metrics.gauge("agentid_monitor_dropped", "audit events monitoring dropped (its queue was full)",
                monitor::dropped);
        metrics.gauge("agentid_monitor_cpu_seconds", "CPU time of the monitor thread",
                () -> monitor.cpuNanos() / 1e9);
        metrics.gauge("agentid_monitor_alerts", "alerts raised by behavioural monitoring",
                () -> containment.alerts());
        metrics.gauge("agentid_monitor_throttles", "agents throttled by behavioural monitoring",
                () -> containment.throttles());
        metrics.gauge("agentid_monitor_suspensions", "agents suspended by behavioural monitoring",
                () -> containment.suspensions());
        return monitor;
    }

    /** Every request: malformed paths refused, 503 until the router is wired, the access log if configured. */
    private static Handler<HttpServerRequest> dispatch(IssuerConfig config, AtomicReference<Router> router) {
        Handler<HttpServerRequest> routed = request -> {
            Router r = router.get();
            if (BodyLimits.refuseMalformedPath(request)) {
                return;
            }
            if (r == null) {
                request.response().setStatusCode(503).putHeader("Retry-After", "1").end();
            } else {
                r.handle(request);
            }
        };
        return config.observability().accessLog() ? AccessLog.around(routed) : routed;
    }

    /** Listens on the configured address; returns the first of the servers, whose port they all share. */
    private static HttpServer listen(IssuerConfig config, Vertx vertx, Handler<HttpServerRequest> dispatch) {
        HttpServerOptions options = BodyLimits.apply(new HttpServerOptions())
                .setHost(config.host())
                .setPort(config.port())
                .setMaxHeaderSize(16 * 1024)
                // no cleartext HTTP/2 upgrade (h2c): a client that asks for it (Java's HttpClient does by default)
                // stays on HTTP/1.1. Vert.x's upgraded stream lost the end of responses larger than a few frames
                // (about one request in five for /openapi.json, 30 KB). The issuer speaks HTTP/1.1 (TLS offers no ALPN).
                .setHttp2ClearTextEnabled(false);
        if (config.tls() != null) {
            config.tls().apply(options);
        }
        // One server per core on the same port: Vert.x spreads connections over their event loops.
        // A single server would run every request of the node on one event loop, i.e. one core.
        // Port 0 becomes -1: Vert.x lets servers with the same negative port share one random port.
        HttpServerOptions sameAddress = new HttpServerOptions(options)
                .setPort(config.port() == 0 ? -1 : config.port());
        HttpServer http = vertx.createHttpServer(sameAddress).requestHandler(dispatch)
                        .invalidRequestHandler(BodyLimits::invalidRequest);
        await(http.listen());
        for (int i = 1; i < config.eventLoops(); i++) {
            await(vertx.deployVerticle(new VerticleBase() {
                @Override
                public Future<?> start() {
                    return vertx.createHttpServer(sameAddress).requestHandler(dispatch)
                        .invalidRequestHandler(BodyLimits::invalidRequest).listen();
                }
            }));
        }
        return http;
    }

    private static KeyService keys(IssuerConfig config, Vertx vertx, Clock clock, String issuer, KeyStoreFile keyFile,
                                   KeyRing ring, StateStore state) {
        KeyService keys = new KeyService(keyFile, ring, clock, issuer, config.maxTokenLifetime(),
                config.clockSkew(), config.maxDelegationDepth());
        state.replicatedKeys(keyFile).ifPresent(shared -> keys.replicate(vertx, shared));
        keys.watch(vertx, config.keysReloadInterval());
        return keys;
    }

    /** The trust file's partner organisations, identity providers and the partners' status lists. */
    private record Partners(TrustedPartners trusted, HumanPrincipals humans, PartnerStatusLists status,
                            OutboundFetcher fetcher) {
    }

    private static Partners partners(IssuerConfig config, Vertx vertx, Clock clock) {
        // every request to a partner or an IdP: its own small executor, an overall deadline, a streaming size cap
        OutboundFetcher fetcher = new OutboundFetcher(config.outbound().fetchTimeout(),
                config.outbound().loopbackHttp());
        TrustedPartners partners = config.trustFile() == null ? TrustedPartners.none()
                : TrustedPartners.load(config.trustFile(), fetcher);
        partners.discoverAll();   // blocking HTTP: start() runs on a plain thread; failures are retried
        partners.watch(vertx, config.keysReloadInterval());
        // human principals: the trust file's identity_providers (OIDC discovery, blocking here, then followed)
        HumanPrincipals humans = new HumanPrincipals(fetcher, clock, config.clockSkew());
        humans.update(partners.trust().identityProviders());
        humans.watch(vertx, config.keysReloadInterval(), () -> partners.trust().identityProviders());
        PartnerStatusLists partnerStatus = new PartnerStatusLists(partners, fetcher, clock,
                config.partnerStatusRefresh(), config.clockSkew(), config.maxTokenLifetime());
        return new Partners(partners, humans, partnerStatus, fetcher);
    }

    /** This issuer's status lists, and the partners' lists job that feeds them (both started here). */
    private static StatusLists statusLists(IssuerConfig config, Vertx vertx, Clock clock, String issuer,
                                           KeyService keys, StateStore state, PartnerStatusLists partnerStatus) {
        StatusLists statusLists = new StatusLists(issuer, keys, clock, StatusLists.DEFAULT_TTL, config.clockSkew(),
                config.maxTokenLifetime(), state.statusIndices(), new StatusLists.State(
                        state.sharedMap(StoreConfiguration.STATUS_LISTS), state.tokens(), state.agents(),
                        state.dataDir(), state.self(), state::members));
        // checking a partner reference also keeps its list followed: after a restart, the tokens minted here before
        // it bring their partners' lists back into the refresh job
        Duration followFor = config.maxTokenLifetime();
        statusLists.externalRevocation(reference -> {
            partnerStatus.follow(reference, clock.instant().plus(followFor));
            return partnerStatus.revoked(reference);
        });
        statusLists.start();
        partnerStatus.onRevocation(statusLists::changed);
        partnerStatus.start(vertx);
        return statusLists;
    }

    private static ClientAuthenticator clients(IssuerConfig config, Vertx vertx, Clock clock, String issuer,
                                               StateStore state, ClientCertificates certificates, AdminToken admin,
                                               dev.agentid.issuer.client.KeyAgePolicy keyAges) {
        // client assertions are checked against the system time, as the Nimbus SDK did before (tests move the
        // issuer's clock to age tokens, while their agents keep signing assertions with the real time)
        return new ClientAuthenticator(new PrivateKeyJwtAuthenticator(state.agents(),
                state.replay(), Clock.systemUTC(), config.clockSkew(), issuer, config.maxAssertionLifetime(), keyAges),
                certificates == null ? null : new TlsClientAuthenticator(state.agents(), certificates),
                attestations(config, vertx, clock, issuer, state), admin);
    }

    private static RateLimiter rateLimiter(IssuerConfig config, Clock clock, Metrics metrics) {
        RateLimiter limiter = new RateLimiter(config.rateLimits(), clock);
        metrics.gauge("agentid_rate_limited_requests", "token requests refused by the rate limits so far (R01, R02)",
                limiter::refused);
        return limiter;
    }

    /** Client attestations: trusted attesters from ISSUER_ATTESTERS_FILE (reloaded on change), else none. */
    private static ClientAttestationVerifier attestations(IssuerConfig config, Vertx vertx, Clock clock,
                                                          String issuer, StateStore state) {
        Supplier<TrustedAttesters> attesters = AttestersFile.fixed(TrustedAttesters.NONE);
        if (config.attestersFile() != null) {
            AttestersFile file = AttestersFile.load(config.attestersFile());
            file.watch(vertx, config.keysReloadInterval());
            LOG.info("trusted attesters: " + file.get());
            attesters = file;
        }
        return new ClientAttestationVerifier(attesters, state.replay(), clock, issuer, config.clockSkew());
    }

    /** Every route of the HTTP surface (for the test that keeps /openapi.json complete). */
    List<Route> routes() {
        return router.getRoutes();
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.await(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out", e);
        }
    }

    public String issuer() {
        return issuer;
    }

    public int port() {
        return port;
    }

    public String adminToken() {
        return adminToken;
    }

    /** The token endpoint's rate limits (R01, R02) and their refusal count. */
    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** The status lists (draft-ietf-oauth-status-list); tests drive {@link StatusLists#refresh()} directly. */
    public StatusLists statusLists() {
        return statusLists;
    }

    /** Behavioural monitoring of this node. */
    public Monitor monitor() {
        return monitor;
    }

    /** Lifecycle governance; tests run its access-review job directly. */
    public Lifecycle lifecycle() {
        return lifecycle;
    }

    /** This node's audit log. */
    public AuditLog audit() {
        return audit;
    }

    /** Identity chaining: trusted partners and their status lists; tests drive reloads and refreshes directly. */
    public FederationService federation() {
        return federation;
    }

    @Override
    public void close() {
        try {
            await(http.close());
            await(vertx.close());
        } catch (Exception e) {
            LOG.warning("HTTP shutdown incomplete: " + e.getMessage());
        } finally {
            statusLists.close();
            monitor.close();
            audit.close();   // after the HTTP server: the records of the last requests are written, then a checkpoint
            state.close();
        }
    }

    /** The generated admin token: created once with 0600, reused on every restart. */
    private static String adminTokenFile(Path dataDir) {
        Path file = dataDir.resolve("admin-token");
        try {
            if (!Files.exists(file)) {
                byte[] bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
                String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                writePrivate(file, token);
                LOG.info("generated an admin token; it is in " + file);
            } else {
                LOG.info("admin token: " + file);
            }
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }

    private static void writePortFile(Path dataDir, int port) {
        try {
            Path tmp = dataDir.resolve("issuer.port.tmp");
            Files.writeString(tmp, Integer.toString(port), StandardCharsets.UTF_8);
            Files.move(tmp, dataDir.resolve("issuer.port"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the port file", e);
        }
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}
