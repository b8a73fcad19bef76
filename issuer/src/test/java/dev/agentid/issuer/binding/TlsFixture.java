package dev.agentid.issuer.binding;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import dev.agentid.keys.ca.AgentCa;
import dev.agentid.keys.ca.AgentCsr;
import dev.agentid.keys.ca.Pem;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS material for tests: an agent CA (keys/ {@link AgentCa}) that issues agent client certificates from CSRs,
 * and a self-signed server certificate for 127.0.0.1 (BouncyCastle), written as the PEM files the issuer's
 * ISSUER_TLS_* variables name; HTTP clients that trust the server and present an agent's certificate.
 */
final class TlsFixture {

    final AgentCa ca;
    final X509Certificate serverCertificate;
    final Path serverCertFile;
    final Path serverKeyFile;
    final Path caFile;

    TlsFixture(Path dir, Clock clock) {
        try {
            ca = AgentCa.generate(clock);
            KeyPair server = newKeyPair();
            serverCertificate = selfSigned(server);
            Files.createDirectories(dir);
            serverCertFile = write(dir.resolve("server-cert.pem"), Pem.encode(serverCertificate));
            serverKeyFile = write(dir.resolve("server-key.pem"), pkcs8(server.getPrivate()));
            Files.setPosixFilePermissions(serverKeyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            caFile = write(dir.resolve("agent-ca.pem"), Pem.encode(ca.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ISSUER_TLS_* values of an issuer that serves this certificate and requests agent certificates. */
    Map<String, String> issuerValues() {
        return Map.of(TlsSettings.CERT, serverCertFile.toString(), TlsSettings.KEY, serverKeyFile.toString(),
                TlsSettings.CLIENT_CA, caFile.toString());
    }

    /** An agent certificate for the key, issued by the agent CA from the agent's CSR. */
    X509Certificate certificateFor(ECKey agentKey, String agentId) {
        return ca.issue(AgentCsr.create(agentKey, agentId), agentId, Duration.ofHours(1));
    }

    /** A client that trusts the server and presents no certificate. */
    HttpClient anonymousClient() {
        return client(null, null);
    }

    /** A client that presents {@code certificate} (whose key is {@code agentKey}). */
    HttpClient clientWith(ECKey agentKey, X509Certificate certificate) {
        return client(agentKey, certificate, ca.certificate());
    }

    /** A client that presents {@code certificate} issued by {@code issuer} (another CA than the agent CA). */
    HttpClient clientWith(ECKey agentKey, X509Certificate certificate, X509Certificate issuer) {
        return client(agentKey, certificate, issuer);
    }

    private HttpClient client(ECKey agentKey, X509Certificate certificate) {
        return client(agentKey, certificate, ca.certificate());
    }

    private HttpClient client(ECKey agentKey, X509Certificate certificate, X509Certificate issuer) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", serverCertificate);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = "test".toCharArray();
            if (certificate != null) {
                PrivateKey key = agentKey.toECPrivateKey();
                keys.setKeyEntry("agent", key, password, new Certificate[] {certificate, issuer});
            }
            kmf.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1).build();
        } catch (GeneralSecurityException | IOException | JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BouncyCastleProviderSingleton.getInstance());
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate selfSigned(KeyPair pair)
            throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
        X500Name name = new X500Name("CN=127.0.0.1");
        Instant now = Instant.now();
        org.bouncycastle.cert.X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name, pair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(
                "SHA256withECDSA").setProvider(BouncyCastleProviderSingleton.getInstance()).build(pair.getPrivate())));
    }

    private static String pkcs8(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        return file;
    }
}
