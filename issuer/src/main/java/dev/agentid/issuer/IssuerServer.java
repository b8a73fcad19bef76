package dev.agentid.issuer;

import com.nimbusds.oauth2.sdk.id.Audience;
import dev.agentid.issuer.attestation.AttestersFile;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.attestation.TrustedAttesters;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.binding.DpopProofVerifier;
import dev.agentid.issuer.binding.SenderBinding;
import dev.agentid.issuer.binding.TlsClientAuthenticator;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.FederationService;
import dev.agentid.issuer.federation.PartnerStatusLists;
import dev.agentid.issuer.federation.TrustedPartners;
import dev.agentid.issuer.http.BodyLimits;
import dev.agentid.issuer.http.RateLimiter;
import dev.agentid.issuer.http.Routes;
import dev.agentid.issuer.service.ClientAuthenticator;
import dev.agentid.issuer.service.DelegationPolicy;
import dev.agentid.issuer.service.KeyService;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.issuer.service.TokenMinter;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.store.StateStore;
import dev.agentid.issuer.store.StoreConfiguration;
import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
    private FederationService federation;
    private RateLimiter rateLimiter;

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
        createPrivateDirectory(dataDir);
        String adminToken = config.adminToken() != null ? config.adminToken() : adminTokenFile(dataDir);
        KeyStoreFile keyFile = KeyStoreFile.in(dataDir);
        KeyRing ring = keyFile.loadOrCreate(clock);
        StateStore state = StateStore.start(dataDir, clock, config.cluster());
        Vertx vertx = Vertx.vertx();
        try {
            AtomicReference<Router> router = new AtomicReference<>();
            HttpServerOptions options = BodyLimits.apply(new HttpServerOptions())
                    .setHost(config.host())
                    .setPort(config.port())
                    .setMaxHeaderSize(16 * 1024);
            if (config.tls() != null) {
                config.tls().apply(options);
            }
            Handler<HttpServerRequest> dispatch = request -> {
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
            // One server per core on the same port: Vert.x spreads connections over their event loops.
            // A single server would run every request of the node on one event loop, i.e. one core.
            // Port 0 becomes -1: Vert.x lets servers with the same negative port share one random port.
            HttpServerOptions sameAddress = new HttpServerOptions(options)
                    .setPort(config.port() == 0 ? -1 : config.port());
            HttpServer http = vertx.createHttpServer(sameAddress).requestHandler(dispatch)
                            .invalidRequestHandler(BodyLimits::invalidRequest);
            await(http.listen());
            int port = http.actualPort();
            for (int i = 1; i < config.eventLoops(); i++) {
                await(vertx.deployVerticle(new VerticleBase() {
                    @Override
                    public Future<?> start() {
                        return vertx.createHttpServer(sameAddress).requestHandler(dispatch)
                            .invalidRequestHandler(BodyLimits::invalidRequest).listen();
                    }
                }));
            }
            String issuer = config.issuerUrlFor(port);

            KeyService keys = new KeyService(keyFile, ring, clock, issuer, config.maxTokenLifetime(),
                    config.clockSkew(), config.maxDelegationDepth());
            state.replicatedKeys(keyFile).ifPresent(shared -> keys.replicate(vertx, shared));
            keys.watch(vertx, config.keysReloadInterval());
            TokenMinter minter = new TokenMinter(issuer, keys);
            TrustedPartners partners = config.trustFile() == null ? TrustedPartners.none()
                    : TrustedPartners.load(config.trustFile());
            partners.discoverAll();   // blocking HTTP: start() runs on a plain thread; failures are retried
            partners.watch(vertx, config.keysReloadInterval());
            // human principals: the trust file's identity_providers (OIDC discovery, blocking here, then followed)
            HumanPrincipals humans = new HumanPrincipals(clock, config.clockSkew());
            humans.update(partners.trust().identityProviders());
            humans.watch(vertx, config.keysReloadInterval(), () -> partners.trust().identityProviders());
            PartnerStatusLists partnerStatus = new PartnerStatusLists(partners, clock, config.partnerStatusRefresh(),
                    config.clockSkew());
            TokenLiveness liveness = new TokenLiveness(state.tokens(), state.agents(), issuer, partnerStatus);
            DelegationPolicy policy = new DelegationPolicy(config.maxDelegationDepth(), config.maxTokenLifetime());
            StatusLists statusLists = new StatusLists(issuer, keys, clock, StatusLists.DEFAULT_TTL, config.clockSkew(),
                    state.statusIndices(), new StatusLists.Caches(state.cache(StoreConfiguration.STATUS_LISTS),
                    state.cache(StoreConfiguration.STATUS_ALLOC), state.cache("tokens"), state.cache("revoked"),
                    state.cache("agents")));
            statusLists.externalRevocation(partnerStatus::revoked);
            statusLists.start(vertx, StatusLists.DEFAULT_PERIOD);
            partnerStatus.onRevocation(statusLists::changed);
            partnerStatus.start(vertx, state.cache("tokens"));
            TokenService tokens = new TokenService(clock, minter, keys, state.tokens(), liveness, policy, statusLists,
                    humans);
            ClientAuthenticator clients = new ClientAuthenticator(state.agents(), state.replay(), clock,
                    Set.of(new Audience(issuer), new Audience(issuer + Routes.TOKEN_PATH),
                            new Audience(issuer + Routes.INTROSPECTION_PATH),
                            new Audience(issuer + Routes.REVOCATION_PATH)));
            SenderBinding binding = senderBinding(config, clock, issuer, state);
            FederationService federation = new FederationService(vertx, issuer, clock, config.clockSkew(), keys,
                    tokens, liveness, policy, state.tokens(), statusLists, state.agents(), state.replay(), partners,
                    partnerStatus);
            RateLimiter limiter = new RateLimiter(config.rateLimits(), clock);
            router.set(Routes.router(new Routes.Wiring(vertx, clock, issuer, adminToken, state, keys, tokens,
                    liveness, clients, config.maxDelegationDepth(), config.maxTokenLifetime(), statusLists,
                    binding, attestations(config, vertx, clock, issuer, state), federation),
                    limiter));
            writePortFile(dataDir, port);
            IssuerServer server = new IssuerServer(vertx, state, http, issuer, port, adminToken, statusLists);
            server.federation = federation;
            server.rateLimiter = limiter;
            return server;
        } catch (RuntimeException e) {
            vertx.close();
            state.close();
            throw e;
        }
    }

    /** Client attestations: trusted attesters from ISSUER_ATTESTERS_FILE (reloaded on change), else none. */
    private static ClientAttestationVerifier attestations(IssuerConfig config, Vertx vertx, Clock clock,
                                                          String issuer, StateStore state) {
        java.util.function.Supplier<TrustedAttesters> attesters = AttestersFile.fixed(TrustedAttesters.NONE);
        if (config.attestersFile() != null) {
            AttestersFile file = AttestersFile.load(config.attestersFile());
            file.watch(vertx, config.keysReloadInterval());
            LOG.info("trusted attesters: " + file.get());
            attesters = file;
        }
        return new ClientAttestationVerifier(attesters, state.replay(), clock, issuer, config.clockSkew());
    }

    /** DPoP always; mutual TLS when the TLS listener requests client certificates of the agent CA. */
    private static SenderBinding senderBinding(IssuerConfig config, Clock clock, String issuer, StateStore state) {
        DpopProofVerifier dpop = new DpopProofVerifier(java.net.URI.create(issuer + Routes.TOKEN_PATH),
                state.replay(), clock, config.clockSkew());
        TlsClientAuthenticator tls = config.tls() == null || !config.tls().mutualTls() ? null
                : new TlsClientAuthenticator(state.agents(),
                        new ClientCertificates(config.tls().clientCaCertificate(), clock));
        return new SenderBinding(dpop, tls);
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.await(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
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
            state.close();
        }
    }

    private static void createPrivateDirectory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                setPermissions(dir, "rwx------");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dir, e);
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

    private static void setPermissions(Path path, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }
}
