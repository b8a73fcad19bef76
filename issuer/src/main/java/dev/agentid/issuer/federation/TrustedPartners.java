package dev.agentid.issuer.federation;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The partner organisations this issuer trusts, from the trust file ({@code ISSUER_TRUST_FILE}), reloaded when the
 * file changes (a broken edit is logged once and the previous trust kept). Each partner is pinned by its issuer
 * identifier and discovered through its RFC 8414 metadata: the metadata's {@code issuer} must equal the pinned one,
 * and its {@code jwks_uri} becomes that partner's own key source (Nimbus {@link JWKSourceBuilder}: cache, rate-limited
 * refetch on an unknown {@code kid}, retry, outage tolerance). Key sources are never merged: a partner's grants and
 * status lists verify with its keys only.
 *
 * <p>Discovery is blocking HTTP through the {@link OutboundFetcher} (deadline, size cap, https only):
 * {@link #reloadIfChanged()} and {@link #watch} run it on a worker thread, never on an event loop, one poll at a
 * time and with no lock held while fetching. A partner whose discovery failed stays configured without keys (its grants are refused as unavailable)
 * and is discovered again on the next poll.
 */
public final class TrustedPartners {

    private static final Logger LOG = Logger.getLogger(TrustedPartners.class.getName());

    /** A discovered partner: its keys. */
    private record Discovered(URI metadataUrl, URL jwksUri, JWKSource<SecurityContext> keys) {
    }

    private record Stamp(long modifiedMillis, long size, Object key) {
    }

    private final Path file;
    private final OutboundFetcher fetcher;
    private volatile TrustConfiguration trust;
    /** Partner issuer to the discovery in flight for it, on whichever thread started it. */
    private final Map<String, CompletableFuture<Void>> discovering = new ConcurrentHashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private final Map<String, Discovered> discovered = new ConcurrentHashMap<>();
    private Stamp stamp;
    /** Partner issuer to when its discovery last failed: retried at most every {@link #RETRY_AFTER}. */
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
    private static final long RETRY_AFTER = 1_000;

    private TrustedPartners(Path file, OutboundFetcher fetcher, TrustConfiguration trust, Stamp stamp) {
        this.file = file;
        this.fetcher = fetcher;
        this.trust = trust;
        this.stamp = stamp;
    }

    /** No partners (no trust file). */
    public static TrustedPartners none() {
        return new TrustedPartners(null, null, TrustConfiguration.EMPTY, null);
    }

    /**
     * Loads the trust file; call {@link #discoverAll()} (blocking) before serving.
     *
     * @throws IllegalArgumentException if the file cannot be read or parsed (the issuer does not start)
     */
    public static TrustedPartners load(Path file, OutboundFetcher fetcher) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(fetcher, "fetcher");
        try {
            Stamp stamp = stamp(file);
            return new TrustedPartners(file, fetcher, TrustConfiguration.parse(Files.readString(file, StandardCharsets.UTF_8)),
                    stamp);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the trust file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trust file " + file + ": " + e.getMessage());
        }
    }

    /** Whether a trust file is configured (the jwt-bearer grant is offered only then). */
    public boolean configured() {
        return file != null;
    }

    /** The trust in force. */
    public TrustConfiguration trust() {
        return trust;
    }

    /** The partner with this issuer identifier, or null when it is not trusted (now). */
    public Partner partner(String issuer) {
        return trust.partner(issuer);
    }

    /** The partner's key source, or null while it is not discovered (metadata or keys not obtained yet). */
    public JWKSource<SecurityContext> keys(String issuer) {
        Partner partner = partner(issuer);
        if (partner == null) {
            return null;
        }
        Discovered d = discovered.get(issuer);
        return d == null || !d.metadataUrl().equals(partner.metadataUrl()) ? null : d.keys();
    }

    /** A reload of the trust file: the partner issuers now, those added and those removed. */
    public record Change(List<String> partners, List<String> added, List<String> removed) {
    }

    private volatile java.util.function.Consumer<Change> onChange;

    /** Told of each reload of a changed trust file after the first load (the audit trail records it). */
    public void onChange(java.util.function.Consumer<Change> listener) {
        this.onChange = listener;
    }

    /** Polls the file, and retries failed discoveries, on a worker thread; stops with the Vert.x instance. */
    public void watch(Vertx vertx, Duration interval) {
        if (file == null) {
            return;
        }
        // one poll at a time: a partner that hangs holds at most one worker thread, for at most the fetch deadline
        vertx.setPeriodic(interval.toMillis(), id -> {
            if (!polling.compareAndSet(false, true)) {
                return;
            }
            vertx.executeBlocking(() -> {
                reloadIfChanged();
                return null;
            }, false).onComplete(r -> polling.set(false))
                    .onFailure(e -> LOG.log(Level.WARNING, "trust file reload failed", e));
        });
    }

    /**
     * Re-reads the trust file if it changed, then discovers every partner not discovered yet. Blocking. True when
     * the file was reloaded.
     */
    public boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        boolean reloaded = rereadIfChanged();
        discoverAll();
        return reloaded;
    }

    private synchronized boolean rereadIfChanged() {
        boolean reloaded = false;
        Stamp now = null;
        try {
            now = stamp(file);
        } catch (NoSuchFileException e) {
            if (stamp != null) {
                LOG.warning("trust file " + file + " is missing; keeping the partners " + issuers());
                stamp = null;
            }
        } catch (IOException e) {
            LOG.warning("trust file " + file + " cannot be read: " + e.getMessage());
        }
        if (now != null && !now.equals(stamp)) {
            stamp = now;   // a broken file is reported once, until it changes again
            try {
                TrustConfiguration next = TrustConfiguration.parse(Files.readString(file, StandardCharsets.UTF_8));
                TrustConfiguration previous = trust;
                List<String> before = previous.partners().stream().map(Partner::issuer).toList();
                trust = next;
                reloaded = true;
                List<String> after = next.partners().stream().map(Partner::issuer).toList();
                java.util.function.Consumer<Change> listener = onChange;
                if (listener != null && !next.equals(previous)) {
                    listener.accept(new Change(after, after.stream().filter(i -> !before.contains(i)).toList(),
                            before.stream().filter(i -> !after.contains(i)).toList()));
                }
                failedAt.clear();   // a changed entry is discovered at once
                LOG.info("reloaded the trust file: partners " + issuers());
            } catch (IOException | IllegalArgumentException e) {
                LOG.warning("trust file " + file + " was not reloaded (keeping partners " + issuers() + "): "
                        + e.getMessage());
            }
        }
        return reloaded;
    }

    /** Re-reads the trust file whatever its time stamp says, then discovers (blocking); for operators and tests. */
    public boolean reload() {
        synchronized (this) {
            stamp = null;
            failedAt.clear();
        }
        return reloadIfChanged();
    }

    /**
     * Discovers every configured partner that has no key source yet and drops those no longer trusted. Blocking (at
     * most the fetch deadline per partner); no lock is held while fetching, and a partner already being discovered
     * by another thread is not fetched twice: that discovery is waited for instead.
     */
    public void discoverAll() {
        List<Partner> todo = new ArrayList<>();
        List<CompletableFuture<Void>> elsewhere = new ArrayList<>();
        Map<String, CompletableFuture<Void>> mine = new HashMap<>();
        synchronized (this) {
            TrustConfiguration current = trust;
            Map<String, Partner> byIssuer = new HashMap<>();
            current.partners().forEach(p -> byIssuer.put(p.issuer(), p));
            discovered.entrySet().removeIf(e -> {
                Partner p = byIssuer.get(e.getKey());
                boolean stale = p == null || !p.metadataUrl().equals(e.getValue().metadataUrl());
                if (stale) {
                    close(e.getValue().keys());
                }
                return stale;
            });
            long now = System.nanoTime() / 1_000_000;
            for (Partner partner : current.partners()) {
                Long failed = failedAt.get(partner.issuer());
                if (!discovered.containsKey(partner.issuer()) && (failed == null || now - failed >= RETRY_AFTER)) {
                    CompletableFuture<Void> ours = new CompletableFuture<>();
                    CompletableFuture<Void> theirs = discovering.putIfAbsent(partner.issuer(), ours);
                    if (theirs == null) {
                        mine.put(partner.issuer(), ours);
                        todo.add(partner);
                    } else {
                        elsewhere.add(theirs);
                    }
                }
            }
        }
        for (Partner partner : todo) {
            try {
                Discovered d = discover(partner);
                synchronized (this) {
                    if (partner.equals(trust.partner(partner.issuer()))) {
                        Discovered before = discovered.put(partner.issuer(), d);
                        if (before != null) {
                            close(before.keys());
                        }
                        failedAt.remove(partner.issuer());
                        LOG.info("discovered partner " + partner.issuer());
                    } else {
                        close(d.keys());   // the trust file changed meanwhile
                    }
                }
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    failedAt.put(partner.issuer(), System.nanoTime() / 1_000_000);
                }
                LOG.warning("partner " + partner.issuer() + " not discovered (retried on the next poll): "
                        + e.getMessage());
            } finally {
                CompletableFuture<Void> ours = mine.get(partner.issuer());
                discovering.remove(partner.issuer(), ours);
                ours.complete(null);
            }
        }
        // a discovery another thread started (the poller, say) is waited for too: when this returns, every partner
        // has been tried once, so a caller never reads "no keys" only because it raced the poller
        if (elsewhere.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(elsewhere.toArray(CompletableFuture[]::new))
                    .get(2 * fetcher.deadline().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warning("a partner discovery on another thread did not finish in time: " + e);
        }
    }

    private Discovered discover(Partner partner) throws IOException {
        OutboundFetcher.Fetched response = fetcher.get(partner.metadataUrl(), "application/json",
                OutboundFetcher.DOCUMENT_BYTES);
        if (response.status() != 200) {
            throw new IOException("metadata " + partner.metadataUrl() + " answered " + response.status());
        }
        JsonObject metadata;
        try {
            metadata = new JsonObject(response.text());
        } catch (RuntimeException e) {
            throw new IOException("metadata " + partner.metadataUrl() + " is not a JSON object");
        }
        if (!partner.issuer().equals(metadata.getValue("issuer"))) {
            throw new IOException("metadata " + partner.metadataUrl() + " names issuer " + metadata.getValue("issuer")
                    + ", not the pinned " + partner.issuer());
        }
        Object jwks = metadata.getValue("jwks_uri");
        if (!(jwks instanceof String)) {
            throw new IOException("metadata " + partner.metadataUrl() + " has no jwks_uri");
        }
        try {
            TrustConfiguration.requireSecureUrl((String) jwks, "jwks_uri of partner '" + partner.issuer() + "'");
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        URI jwksLocation = URI.create((String) jwks);
        fetcher.requireAllowed(jwksLocation);   // https, or loopback http only with the development flag
        URL jwksUri = jwksLocation.toURL();
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUri,
                        fetcher.retriever(OutboundFetcher.DOCUMENT_BYTES))
                .cache(true)
                .rateLimited(true)
                .retrying(true)
                .outageTolerant(true)
                .build();
        try {
            keys.get(new JWKSelector(new JWKMatcher.Builder().build()), null);   // warm the cache, off the event loop
        } catch (KeySourceException e) {
            close(keys);
            throw new IOException("the keys of partner " + partner.issuer() + " cannot be fetched: " + e.getMessage());
        }
        return new Discovered(partner.metadataUrl(), jwksUri, keys);
    }

    private String issuers() {
        return trust.partners().stream().map(Partner::issuer).toList().toString();
    }

    private static void close(JWKSource<SecurityContext> keys) {
        if (keys instanceof Closeable) {
            try {
                ((Closeable) keys).close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private static Stamp stamp(Path file) throws IOException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(attrs.lastModifiedTime().toMillis(), attrs.size(), attrs.fileKey());
    }
}
