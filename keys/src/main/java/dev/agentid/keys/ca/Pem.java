package dev.agentid.keys.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;

/** PEM text of certificates, certificate signing requests and PKCS#8 private keys (BouncyCastle's PEM codec). */
public final class Pem {

    /** PEM objects of this project are small; anything larger is refused before parsing. */
    static final int MAX_PEM_CHARS = 64 * 1024;

    private Pem() {
    }

    /** PEM text ({@code -----BEGIN ...-----}) of a certificate, a CSR or a private key, ending in a newline. */
    public static String encode(Object object) {
        Object pemObject = object;
        if (object instanceof PrivateKeyInfo info) {
            // PKCS#8 "PRIVATE KEY" for every key type (the generic generator would write SEC1 for EC)
            try {
                pemObject = new PemObject("PRIVATE KEY", info.getEncoded());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot encode the private key", e);
            }
        }
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(pemObject);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode PEM", e);
        }
        return text.toString();
    }

    /**
     * The one {@code CERTIFICATE REQUEST} (or {@code NEW CERTIFICATE REQUEST}) in the text.
     *
     * @throws CertificateRequestException if the text holds no CSR, something else, or is too large
     */
    public static PKCS10CertificationRequest decodeCsr(String pem) {
        Object object;
        try {
            object = decodeOne(pem, "a certificate signing request");
        } catch (IllegalArgumentException e) {
            throw new CertificateRequestException(e.getMessage());
        }
        if (object instanceof PKCS10CertificationRequest csr) {
            return csr;
        }
        throw new CertificateRequestException("the PEM text is not a certificate signing request");
    }

    /**
     * The first {@code CERTIFICATE} in the text, parsed by the JDK's X.509 certificate factory.
     *
     * @throws IllegalArgumentException if the text holds no certificate or is too large
     */
    public static X509Certificate decodeCertificate(String pem) {
        Object object = decodeOne(pem, "a certificate");
        if (!(object instanceof X509CertificateHolder holder)) {
            throw new IllegalArgumentException("the PEM text is not a certificate");
        }
        try {
            return certificate(holder.getEncoded());
        } catch (IOException e) {
            throw new IllegalArgumentException("the PEM certificate cannot be encoded", e);
        }
    }

    /** The PKCS#8 private key info of a {@code PRIVATE KEY} PEM block, or null if the text holds another object. */
    static PrivateKeyInfo decodePrivateKey(String pem) {
        Object object = decodeOne(pem, "a private key");
        return object instanceof PrivateKeyInfo info ? info : null;
    }

    /** A DER certificate parsed by the JDK (SUN provider), the form TLS stacks and PKIX validators expect. */
    static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a DER X.509 certificate", e);
        }
    }

    private static Object decodeOne(String pem, String what) {
        if (pem == null || pem.isBlank()) {
            throw new IllegalArgumentException("no PEM text; expected " + what);
        }
        if (pem.length() > MAX_PEM_CHARS) {
            throw new IllegalArgumentException("the PEM text is larger than " + MAX_PEM_CHARS
                    + " characters; expected " + what);
        }
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object object = parser.readObject();
            if (object != null) {
                return object;
            }
        } catch (IOException | RuntimeException e) {
            // the parser's message may quote the input; it is not repeated
            throw new IllegalArgumentException("the PEM text cannot be parsed; expected " + what);
        }
        throw new IllegalArgumentException("no PEM block found; expected " + what);
    }
}
