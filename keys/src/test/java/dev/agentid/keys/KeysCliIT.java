package dev.agentid.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded {@code keys.jar} with {@code java -jar}, as an operator would. */
class KeysCliIT {

    private static Path jar;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void findJar() {
        jar = Path.of(System.getProperty("keys.jar", "target/keys.jar"));
        assertTrue(Files.isRegularFile(jar), "build the shaded jar first: " + jar.toAbsolutePath());
    }

    private record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    private static Result finish(Process process) throws Exception {
        // Output is small; read both streams fully, then wait (bounded).
        var out = process.getInputStream().readAllBytes();
        var err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keys.jar did not exit");
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    private static Result run(String... args) throws Exception {
        return finish(start(args));
    }

    private void assertNoKeyMaterialOrStackTrace(Result r) throws Exception {
        Path file = KeyStoreFile.in(dataDir).path();
        if (Files.exists(file) && Files.getPosixFilePermissions(file).equals(PosixFilePermissions.fromString("rw-------"))) {
            Optional<KeyRing> ring = Optional.empty();
            try {
                ring = Optional.of(KeyStoreFile.in(dataDir).load());
            } catch (KeyFileException e) {
                // corrupt on purpose
            }
            ring.ifPresent(k -> k.keys().forEach(
                    key -> assertFalse(r.all().contains(key.privateJwk().getD().toString()), r.all())));
        }
        assertFalse(r.all().contains("\"d\""), r.all());
        assertFalse(r.all().contains("\tat "), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
    }

    @Test
    void operatorLifecycleGenerateRotateListJwks() throws Exception {
        String dir = dataDir.toString();

        Result generate = run("generate", "--data-dir", dir);
        assertEquals(0, generate.code(), generate.all());
        Path file = dataDir.resolve("keys/signing-keys.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));

        Result rotate = run("rotate", "--data-dir", dir, "--activate-in", "120");
        assertEquals(0, rotate.code(), rotate.all());

        Result list = run("list", "--data-dir", dir);
        assertEquals(0, list.code(), list.all());
        assertTrue(list.out().contains(" active\n"), list.out());
        assertTrue(list.out().contains(" pending\n"), list.out());

        Result jwks = run("jwks", "--data-dir", dir);
        assertEquals(0, jwks.code(), jwks.all());
        JWKSet set = JWKSet.parse(jwks.out());
        assertEquals(KeyStoreFile.in(dataDir).load().keys().stream().map(ManagedKey::kid).toList(),
                set.getKeys().stream().map(JWK::getKeyID).toList());
        set.getKeys().forEach(k -> assertFalse(k.isPrivate()));

        for (Result r : List.of(generate, rotate, list, jwks)) {
            assertNoKeyMaterialOrStackTrace(r);
        }
    }

    @Test
    void runningIssuerSeesRotationThroughReloadIfChanged() throws Exception {
        KeyStoreFile issuerView = KeyStoreFile.in(dataDir);
        KeyRing before = issuerView.loadOrCreate(java.time.Clock.systemUTC());
        assertEquals(Optional.empty(), issuerView.reloadIfChanged());

        Result rotate = run("rotate", "--data-dir", dataDir.toString(), "--activate-in", "0");

        assertEquals(0, rotate.code(), rotate.all());
        assertTrue(rotate.err().contains("warning:"), rotate.err());
        KeyRing after = issuerView.reloadIfChanged().orElseThrow();
        assertEquals(before.keys().size() + 1, after.keys().size());
    }

    @Test
    void twoRotationsInParallelProcessesBothLand() throws Exception {
        assertEquals(0, run("generate", "--data-dir", dataDir.toString()).code());

        Process a = start("rotate", "--data-dir", dataDir.toString());
        Process b = start("rotate", "--data-dir", dataDir.toString());
        Result ra = finish(a);
        Result rb = finish(b);

        assertEquals(0, ra.code(), ra.all());
        assertEquals(0, rb.code(), rb.all());
        assertEquals(3, KeyStoreFile.in(dataDir).load().keys().size());
    }

    @Test
    void exitCodesForUsageErrorsAndFailures() throws Exception {
        Result usage = run("rotate", "--activate-in", "soon");
        assertEquals(2, usage.code(), usage.all());
        assertTrue(usage.err().contains("Usage:"), usage.err());

        Result missing = run("list", "--data-dir", dataDir.toString());
        assertEquals(1, missing.code(), missing.all());
        assertTrue(missing.err().startsWith("error: no signing key file"), missing.err());

        assertEquals(0, run("generate", "--data-dir", dataDir.toString()).code());
        Path file = KeyStoreFile.in(dataDir).path();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Result open = run("jwks", "--data-dir", dataDir.toString());
        assertEquals(1, open.code(), open.all());
        assertTrue(open.err().contains("chmod 600"), open.err());
        assertEquals("", open.out());

        for (Result r : List.of(usage, missing, open)) {
            assertNoKeyMaterialOrStackTrace(r);
        }
    }

    @Test
    void agentKeyThenClientAssertionAsInTheReadmeWalkThrough() throws Exception {
        Path keyFile = dataDir.resolve("agent-a.jwk");

        Result created = run("agent-key", "--out", keyFile.toString());
        assertEquals(0, created.code(), created.all());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        JWK published = JWKSet.parse(created.out()).getKeys().get(0);
        assertFalse(published.isPrivate());

        Result assertion = run("client-assertion", "--key", keyFile.toString(), "--agent", "agent-a",
                "--audience", "http://127.0.0.1:8443", "--lifetime", "120");
        assertEquals(0, assertion.code(), assertion.all());
        SignedJWT jwt = SignedJWT.parse(assertion.out().strip());
        ECDSAVerifier verifier = new ECDSAVerifier(published.toECKey());
        verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        assertTrue(jwt.verify(verifier));
        assertEquals(published.getKeyID(), jwt.getHeader().getKeyID());
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals("agent-a", claims.getIssuer());
        assertEquals("agent-a", claims.getSubject());
        assertEquals(List.of("http://127.0.0.1:8443"), claims.getAudience());
        assertEquals(120_000, claims.getExpirationTime().getTime() - claims.getIssueTime().getTime());
        assertTrue(claims.getJWTID() != null && !claims.getJWTID().isEmpty());

        Result overwrite = run("agent-key", "--out", keyFile.toString());
        assertEquals(1, overwrite.code(), overwrite.all());
        assertTrue(overwrite.err().contains("already exists"), overwrite.err());

        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
        Result open = run("client-assertion", "--key", keyFile.toString(), "--agent", "agent-a",
                "--audience", "http://127.0.0.1:8443");
        assertEquals(1, open.code(), open.all());
        assertTrue(open.err().contains("chmod 600"), open.err());
        assertEquals("", open.out());

        String d = ECKey.parse(Files.readString(keyFile)).getD().toString();
        for (Result r : List.of(created, assertion, overwrite, open)) {
            assertFalse(r.all().contains(d), r.all());
            assertNoKeyMaterialOrStackTrace(r);
        }
    }
}
