package dev.agentid.issuer.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.store.ReplicatedKeyFile;
import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.keys.ManagedKey;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The issuer's view of its signing keys: the current {@link KeyRing} snapshot, reloaded from the key
 * file when it changes (a rotation by the CLI is picked up without a restart), and the verifier for
 * this issuer's own tokens, rebuilt once per key-ring change, never per request.
 */
public final class KeyService {

    private static final Logger LOG = Logger.getLogger(KeyService.class.getName());

    private final KeyStoreFile file;
    private final Clock clock;
    private final String issuer;
    private final Duration maxTokenLifetime;
    private final Duration clockSkew;
    private final int maxChainDepth;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    /** Polls of the key file so far ({@link #watch}). */
    private final AtomicLong fileChecks = new AtomicLong();
    /** The cluster's shared key file, or null on a single node; guarded by this. */
    private ReplicatedKeyFile replicated;
    /** Told of every change found in the key file (a rotation with keys.jar), on a worker thread. */
    private volatile java.util.function.Consumer<KeyRing> fileChanged = ring -> { };

    /** Called with the new ring whenever {@link #watch} installs a changed key file. */
    public void onFileChange(java.util.function.Consumer<KeyRing> listener) {
        this.fileChanged = listener;
    }

    private record Snapshot(KeyRing ring, AgentTokenVerifier verifier, VerifiedTokenCache verified) {
    }

    public KeyService(KeyStoreFile file, KeyRing initial, Clock clock, String issuer, Duration maxTokenLifetime,
                      Duration clockSkew, int maxChainDepth) {
        this.file = file;
        this.clock = clock;
        this.issuer = issuer;
        this.maxTokenLifetime = maxTokenLifetime;
        this.clockSkew = clockSkew;
        this.maxChainDepth = maxChainDepth;
        install(initial);
    }

    private void install(KeyRing ring) {
        List<JWK> publicKeys = new ArrayList<>();
        for (ManagedKey key : ring.keys()) {
            publicKeys.add(key.privateJwk().toPublicJWK());
        }
        AgentTokenVerifier verifier = subjectTokenVerifier(issuer, new JWKSet(publicKeys), clock, clockSkew,
                maxChainDepth);
        current.set(new Snapshot(ring, verifier, new VerifiedTokenCache(verifier, clock, clockSkew)));
    }

    /**
     * How the issuer verifies tokens it is handed (subject, actor, introspected and revoked tokens):
     * only its own keys, any audience (the token's audience is the resource it was minted for, not
     * this issuer), the profile's other rules unchanged.
     */
    public static AgentTokenVerifier subjectTokenVerifier(String issuer, JWKSet keys, Clock clock, Duration clockSkew,
                                                          int maxChainDepth) {
        return AgentTokenVerifier.builder()
                .trustIssuer(issuer, keys)
                .anyAudience()
                .maxChainDepth(maxChainDepth)
                .clockSkew(clockSkew)
                .clock(clock)
                .build();
    }

    /**
     * Clustered: shares the key ring through {@code shared} (the cluster's copy wins at start, a local change is
     * published, a change by another node is installed and written to the local file). Blocking; call at start,
     * before {@link #watch}. Without it the key file is this node's alone, as on a single node.
     */
    public void replicate(Vertx vertx, ReplicatedKeyFile shared) {
        synchronized (this) {
            replicated = shared;
            install(shared.join());
        }
        // Infinispan notification thread: hand off at once
        shared.onChange(() -> vertx.executeBlocking(() -> {
            synchronized (this) {
                try {
                    shared.adoptCluster().ifPresent(ring -> {
                        install(ring);
                        LOG.info(() -> "signing keys changed in the cluster: " + ring.keys().size() + " key(s)");
                    });
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "could not install the cluster's signing keys; keeping the previous ones: "
                            + e.getMessage());
                }
            }
            return null;
        }, false));
    }

    /** Polls the key file every {@code interval} on a worker thread; returns the timer id. */
    public long watch(Vertx vertx, Duration interval) {
        return vertx.setPeriodic(interval.toMillis(), id -> vertx.executeBlocking(() -> {
            synchronized (this) {
                try {
                    Optional<KeyRing> changed = file.reloadIfChanged();
                    if (changed.isPresent()) {
                        KeyRing ring = replicated != null ? replicated.publish() : changed.get();
                        install(ring);
                        LOG.info(() -> "signing keys reloaded: " + ring.keys().size() + " key(s)");
                        fileChanged.accept(ring);
                    } else if (replicated != null) {
                        // a change of the cluster's file whose notification did not come (or came before a merge's
                        // reconciliation was over) is adopted here
                        replicated.adoptCluster().ifPresent(ring -> {
                            install(ring);
                            LOG.info(() -> "signing keys changed in the cluster: " + ring.keys().size() + " key(s)");
                        });
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "could not reload signing keys; keeping the previous ones: "
                            + e.getMessage());
                } finally {
                    fileChecks.incrementAndGet();
                }
            }
            return null;
        }, false));
    }

    /** How many times {@link #watch} has checked the key file (the {@code agentid_key_file_checks} gauge). */
    public long fileChecks() {
        return fileChecks.get();
    }

    /** Rotates on a worker thread and installs the result (clustered: publishes it to every node). */
    public Future<KeyRing> rotate(Vertx vertx, Duration activateIn) {
        return vertx.executeBlocking(() -> {
            synchronized (this) {
                KeyRing ring = replicated != null
                        ? replicated.rotate(clock, activateIn, maxTokenLifetime, clockSkew)
                        : file.rotate(clock, activateIn, maxTokenLifetime, clockSkew);
                install(ring);
                return ring;
            }
        }, false);
    }

    /**
     * The one signer of everything this issuer signs (access tokens, chain grants, status lists): an ES256 JWS of
     * {@code claims} with header {@code typ} and the {@code kid} of the key active at {@code at} (key id and signer
     * from one snapshot of the ring).
     */
    public String sign(JOSEObjectType type, JWTClaimsSet claims, Instant at) {
        KeyRing.ActiveSigner active = current.get().ring().activeSigner(at);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(type).keyID(active.keyId())
                .build(), claims);
        try {
            jwt.sign(active.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a " + type + " failed", e);
        }
        return jwt.serialize();
    }

    /** Verifies tokens this issuer signed, with any of its keys (pending, active or retired). */
    public AgentTokenVerifier ownTokenVerifier() {
        return current.get().verifier();
    }

    /**
     * Verifies a token this issuer signed, as {@link #ownTokenVerifier()} does, verifying its signature and claims
     * once per token and key ring ({@link VerifiedTokenCache}); the time checks run on every call.
     */
    public VerifiedAgentToken verifyOwn(String token) throws TokenVerificationException {
        return current.get().verified().verify(token);
    }

    /** The public keys relying parties must know right now. */
    public JWKSet publishedKeys() {
        return current.get().ring().publicJwks(clock.instant(), maxTokenLifetime, clockSkew);
    }
}
