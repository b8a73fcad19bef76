package dev.agentid.keys.ca;

import dev.agentid.keys.TestClock;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import dev.agentid.keys.AgentKeyFile;
import dev.agentid.keys.KeyFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCaTest {

    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final String AGENT = "planner-7";

    @TempDir
    Path dataDir;

    private final TestClock clock = new TestClock(NOW);
    private final AgentCa ca = AgentCa.generate(clock);

    static ECKey agentKey() {
        return AgentKeyFile.generate(Clock.systemUTC(), null);
    }

    static KeyPair keyPair(String algorithm, Object spec) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm, BouncyCastleProviderSingleton.getInstance());
        if (spec instanceof Integer bits) {
            generator.initialize(bits);
        } else {
            generator.initialize((ECGenParameterSpec) spec);
        }
        return generator.generateKeyPair();
    }

    private static void validate(X509Certificate certificate, X509Certificate anchor, Instant at) throws Exception {
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate));
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(path, parameters);
    }

    @Test
    void issueFromCsrThenChainValidatesWithPkixAgainstTheCa() throws Exception {
        X509Certificate certificate = ca.issue(AgentCsr.create(agentKey(), AGENT), AGENT);

        validate(certificate, ca.certificate(), NOW);
    }

    @Test
    void issuedCertificateWhenValidatedAgainstAnotherCaThenRefused() throws Exception {
        X509Certificate certificate = ca.issue(AgentCsr.create(agentKey(), AGENT), AGENT);
        AgentCa other = AgentCa.generate(clock);

        assertThrows(CertPathValidatorException.class, () -> validate(certificate, other.certificate(), NOW));
    }

    @Test
    void issuedCertificateIsAShortLivedClientAuthEndEntityCertificateNamingTheAgent() throws Exception {
        ECKey key = agentKey();
        X509Certificate certificate = ca.issue(AgentCsr.create(key, AGENT), AGENT);

        assertEquals("CN=" + AGENT, certificate.getSubjectX500Principal().getName());
        assertEquals(ca.certificate().getSubjectX500Principal(), certificate.getIssuerX500Principal());
        assertEquals(key.toECPublicKey(), certificate.getPublicKey());
        Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
        assertEquals(List.of(List.of(6, "urn:agentid:agent:" + AGENT)), List.copyOf(sans));
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), certificate.getExtendedKeyUsage()); // id-kp-clientAuth only
        boolean[] keyUsage = certificate.getKeyUsage();
        assertTrue(keyUsage[0], "digitalSignature");
        for (int i = 1; i < keyUsage.length; i++) {
            assertFalse(keyUsage[i], "only digitalSignature, bit " + i);
        }
        assertTrue(certificate.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
        assertEquals(-1, certificate.getBasicConstraints());
        assertEquals(NOW.minusSeconds(60), certificate.getNotBefore().toInstant());
        assertEquals(NOW.plus(Duration.ofHours(24)), certificate.getNotAfter().toInstant());
        assertTrue(certificate.getSerialNumber().signum() > 0);
        assertTrue(certificate.getSerialNumber().bitLength() <= 128);
        assertEquals("SHA256withECDSA", certificate.getSigAlgName());

        byte[] caSki = SubjectKeyIdentifier.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(
                        ca.certificate().getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets())
                .getKeyIdentifier();
        byte[] aki = AuthorityKeyIdentifier.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(
                        certificate.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets())
                .getKeyIdentifierObject().getOctets();
        assertArrayEquals(caSki, aki);
        assertTrue(certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId()) != null);
    }

    @Test
    void twoCertificatesForTheSameCsrHaveDifferentRandomSerials() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), AGENT);

        assertNotEquals(ca.issue(csr, AGENT).getSerialNumber(), ca.issue(csr, AGENT).getSerialNumber());
    }

    @Test
    void caCertificateIsASelfSignedCaWithPathLengthZeroForCertificateSigning() throws Exception {
        X509Certificate certificate = ca.certificate();

        assertEquals(0, certificate.getBasicConstraints());
        boolean[] keyUsage = certificate.getKeyUsage();
        assertTrue(keyUsage[5], "keyCertSign");
        assertFalse(keyUsage[0], "no digitalSignature");
        certificate.verify(certificate.getPublicKey());
        assertEquals(NOW.plus(AgentCa.CA_VALIDITY), certificate.getNotAfter().toInstant());
    }

    @Test
    void lifetimeWhenLongerThanSevenDaysThenRefused() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), AGENT);

        assertThrows(IllegalArgumentException.class,
                () -> ca.issue(csr, AGENT, Duration.ofDays(7).plusSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ca.issue(csr, AGENT, Duration.ZERO));
        assertEquals(NOW.plus(Duration.ofDays(7)),
                ca.issue(csr, AGENT, Duration.ofDays(7)).getNotAfter().toInstant());
    }

    @Test
    void issueWhenCertificateWouldOutliveTheCaThenRefused() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), AGENT);
        clock.advance(AgentCa.CA_VALIDITY.minusHours(1));

        assertThrows(IllegalStateException.class, () -> ca.issue(csr, AGENT, Duration.ofHours(2)));
        assertEquals(clock.instant().plusSeconds(3600),
                ca.issue(csr, AGENT, Duration.ofHours(1)).getNotAfter().toInstant());
    }

    @Test
    void csrWhenSignatureDoesNotVerifyThenRefusedAsNoProofOfPossession() {
        CertificationRequest valid = AgentCsr.create(agentKey(), AGENT).toASN1Structure();
        byte[] signature = valid.getSignature().getBytes();
        signature[signature.length - 1] ^= 0x01;
        PKCS10CertificationRequest tampered = new PKCS10CertificationRequest(new CertificationRequest(
                valid.getCertificationRequestInfo(), valid.getSignatureAlgorithm(),
                new org.bouncycastle.asn1.DERBitString(signature)));

        CertificateRequestException e = assertThrows(CertificateRequestException.class,
                () -> ca.issue(tampered, AGENT));
        assertTrue(e.getMessage().contains("proof of possession"), e.getMessage());
    }

    @Test
    void csrWhenSignedByAnotherKeyThenRefused() throws Exception {
        KeyPair claimed = keyPair("EC", new ECGenParameterSpec("secp256r1"));
        KeyPair signer = keyPair("EC", new ECGenParameterSpec("secp256r1"));
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + AGENT),
                claimed.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA")
                .setProvider(BouncyCastleProviderSingleton.getInstance()).build(signer.getPrivate()));

        assertThrows(CertificateRequestException.class, () -> ca.issue(csr, AGENT));
    }

    @Test
    void csrWhenRsaKeyShorterThan2048BitsThenRefused() throws Exception {
        PKCS10CertificationRequest csr = AgentCsr.create(keyPair("RSA", 1024), AGENT);

        CertificateRequestException e = assertThrows(CertificateRequestException.class, () -> ca.issue(csr, AGENT));
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
    }

    @Test
    void csrWithRsa2048KeyIsAccepted() throws Exception {
        PKCS10CertificationRequest csr = AgentCsr.create(keyPair("RSA", 2048), AGENT);

        validate(ca.issue(csr, AGENT), ca.certificate(), NOW);
    }

    @Test
    void csrWhenEcKeyNotOnP256ThenRefused() throws Exception {
        PKCS10CertificationRequest csr = AgentCsr.create(keyPair("EC", new ECGenParameterSpec("secp384r1")), AGENT);

        assertThrows(CertificateRequestException.class, () -> ca.issue(csr, AGENT));
    }

    @Test
    void csrWhenSignedWithSha1ThenRefused() throws Exception {
        KeyPair pair = keyPair("EC", new ECGenParameterSpec("secp256r1"));
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + AGENT),
                pair.getPublic()).build(new JcaContentSignerBuilder("SHA1withECDSA")
                .setProvider(BouncyCastleProviderSingleton.getInstance()).build(pair.getPrivate()));

        assertThrows(CertificateRequestException.class, () -> ca.issue(csr, AGENT));
    }

    @Test
    void csrWhenSubjectNamesAnotherAgentThenRefused() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), "someone-else");

        assertThrows(CertificateRequestException.class, () -> ca.issue(csr, AGENT));
    }

    @Test
    void csrSubjectIsIgnoredBeyondTheCheckTheCaNamesTheAgent() throws Exception {
        KeyPair pair = keyPair("EC", new ECGenParameterSpec("secp256r1"));
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
                new X500Name("O=Evil Corp, OU=admins"), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA")
                        .setProvider(BouncyCastleProviderSingleton.getInstance()).build(pair.getPrivate()));

        assertEquals("CN=" + AGENT, ca.issue(csr, AGENT).getSubjectX500Principal().getName());
    }

    @Test
    void issueWhenAgentIdInvalidThenRefused() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), AGENT);

        assertThrows(IllegalArgumentException.class, () -> ca.issue(csr, "bad id,CN=admin"));
        assertThrows(IllegalArgumentException.class, () -> ca.issue(csr, ""));
    }

    @Test
    void thumbprintIsBase64UrlSha256OfTheDerCertificate() throws Exception {
        X509Certificate certificate = ca.issue(AgentCsr.create(agentKey(), AGENT), AGENT);

        String expected = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        assertEquals(expected, AgentCa.thumbprintS256(certificate));
        assertEquals(43, expected.length());
    }

    @Test
    void createStoresKey0600InDirectory0700AndLoadReadsTheSameCa() throws Exception {
        AgentCa created = AgentCa.create(dataDir, clock);

        Path dir = dataDir.resolve("ca");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem"))));
        assertTrue(Files.readString(dir.resolve("ca-key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(dir.resolve("ca-cert.pem")).startsWith("-----BEGIN CERTIFICATE-----"));

        AgentCa loaded = AgentCa.load(dataDir, clock);
        assertEquals(created.certificate(), loaded.certificate());
        validate(loaded.issue(AgentCsr.create(agentKey(), AGENT), AGENT), created.certificate(), NOW);
    }

    @Test
    void createWhenCaExistsThenRefusedAndNothingIsOverwritten() throws Exception {
        AgentCa.create(dataDir, clock);
        byte[] key = Files.readAllBytes(dataDir.resolve("ca/ca-key.pem"));

        assertThrows(KeyFileException.class, () -> AgentCa.create(dataDir, clock));
        assertArrayEquals(key, Files.readAllBytes(dataDir.resolve("ca/ca-key.pem")));
    }

    @Test
    void loadWhenKeyFileReadableByOthersThenRefused() throws Exception {
        AgentCa.create(dataDir, clock);
        Files.setPosixFilePermissions(dataDir.resolve("ca/ca-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));

        KeyFileException e = assertThrows(KeyFileException.class, () -> AgentCa.load(dataDir, clock));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void loadWhenKeyDoesNotBelongToTheCertificateThenRefused() throws Exception {
        AgentCa.create(dataDir, clock);
        Files.writeString(dataDir.resolve("ca/ca-cert.pem"), Pem.encode(AgentCa.generate(clock).certificate()),
                StandardCharsets.US_ASCII);

        assertThrows(KeyFileException.class, () -> AgentCa.load(dataDir, clock));
    }

    @Test
    void loadWhenNoCaThenRefusedWithAHint() {
        KeyFileException e = assertThrows(KeyFileException.class, () -> AgentCa.load(dataDir, clock));
        assertTrue(e.getMessage().contains("ca init"), e.getMessage());
    }

    @Test
    void pemRoundTripsCsrAndCertificate() {
        PKCS10CertificationRequest csr = AgentCsr.create(agentKey(), AGENT);
        X509Certificate certificate = ca.issue(csr, AGENT);

        assertEquals(csr, Pem.decodeCsr(Pem.encode(csr)));
        assertTrue(Pem.encode(csr).startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        assertEquals(certificate, Pem.decodeCertificate(Pem.encode(certificate)));
        assertThrows(CertificateRequestException.class, () -> Pem.decodeCsr(Pem.encode(certificate)));
        assertThrows(CertificateRequestException.class, () -> Pem.decodeCsr("not pem"));
    }
}
