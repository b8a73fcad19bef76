package dev.agentid.keys.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Agent certificates in a real TLS 1.3 handshake of the JDK's TLS stack on 127.0.0.1: a server that
 * requires client authentication and trusts only the agent CA accepts an agent certificate it issued
 * and rejects one issued by another CA.
 */
class AgentCertificateTlsTest {

    private static final char[] PASSWORD = "test".toCharArray();
    private static final String AGENT = "planner-7";

    // TLS checks validity against the real clock
    private final Clock clock = Clock.systemUTC();
    private final AgentCa ca = AgentCa.generate(clock);

    private record Server(SSLServerSocket socket, X509Certificate certificate, CompletableFuture<X509Certificate> peer) {
    }

    @Test
    void handshakeWithCertificateFromTheAgentCaThenServerSeesTheAgent() throws Exception {
        ECKey key = AgentCaTest.agentKey();
        X509Certificate certificate = ca.issue(AgentCsr.create(key, AGENT), AGENT, Duration.ofHours(1));

        Server server = startServer();
        try (SSLSocket client = connect(server, key.toECPrivateKey(), certificate)) {
            client.startHandshake();
            client.getOutputStream().write(42);
            client.getOutputStream().flush();
            assertEquals(42, client.getInputStream().read());
        } finally {
            server.socket().close();
        }
        X509Certificate seen = server.peer().get(10, TimeUnit.SECONDS);
        assertEquals(certificate, seen);
        assertEquals(AgentCa.thumbprintS256(certificate), AgentCa.thumbprintS256(seen));
    }

    @Test
    void handshakeWithCertificateFromAnotherCaThenServerRejectsIt() throws Exception {
        ECKey key = AgentCaTest.agentKey();
        X509Certificate foreign = AgentCa.generate(clock).issue(AgentCsr.create(key, AGENT), AGENT, Duration.ofHours(1));

        Server server = startServer();
        boolean echoed = false;
        try (SSLSocket client = connect(server, key.toECPrivateKey(), foreign)) {
            client.startHandshake();
            client.getOutputStream().write(42);
            client.getOutputStream().flush();
            echoed = client.getInputStream().read() == 42;
        } catch (IOException expected) {
            // TLS 1.3: the client learns of the rejection at its first read (bad_certificate alert)
        } finally {
            server.socket().close();
        }
        assertFalse(echoed, "the server must not talk to a client it did not authenticate");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> server.peer().get(10, TimeUnit.SECONDS));
        assertInstanceOf(SSLException.class, e.getCause());
    }

    /** One-connection TLS server: requires a client certificate, trusts only the agent CA, echoes one byte. */
    private Server startServer() throws Exception {
        KeyPair serverKey = AgentCa.newP256KeyPair();
        X509Certificate serverCertificate = serverCertificate(serverKey);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", serverKey.getPrivate(), PASSWORD, new Certificate[] {serverCertificate});
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("agent-ca", ca.certificate());

        SSLContext context = context(keys, trust);
        SSLServerSocket socket = (SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        socket.setNeedClientAuth(true);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        socket.setSoTimeout(10_000);
        CompletableFuture<X509Certificate> peer = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (SSLSocket connection = (SSLSocket) socket.accept()) {
                connection.setSoTimeout(10_000);
                connection.startHandshake();
                X509Certificate client = (X509Certificate) connection.getSession().getPeerCertificates()[0];
                int b = connection.getInputStream().read();
                connection.getOutputStream().write(b);
                connection.getOutputStream().flush();
                peer.complete(client);
            } catch (Throwable t) {
                peer.completeExceptionally(t);
            }
        }, "tls-test-server");
        thread.setDaemon(true);
        thread.start();
        return new Server(socket, serverCertificate, peer);
    }

    /** A client presenting {@code certificate} and trusting any server (the server's identity is not under test). */
    private SSLSocket connect(Server server, PrivateKey key, X509Certificate certificate) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("agent", key, PASSWORD, new Certificate[] {certificate});
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", server.certificate());
        SSLSocket socket = (SSLSocket) context(keys, trust).getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.socket().getLocalPort()), 10_000);
        socket.setSoTimeout(10_000);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        return socket;
    }

    private static X509Certificate serverCertificate(KeyPair pair) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=127.0.0.1");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), name, pair.getPublic());
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        return Pem.certificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .setProvider(BouncyCastleProviderSingleton.getInstance()).build(pair.getPrivate())).getEncoded());
    }

    private static SSLContext context(KeyStore keys, KeyStore trust) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
        trustManagers.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
        assertTrue(context.getProtocol().startsWith("TLS"));
        return context;
    }
}
