package dev.agentid.issuer.binding;

import com.nimbusds.jose.util.X509CertUtils;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.Vertx;
import io.vertx.core.net.TrustOptions;
import java.security.KeyStore;
import java.security.Provider;
import java.util.function.Function;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;

import java.net.Socket;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

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

    /**
     * Switches the server options to TLS, requesting (not requiring) client certificates. The handshake accepts any
     * client certificate: whether it is the agent CA's, valid now and names the agent is decided by the application
     * ({@link ClientCertificates#trusted}), which answers 401 {@code invalid_client} (M01) for a
     * {@code tls_client_auth} request with a foreign certificate, and ignores the certificate of an agent that
     * authenticates with {@code private_key_jwt} (a TLS stack that happens to present some certificate must not
     * break the handshake: no alert 46). No certificate authority hint is sent, so clients are free to choose.
     */
    public HttpServerOptions apply(HttpServerOptions options) {
        options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertPath(certificate.toString())
                .setKeyPath(privateKey.toString()));
        if (clientCa != null) {
            clientCaCertificate();   // fail at startup if the CA file is unusable
            options.setTrustOptions(new AnyClientCertificateOptions())
                    .setClientAuth(ClientAuth.REQUEST);
        }
        return options;
    }

    /** Vert.x trust options yielding {@link AnyClientCertificate} (without Vert.x's wrapper, which needs SLF4J). */
    private static final class AnyClientCertificateOptions implements TrustOptions {
        @Override
        public TrustOptions copy() {
            return this;
        }

        @Override
        public TrustManagerFactory getTrustManagerFactory(Vertx vertx) {
            return new AnyClientCertificateFactory();
        }

        @Override
        public Function<String, TrustManager[]> trustManagerMapper(Vertx vertx) {
            return serverName -> new TrustManager[] {new AnyClientCertificate()};
        }
    }

    private static final class AnyClientCertificateFactory extends TrustManagerFactory {
        AnyClientCertificateFactory() {
            super(new TrustManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore keyStore) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters parameters) {
                }

                @Override
                protected TrustManager[] engineGetTrustManagers() {
                    return new TrustManager[] {new AnyClientCertificate()};
                }
            }, new Provider("agentid-any-client-certificate", "1.0", "application-checked client certificates") {
            }, "agentid-any-client-certificate");
        }
    }

    /**
     * The TLS layer's view of client certificates: any is accepted (the application checks it against the agent
     * CA); this server never checks a server certificate.
     */
    private static final class AnyClientCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("this trust manager checks no server certificate");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("this trust manager checks no server certificate");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("this trust manager checks no server certificate");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    @Override
    public String toString() {
        return "TlsSettings[certificate=" + certificate + ", clientCa=" + clientCa + "]";
    }
}
