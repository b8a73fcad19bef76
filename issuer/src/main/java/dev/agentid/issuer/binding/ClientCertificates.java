package dev.agentid.issuer.binding;

import com.nimbusds.oauth2.sdk.auth.X509CertificateConfirmation;
import dev.agentid.issuer.domain.AgentRecord;
import io.vertx.core.http.HttpServerRequest;

import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Client certificates of agents (RFC 8705): read from the TLS connection, checked against the agent CA, matched to
 * a registered agent by SAN URI, and thumbprinted for {@code cnf.x5t#S256}. Thread-safe.
 */
public final class ClientCertificates {

    /** The SAN URI the agent CA (keys/ AgentCa) puts in an agent's certificate: this prefix and the agent id. */
    public static final String AGENT_URI_PREFIX = "urn:agentid:agent:";
    /** GeneralName tag of a uniformResourceIdentifier (RFC 5280 section 4.2.1.6). */
    private static final int SAN_URI = 6;
    private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";

    private final X509Certificate ca;
    private final Clock clock;

    public ClientCertificates(X509Certificate ca, Clock clock) {
        this.ca = Objects.requireNonNull(ca);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * The leaf certificate the client presented on this request's TLS connection, or null (plain HTTP, or no
     * certificate sent).
     */
    public static X509Certificate peer(HttpServerRequest request) {
        if (!request.isSSL()) {
            return null;
        }
        try {
            List<Certificate> chain = request.connection().peerCertificates();
            return chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate)
                    ? null : (X509Certificate) chain.get(0);
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /**
     * Whether the agent CA issued the certificate (its signature verifies with the CA key), it is valid now by the
     * issuer's clock, and it may serve TLS client authentication. This is the only check: the TLS handshake accepts any
     * client certificate ({@link TlsSettings#apply}), so that a foreign one gets a 401 (M01), not a handshake abort.
     */
    public boolean trusted(X509Certificate certificate) {
        try {
            if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                return false;
            }
            certificate.verify(ca.getPublicKey());
            certificate.checkValidity(Date.from(clock.instant()));
            List<String> usages = certificate.getExtendedKeyUsage();
            return certificate.getBasicConstraints() < 0 && (usages == null || usages.contains(CLIENT_AUTH_EKU));
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** The SAN URI that names the agent: its registered {@code tls_client_auth_san_uri}, else the agent CA's form. */
    public static String expectedSanUri(AgentRecord agent) {
        return agent.tlsClientAuthSanUri() != null ? agent.tlsClientAuthSanUri() : AGENT_URI_PREFIX + agent.agentId();
    }

    /** Whether the certificate is trusted and names the agent by SAN URI. */
    public boolean identifies(X509Certificate certificate, AgentRecord agent) {
        return trusted(certificate) && sanUris(certificate).contains(expectedSanUri(agent));
    }

    /** The certificate's subjectAltName URIs. */
    public static Set<String> sanUris(X509Certificate certificate) {
        Set<String> uris = new LinkedHashSet<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> name : certificate.getSubjectAlternativeNames()) {
                    if (name.size() == 2 && Integer.valueOf(SAN_URI).equals(name.get(0))
                            && name.get(1) instanceof String) {
                        uris.add((String) name.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SAN: names nothing
        }
        return uris;
    }

    /** RFC 8705 section 3.1: {@code x5t#S256}, the base64url SHA-256 of the certificate's DER encoding. */
    public static String thumbprint(X509Certificate certificate) {
        return X509CertificateConfirmation.of(certificate).getValue().toString();
    }
}
