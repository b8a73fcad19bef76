package dev.agentid.issuer.binding;

import com.nimbusds.jose.util.X509CertUtils;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;

/**
 * The issuer's optional TLS listener: when {@code ISSUER_TLS_CERT} and {@code ISSUER_TLS_KEY} are set, the issuer
 * serves HTTPS on its port (the issuer URL becomes {@code https://}). With {@code ISSUER_TLS_CLIENT_CA} (the PEM of
 * the agent CA) it also requests, without requiring, a client certificate chaining to that CA: mutual-TLS client
 * authentication ({@code tls_client_auth}, RFC 8705 section 2.1) and certificate-bound tokens
 * ({@code cnf.x5t#S256}, RFC 8705 section 3).
 *
 * @param certificate PEM certificate chain of the server
 * @param privateKey PEM private key of the server (PKCS#8 or SEC1)
 * @param clientCa PEM certificate of the agent CA, or null: no client certificates are requested
 */
public record TlsSettings(Path certificate, Path privateKey, Path clientCa) {

    public static final String CERT = "ISSUER_TLS_CERT";
    public static final String KEY = "ISSUER_TLS_KEY";
    public static final String CLIENT_CA = "ISSUER_TLS_CLIENT_CA";

    public TlsSettings {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    /**
     * The settings of the configuration values, or null when TLS is not configured.
     *
     * @throws IllegalArgumentException when only one of certificate and key is set, a client CA is set without
     *     them, or a file is not readable
     */
    public static TlsSettings fromValues(Map<String, String> values) {
        Path cert = path(values, CERT);
        Path key = path(values, KEY);
        Path ca = path(values, CLIENT_CA);
        if (cert == null && key == null) {
            if (ca != null) {
                throw new IllegalArgumentException(CLIENT_CA + " needs " + CERT + " and " + KEY
                        + ": client certificates are requested only over TLS");
            }
            return null;
        }
        if (cert == null || key == null) {
            throw new IllegalArgumentException(CERT + " and " + KEY + " must be set together");
        }
        TlsSettings settings = new TlsSettings(cert, key, ca);
        if (ca != null) {
            settings.clientCaCertificate();
        }
        return settings;
    }

    private static Path path(Map<String, String> values, String name) {
        String raw = values.get(name);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        Path path = Path.of(raw.trim()).toAbsolutePath().normalize();
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(name + " names a file that cannot be read: " + path);
        }
        return path;
    }

    /** Whether clients may present certificates (tls_client_auth and certificate-bound tokens are available). */
    public boolean mutualTls() {
        return clientCa != null;
    }

    /** The agent CA certificate, or null without {@link #clientCa()}. */
    public X509Certificate clientCaCertificate() {
        if (clientCa == null) {
            return null;
        }
        X509Certificate ca;
        try {
            ca = X509CertUtils.parse(Files.readString(clientCa, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CLIENT_CA + " " + clientCa, e);
        }
        if (ca == null) {
            throw new IllegalArgumentException(CLIENT_CA + " does not hold a PEM certificate: " + clientCa);
        }
        return ca;
    }

    /** Switches the server options to TLS, requesting (not requiring) client certificates of the agent CA. */
    public HttpServerOptions apply(HttpServerOptions options) {
        options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(certificate.toString())
                .setKeyPath(privateKey.toString()));
        if (clientCa != null) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(clientCa.toString()))
                    .setClientAuth(ClientAuth.REQUEST);
        }
        return options;
    }

    @Override
    public String toString() {
        return "TlsSettings[certificate=" + certificate + ", clientCa=" + clientCa + "]";
    }
}
