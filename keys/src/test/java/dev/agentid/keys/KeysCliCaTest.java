package dev.agentid.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import dev.agentid.keys.ca.AgentCa;
import dev.agentid.keys.ca.Pem;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code ca init}, {@code ca issue} and {@code agent-csr} commands. */
class KeysCliCaTest {

    @TempDir
    Path dataDir;

    private final TestClock clock = TestClock.atStart();

    private record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = KeysCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), clock);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String dir() {
        return dataDir.toString();
    }

    private Path agentKey() {
        Path file = dataDir.resolve("agent.jwk");
        assertEquals(0, run("agent-key", "--out", file.toString()).code());
        return file;
    }

    private Path csr(Path key, String agent) throws Exception {
        Result r = run("agent-csr", "--key", key.toString(), "--agent", agent);
        assertEquals(0, r.code(), r.all());
        Path file = dataDir.resolve("agent-" + agent + ".csr");
        Files.writeString(file, r.out());
        return file;
    }

    private static void assertNoSecretsOrStackTrace(Result r, Path dataDir) throws Exception {
        assertFalse(r.all().contains("PRIVATE KEY"), r.all());
        assertFalse(r.all().contains("\tat "), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
        Path caKey = dataDir.resolve("ca/ca-key.pem");
        if (Files.exists(caKey)) {
            String body = Files.readString(caKey).lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
            assertFalse(r.all().contains(body), r.all());
        }
    }

    @Test
    void caInitCreatesTheCaOncePrintsItsCertificateAndKeepsTheKey0600() throws Exception {
        Result first = run("ca", "init", "--data-dir", dir());
        Result second = run("ca", "init", "--data-dir", dir());

        assertEquals(0, first.code(), first.all());
        X509Certificate certificate = Pem.decodeCertificate(first.out());
        assertEquals(0, certificate.getBasicConstraints());
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dataDir.resolve("ca/ca-key.pem"))));
        assertEquals(0, second.code(), second.all());
        assertTrue(second.err().contains("already exists"), second.err());
        assertEquals(certificate, Pem.decodeCertificate(second.out()));
        assertNoSecretsOrStackTrace(first, dataDir);
        assertNoSecretsOrStackTrace(second, dataDir);
    }

    @Test
    void agentCsrIsSignedWithTheAgentKeyAndNamesTheAgent() throws Exception {
        Path key = agentKey();
        PKCS10CertificationRequest csr = Pem.decodeCsr(Files.readString(csr(key, "planner-7")));

        assertEquals("CN=planner-7", csr.getSubject().toString());
        ECKey jwk = AgentKeyFile.load(key);
        assertEquals(jwk.toECPublicKey(), new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(csr)
                .getPublicKey());
    }

    @Test
    void caIssuePrintsACertificateThatValidatesAgainstTheCaAndItsThumbprint() throws Exception {
        X509Certificate caCertificate = Pem.decodeCertificate(run("ca", "init", "--data-dir", dir()).out());
        Path csr = csr(agentKey(), "planner-7");

        Result r = run("ca", "issue", "--data-dir", dir(), "--csr", csr.toString(), "--agent", "planner-7",
                "--lifetime", "3600");

        assertEquals(0, r.code(), r.all());
        X509Certificate certificate = Pem.decodeCertificate(r.out());
        assertEquals("CN=planner-7", certificate.getSubjectX500Principal().getName());
        assertEquals(clock.instant().plusSeconds(3600), certificate.getNotAfter().toInstant());
        assertTrue(r.err().contains("x5t#S256 " + AgentCa.thumbprintS256(certificate)), r.err());
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(caCertificate, null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(Date.from(clock.instant()));
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate)), parameters);
        assertNoSecretsOrStackTrace(r, dataDir);
    }

    @Test
    void caIssueDefaultsTo24HoursAndRefusesMoreThan7Days() throws Exception {
        run("ca", "init", "--data-dir", dir());
        Path csr = csr(agentKey(), "planner-7");

        Result byDefault = run("ca", "issue", "--data-dir", dir(), "--csr", csr.toString(), "--agent", "planner-7");
        Result tooLong = run("ca", "issue", "--data-dir", dir(), "--csr", csr.toString(), "--agent", "planner-7",
                "--lifetime", String.valueOf(Duration.ofDays(7).toSeconds() + 1));

        assertEquals(0, byDefault.code(), byDefault.all());
        assertEquals(clock.instant().plus(Duration.ofHours(24)),
                Pem.decodeCertificate(byDefault.out()).getNotAfter().toInstant());
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("604800"), tooLong.err());
    }

    @Test
    void caIssueWhenCsrNamesAnotherAgentThenFailsWithExitCode1() throws Exception {
        run("ca", "init", "--data-dir", dir());
        Path csr = csr(agentKey(), "someone-else");

        Result r = run("ca", "issue", "--data-dir", dir(), "--csr", csr.toString(), "--agent", "planner-7");

        assertEquals(1, r.code());
        assertTrue(r.err().contains("CN=someone-else"), r.err());
        assertEquals("", r.out());
        assertNoSecretsOrStackTrace(r, dataDir);
    }

    @Test
    void caIssueWhenCsrFileIsNotACsrThenFailsWithExitCode1() throws Exception {
        run("ca", "init", "--data-dir", dir());
        Path notCsr = dataDir.resolve("not.csr");
        Files.writeString(notCsr, "hello");

        Result r = run("ca", "issue", "--data-dir", dir(), "--csr", notCsr.toString(), "--agent", "planner-7");

        assertEquals(1, r.code());
        assertNoSecretsOrStackTrace(r, dataDir);
    }

    @Test
    void caIssueWithoutCaThenFailsWithAHintToRunCaInit() throws Exception {
        Path csr = csr(agentKey(), "planner-7");

        Result r = run("ca", "issue", "--data-dir", dir(), "--csr", csr.toString(), "--agent", "planner-7");

        assertEquals(1, r.code());
        assertTrue(r.err().contains("ca init"), r.err());
    }

    @Test
    void caUsageErrors() {
        assertEquals(2, run("ca").code());
        assertEquals(2, run("ca", "--data-dir", dir()).code());
        assertEquals(2, run("ca", "destroy", "--data-dir", dir()).code());
        assertEquals(2, run("ca", "init").code());
        assertEquals(2, run("ca", "init", "--data-dir", dir(), "--agent", "x").code());
        assertEquals(2, run("ca", "issue", "--data-dir", dir(), "--agent", "x").code());
        assertEquals(2, run("ca", "issue", "--data-dir", dir(), "--csr", "f", "--agent", "bad id").code());
        assertEquals(2, run("agent-csr", "--agent", "x").code());
        assertEquals(2, run("agent-csr", "--key", "k", "--agent", "bad,id").code());
        assertFalse(Files.exists(dataDir.resolve("ca")));
    }

    @Test
    void helpListsTheCaCommands() {
        Result r = run("--help");

        assertTrue(r.out().contains("ca init"), r.out());
        assertTrue(r.out().contains("ca issue"), r.out());
        assertTrue(r.out().contains("agent-csr"), r.out());
    }
}
