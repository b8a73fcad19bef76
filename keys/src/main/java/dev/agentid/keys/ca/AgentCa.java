package dev.agentid.keys.ca;

import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.util.X509CertUtils;
import dev.agentid.keys.KeyFileException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The agent CA: an EC P-256 key and a self-signed CA certificate that issue short-lived X.509
 * certificates to agents from a PKCS#10 certificate signing request. The certificates serve mutual TLS
 * client authentication (RFC 8705 {@code tls_client_auth}) and certificate-bound access tokens
 * ({@code cnf.x5t#S256}, see {@link #thumbprintS256(X509Certificate)}).
 *
 * <p>On disk, in the issuer's data directory: {@code DATA_DIR/ca/ca-key.pem} (PKCS#8 {@code PRIVATE KEY},
 * file 0600, directory 0700) and {@code DATA_DIR/ca/ca-cert.pem}. Like the signing keys, loading refuses
 * a key file that group or others may access instead of fixing it.
 *
 * <p>What {@link #issue} guarantees: the CSR's signature verifies with the key it carries (proof of
 * possession); the key is EC P-256 or RSA of at least 2048 bits; the certificate names the agent only as
 * the CA decides (subject {@code CN=<agentId>}, SAN URI {@code urn:agentid:agent:<agentId>}), whatever
 * the CSR asks for; it is an end-entity certificate for TLS client authentication only (keyUsage
 * digitalSignature, extendedKeyUsage clientAuth); it lives at most {@link #MAX_LIFETIME} and never past
 * the CA certificate. All signing and key generation use the BouncyCastle provider object; nothing is
 * registered globally. Instances are immutable and thread-safe.
 */
public final class AgentCa {

    /** Lifetime of an agent certificate unless the caller asks for less. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    /** The longest agent certificate the CA issues. */
    public static final Duration MAX_LIFETIME = Duration.ofDays(7);
    /** Validity of a new CA certificate. */
    public static final Duration CA_VALIDITY = Duration.ofDays(365);
    /** Issued certificates start this much before "now", so a verifier with a slow clock accepts them. */
    public static final Duration BACKDATE = Duration.ofMinutes(1);
    /** Prefix of the SAN URI that names an agent: {@code urn:agentid:agent:<agentId>}. */
    public static final String AGENT_URI_PREFIX = "urn:agentid:agent:";
    /** The agent ids the issuer registers (same rule as its admin API), so the URI needs no escaping. */
    public static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    /** The smallest accepted RSA modulus. */
    public static final int MIN_RSA_BITS = 2048;

    static final String DIR_NAME = "ca";
    static final String KEY_FILE = "ca-key.pem";
    static final String CERT_FILE = "ca-cert.pem";
    private static final long MAX_FILE_BYTES = 64 * 1024;

    private static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** CSR signature algorithms accepted for the proof of possession (no SHA-1, no MD5). */
    private static final Set<ASN1ObjectIdentifier> CSR_SIGNATURE_ALGORITHMS = Set.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, X9ObjectIdentifiers.ecdsa_with_SHA384,
            X9ObjectIdentifiers.ecdsa_with_SHA512,
            PKCSObjectIdentifiers.sha256WithRSAEncryption, PKCSObjectIdentifiers.sha384WithRSAEncryption,
            PKCSObjectIdentifiers.sha512WithRSAEncryption, PKCSObjectIdentifiers.id_RSASSA_PSS);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final Clock clock;

    private AgentCa(PrivateKey key, X509Certificate certificate, Clock clock) {
        this.key = key;
        this.certificate = certificate;
        this.clock = clock;
    }

    // --- lifecycle ----------------------------------------------------------------------------------

    /** Whether {@code DATA_DIR/ca/ca-cert.pem} or {@code ca-key.pem} exists (says nothing about validity). */
    public static boolean exists(Path dataDir) {
        Path dir = dataDir.resolve(DIR_NAME);
        return Files.exists(dir.resolve(KEY_FILE)) || Files.exists(dir.resolve(CERT_FILE));
    }

    /**
     * Generates a new CA and stores it in {@code DATA_DIR/ca}: the key file is created 0600 from the
     * start and never overwritten.
     *
     * @throws KeyFileException if a CA already exists there or the files cannot be written
     */
    public static AgentCa create(Path dataDir, Clock clock) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        if (exists(dataDir)) {
            throw new KeyFileException("an agent CA already exists in " + dataDir.resolve(DIR_NAME)
                    + "; it is never overwritten");
        }
        AgentCa ca = generate(clock);
        Path dir = dataDir.resolve(DIR_NAME);
        createDirectory(dir);
        writeNew(dir.resolve(KEY_FILE), Pem.encode(PrivateKeyInfo.getInstance(ca.key.getEncoded())), true);
        writeNew(dir.resolve(CERT_FILE), Pem.encode(ca.certificate), false);
        return ca;
    }

    /**
     * Loads the CA of {@code DATA_DIR/ca}, checking that the key file is not accessible by group or
     * others, that the certificate is a self-signed CA certificate, and that the key belongs to it.
     *
     * @throws KeyFileException with an operator message (never key material) if a check fails
     */
    public static AgentCa load(Path dataDir, Clock clock) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Path dir = dataDir.resolve(DIR_NAME);
        Path keyFile = dir.resolve(KEY_FILE);
        Path certFile = dir.resolve(CERT_FILE);
        checkKeyFilePermissions(keyFile);
        PrivateKeyInfo info;
        try {
            info = Pem.decodePrivateKey(read(keyFile));
        } catch (IllegalArgumentException e) {
            info = null;
        }
        if (info == null) {
            throw new KeyFileException("CA key file " + keyFile + " does not hold a PKCS#8 PRIVATE KEY");
        }
        PrivateKey key;
        try {
            key = new JcaPEMKeyConverter().setProvider(BouncyCastleProviderSingleton.getInstance())
                    .getPrivateKey(info);
        } catch (IOException e) {
            throw new KeyFileException("CA key file " + keyFile + " holds an unreadable key");
        }
        X509Certificate certificate;
        try {
            certificate = Pem.decodeCertificate(read(certFile));
        } catch (IllegalArgumentException e) {
            throw new KeyFileException("CA certificate file " + certFile + " does not hold a certificate: "
                    + e.getMessage());
        }
        if (certificate.getBasicConstraints() < 0) {
            throw new KeyFileException("the certificate in " + certFile + " is not a CA certificate");
        }
        if (!verifies(certificate, certificate.getPublicKey())) {
            throw new KeyFileException("the certificate in " + certFile + " is not self-signed");
        }
        if (!keyMatches(key, certificate.getPublicKey())) {
            throw new KeyFileException("the CA key in " + keyFile + " does not belong to the certificate in "
                    + certFile);
        }
        return new AgentCa(key, certificate, clock);
    }

    /**
     * A new CA held in memory only (nothing is written): for tests, and for callers that store it
     * themselves. The CA certificate is valid from {@link #BACKDATE} before now for {@link #CA_VALIDITY}.
     */
    public static AgentCa generate(Clock clock) {
        Objects.requireNonNull(clock, "clock");
        KeyPair pair = newP256KeyPair();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        // a distinct name per CA, so that two CAs are never confused by issuer name
        X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "agentid")
                .addRDN(BCStyle.CN, "agentid agent CA " + HexFormat.of().formatHex(id))
                .build();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serialNumber(),
                    Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate certificate = Pem.certificate(builder.build(signer(pair.getPrivate())).getEncoded());
            return new AgentCa(pair.getPrivate(), certificate, clock);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the CA certificate", e);
        }
    }

    // --- issuing ------------------------------------------------------------------------------------

    /** The CA certificate: the trust anchor of relying parties that accept agent certificates. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** {@link #issue(PKCS10CertificationRequest, String, Duration)} with {@link #DEFAULT_LIFETIME}. */
    public X509Certificate issue(PKCS10CertificationRequest csr, String agentId) {
        return issue(csr, agentId, DEFAULT_LIFETIME);
    }

    /**
     * Issues an agent certificate for the key of {@code csr}.
     *
     * @param agentId  the registered agent id; becomes {@code CN} and the SAN URI. The caller (the
     *                 issuer or the operator) decides it; the CSR cannot.
     * @param lifetime positive, at most {@link #MAX_LIFETIME}
     * @throws CertificateRequestException if the CSR's signature algorithm is not accepted, its
     *         signature does not verify, its key is neither EC P-256 nor RSA of at least 2048 bits, or its
     *         subject names another agent (a {@code CN} other than {@code agentId})
     * @throws IllegalArgumentException for an invalid agent id or lifetime
     * @throws IllegalStateException if the certificate would outlive the CA certificate
     */
    public X509Certificate issue(PKCS10CertificationRequest csr, String agentId, Duration lifetime) {
        Objects.requireNonNull(csr, "csr");
        checkAgentId(agentId);
        Objects.requireNonNull(lifetime, "lifetime");
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("the certificate lifetime must be positive and at most "
                    + MAX_LIFETIME.toDays() + " days: " + lifetime);
        }
        PublicKey publicKey = checkedPublicKey(csr);
        checkSubject(csr.getSubject(), agentId);

        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(lifetime);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            throw new IllegalStateException("the CA certificate expires at " + certificate.getNotAfter().toInstant()
                    + ", before the requested certificate would (" + notAfter + "); create a new CA");
        }
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, agentId).build();
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serialNumber(),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                            new GeneralName(GeneralName.uniformResourceIdentifier, agentUri(agentId))))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(publicKey));
            return Pem.certificate(builder.build(signer(key)).getEncoded());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue the agent certificate", e);
        }
    }

    // --- helpers for relying parties ----------------------------------------------------------------

    /**
     * The RFC 8705 section 3.1 certificate thumbprint, the value of {@code cnf.x5t#S256}:
     * base64url (no padding) of the SHA-256 of the certificate's DER encoding.
     */
    public static String thumbprintS256(X509Certificate certificate) {
        Objects.requireNonNull(certificate, "certificate");
        try {
            certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the certificate cannot be encoded", e);
        }
        return X509CertUtils.computeSHA256Thumbprint(certificate).toString();
    }

    /** The SAN URI that names an agent: {@code urn:agentid:agent:<agentId>}. */
    public static String agentUri(String agentId) {
        checkAgentId(agentId);
        return AGENT_URI_PREFIX + agentId;
    }

    /** @throws IllegalArgumentException unless {@code agentId} matches {@link #AGENT_ID} */
    public static void checkAgentId(String agentId) {
        if (agentId == null || !AGENT_ID.matcher(agentId).matches()) {
            throw new IllegalArgumentException("the agent id must match " + AGENT_ID.pattern());
        }
    }

    // --- CSR checks ---------------------------------------------------------------------------------

    private static PublicKey checkedPublicKey(PKCS10CertificationRequest csr) {
        ASN1ObjectIdentifier signatureAlgorithm = csr.getSignatureAlgorithm().getAlgorithm();
        if (!CSR_SIGNATURE_ALGORITHMS.contains(signatureAlgorithm)) {
            throw new CertificateRequestException("the CSR signature algorithm " + signatureAlgorithm
                    + " is not accepted (use ECDSA or RSA with SHA-256 or stronger)");
        }
        SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
        ASN1ObjectIdentifier keyAlgorithm = spki.getAlgorithm().getAlgorithm();
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(keyAlgorithm)) {
            ASN1Encodable curve = spki.getAlgorithm().getParameters();
            if (!SECObjectIdentifiers.secp256r1.equals(curve)) {
                throw new CertificateRequestException("the CSR's EC key is not on the named curve P-256"
                        + " (explicit curve parameters are refused, RFC 5480)");
            }
        } else if (!PKCSObjectIdentifiers.rsaEncryption.equals(keyAlgorithm)) {
            throw new CertificateRequestException("the CSR's key type " + keyAlgorithm
                    + " is not accepted (EC P-256 or RSA of at least " + MIN_RSA_BITS + " bits)");
        }
        PublicKey publicKey;
        try {
            JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr)
                    .setProvider(BouncyCastleProviderSingleton.getInstance());
            publicKey = jca.getPublicKey();
            boolean valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder()
                    .setProvider(BouncyCastleProviderSingleton.getInstance()).build(spki));
            if (!valid) {
                throw new CertificateRequestException(
                        "the CSR signature does not verify with its key (no proof of possession)");
            }
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
            if (e instanceof CertificateRequestException c) {
                throw c;
            }
            throw new CertificateRequestException("the CSR's key or signature cannot be checked: "
                    + e.getClass().getSimpleName());
        }
        if (publicKey instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new CertificateRequestException("the CSR's RSA key has " + rsa.getModulus().bitLength()
                    + " bits; at least " + MIN_RSA_BITS + " are required");
        }
        if (!(publicKey instanceof RSAPublicKey) && !(publicKey instanceof ECPublicKey)) {
            throw new CertificateRequestException("the CSR's key is neither EC nor RSA");
        }
        return publicKey;
    }

    /** The CSR's subject is not used; it may be empty, and a CN in it must be the agent id. */
    private static void checkSubject(X500Name subject, String agentId) {
        for (RDN rdn : subject.getRDNs(BCStyle.CN)) {
            String cn = rdn.getFirst().getValue().toString();
            if (rdn.isMultiValued() || !agentId.equals(cn)) {
                throw new CertificateRequestException("the CSR's subject names CN=" + cn + ", not the agent '"
                        + agentId + "'");
            }
        }
    }

    // --- crypto helpers -----------------------------------------------------------------------------

    private static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder("SHA256withECDSA")
                    .setProvider(BouncyCastleProviderSingleton.getInstance()).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("BouncyCastle cannot sign with the CA key", e);
        }
    }

    /** A random positive serial number of 128 bits (RFC 5280 section 4.1.2.2: at most 20 octets). */
    private static BigInteger serialNumber() {
        byte[] bytes = new byte[16];
        BigInteger serial;
        do {
            RANDOM.nextBytes(bytes);
            serial = new BigInteger(1, bytes);
        } while (serial.signum() == 0);
        return serial;
    }

    static KeyPair newP256KeyPair() {
        try {
            KeyPairGenerator generator =
                    KeyPairGenerator.getInstance("EC", BouncyCastleProviderSingleton.getInstance());
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("BouncyCastle cannot generate a P-256 key pair", e);
        }
    }

    private static boolean verifies(X509Certificate certificate, PublicKey key) {
        try {
            certificate.verify(key);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Whether the private key belongs to the public key: a signature made with one verifies with the other. */
    private static boolean keyMatches(PrivateKey privateKey, PublicKey publicKey) {
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature sign = Signature.getInstance("SHA256withECDSA", BouncyCastleProviderSingleton.getInstance());
            sign.initSign(privateKey);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance("SHA256withECDSA", BouncyCastleProviderSingleton.getInstance());
            verify.initVerify(publicKey);
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    // --- files --------------------------------------------------------------------------------------

    private static void createDirectory(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                return;
            }
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_PERMS));
            } else {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new KeyFileException("cannot create the CA directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeNew(Path file, String text, boolean secret) {
        FileAttribute<?>[] attributes = secret && file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_PERMS)}
                : new FileAttribute<?>[0];
        boolean created = false;
        try (SeekableByteChannel channel = Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)) {
            created = true;
            ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (channel instanceof FileChannel fileChannel) {
                fileChannel.force(true);
            }
        } catch (FileAlreadyExistsException e) {
            throw new KeyFileException(file + " already exists; refusing to overwrite it");
        } catch (IOException e) {
            if (created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // the write error is the one to report
                }
            }
            throw new KeyFileException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new KeyFileException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file + " does not exist; run 'ca init' first");
        } catch (IOException e) {
            throw new KeyFileException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkKeyFilePermissions(Path file) {
        if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
            return;
        }
        try {
            PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new KeyFileException("CA key file " + file + " is not a regular file");
            }
            Set<PosixFilePermission> wider = EnumSet.copyOf(GROUP_OTHER);
            wider.retainAll(attributes.permissions());
            if (!wider.isEmpty()) {
                throw new KeyFileException("permissions " + PosixFilePermissions.toString(attributes.permissions())
                        + " for CA key file " + file + " are too open: it must not be accessible by group or"
                        + " others. Refusing to use it; run 'chmod 600 " + file + "' (and consider a new CA if"
                        + " someone may have read the key)");
            }
        } catch (NoSuchFileException e) {
            throw new KeyFileException("CA key file " + file + " does not exist; run 'ca init' first");
        } catch (IOException e) {
            throw new KeyFileException("cannot stat CA key file " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "AgentCa[" + certificate.getSubjectX500Principal().getName() + ", until "
                + certificate.getNotAfter().toInstant() + "]";
    }
}
