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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Discovery is blocking HTTP: {@link #reloadIfChanged()} and {@link #watch} run it on a worker thread, never on an
 * event loop. A partner whose discovery failed stays configured without keys (its grants are refused as unavailable)
 * and is discovered again on the next poll.
 */
public final class TrustedPartners {

    private static final Logger LOG = Logger.getLogger(TrustedPartners.class.getName());
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

    /** A discovered partner: its keys. */
    private record Discovered(URI metadataUrl, URL jwksUri, JWKSource<SecurityContext> keys) {
    }

    private record Stamp(long modifiedMillis, long size, Object key) {
    }

    private final Path file;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile TrustConfiguration trust;
    private final Map<String, Discovered> discovered = new ConcurrentHashMap<>();
    private Stamp stamp;
    /** Partner issuer to when its discovery last failed: retried at most every {@link #RETRY_AFTER}. */
    private final Map<String, Long> failedAt = new HashMap<>();
    private static final long RETRY_AFTER = 1_000;

    private TrustedPartners(Path file, TrustConfiguration trust, Stamp stamp) {
        this.file = file;
        this.trust = trust;
        this.stamp = stamp;
    }

    /** No partners (no trust file). */
    public static TrustedPartners none() {
        return new TrustedPartners(null, TrustConfiguration.EMPTY, null);
    }

    /**
     * Loads the trust file; call {@link #discoverAll()} (blocking) before serving.
     *
     * @throws IllegalArgumentException if the file cannot be read or parsed (the issuer does not start)
     */
    public static TrustedPartners load(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            Stamp stamp = stamp(file);
            return new TrustedPartners(file, TrustConfiguration.parse(Files.readString(file, StandardCharsets.UTF_8)),
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

    /** Polls the file, and retries failed discoveries, on a worker thread; stops with the Vert.x instance. */
    public void watch(Vertx vertx, Duration interval) {
        if (file == null) {
            return;
        }
        vertx.setPeriodic(interval.toMillis(), id -> vertx.executeBlocking(() -> {
            reloadIfChanged();
            return null;
        }, false).onFailure(e -> LOG.log(Level.WARNING, "trust file reload failed", e)));
    }

    /**
     * Re-reads the trust file if it changed, then discovers every partner not discovered yet. Blocking. True when
     * the file was reloaded.
     */
    public synchronized boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
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
                trust = next;
                reloaded = true;
                failedAt.clear();   // a changed entry is discovered at once
                LOG.info("reloaded the trust file: partners " + issuers());
            } catch (IOException | IllegalArgumentException e) {
                LOG.warning("trust file " + file + " was not reloaded (keeping partners " + issuers() + "): "
                        + e.getMessage());
            }
        }
        discoverAll();
        return reloaded;
    }

    /** Re-reads the trust file whatever its time stamp says, then discovers (blocking); for operators and tests. */
    public synchronized boolean reload() {
        stamp = null;
        failedAt.clear();
        return reloadIfChanged();
    }

    /** Discovers every configured partner that has no key source yet and drops those no longer trusted. Blocking. */
    public synchronized void discoverAll() {
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
                try {
                    discovered.put(partner.issuer(), discover(partner));
                    failedAt.remove(partner.issuer());
                    LOG.info("discovered partner " + partner.issuer());
                } catch (IOException | RuntimeException e) {
                    failedAt.put(partner.issuer(), now);
                    LOG.warning("partner " + partner.issuer() + " not discovered (retried on the next poll): "
                            + e.getMessage());
                }
            }
        }
    }

    private Discovered discover(Partner partner) throws IOException {
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(partner.metadataUrl()).timeout(HTTP_TIMEOUT)
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (response.statusCode() != 200) {
            throw new IOException("metadata " + partner.metadataUrl() + " answered " + response.statusCode());
        }
        JsonObject metadata;
        try {
            metadata = new JsonObject(response.body());
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
        TrustConfiguration.requireSecureUrl((String) jwks, "jwks_uri of partner '" + partner.issuer() + "'");
        URL jwksUri = URI.create((String) jwks).toURL();
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUri)
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
