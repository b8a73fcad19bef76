package dev.agentid.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCliTest {

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

    private void assertNoPrivateKeyOrStackTrace(Result result) {
        if (Files.exists(KeyStoreFile.in(dataDir).path())) {
            try {
                for (ManagedKey key : KeyStoreFile.in(dataDir).load().keys()) {
                    assertFalse(result.all().contains(key.privateJwk().getD().toString()), result.all());
                }
            } catch (KeyFileException e) {
                // unreadable on purpose in some tests
            }
        }
        assertFalse(result.all().contains("\"d\""), result.all());
        assertFalse(result.all().contains("\tat "), result.all());
        assertFalse(result.all().contains("Exception"), result.all());
    }

    @Test
    void noArgumentsIsAUsageError() {
        Result r = run();

        assertEquals(2, r.code());
        assertTrue(r.err().contains("Usage:"), r.err());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = run("destroy", "--data-dir", dir());

        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown command 'destroy'"), r.err());
    }

    @Test
    void missingDataDirIsAUsageError() {
        Result r = run("generate");

        assertEquals(2, r.code());
        assertTrue(r.err().contains("--data-dir"), r.err());
        assertFalse(Files.exists(dataDir.resolve("keys")));
    }

    @Test
    void badNumbersAndForeignOptionsAreUsageErrors() {
        assertEquals(2, run("rotate", "--data-dir", dir(), "--activate-in", "soon").code());
        assertEquals(2, run("rotate", "--data-dir", dir(), "--activate-in", "-5").code());
        assertEquals(2, run("rotate", "--data-dir", dir(), "--max-token-lifetime", "0").code());
        assertEquals(2, run("rotate", "--data-dir", dir(), "--activate-in").code());
        assertEquals(2, run("generate", "--data-dir", dir(), "--activate-in", "5").code());
        assertEquals(2, run("list", "--data-dir", dir(), "--data-dir", dir()).code());
        assertFalse(Files.exists(dataDir.resolve("keys")));
    }

    @Test
    void helpExplainsThatActivationDelayShouldCoverTheJwksMaxAge() {
        Result r = run("--help");

        assertEquals(0, r.code());
        assertTrue(r.out().contains("--activate-in SECONDS"), r.out());
        assertTrue(r.out().contains("max-age"), r.out());
        assertTrue(r.out().contains("(60 s)"), r.out());
        assertTrue(r.out().contains("(default 120)"), r.out());
    }

    @Test
    void generateCreatesAKeyOnceAndIsANoOpAfterwards() throws Exception {
        Result first = run("generate", "--data-dir", dir());
        byte[] bytes = Files.readAllBytes(KeyStoreFile.in(dataDir).path());
        Result second = run("generate", "--data-dir", dir());

        assertEquals(0, first.code());
        String kid = KeyStoreFile.in(dataDir).load().keys().get(0).kid();
        assertTrue(first.out().contains("generated signing key " + kid), first.out());
        assertEquals(0, second.code());
        assertTrue(second.out().contains("already exist"), second.out());
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(KeyStoreFile.in(dataDir).path())));
        assertNoPrivateKeyOrStackTrace(first);
        assertNoPrivateKeyOrStackTrace(second);
    }

    @Test
    void rotateAddsAPendingKeyAndListShowsStatesWithoutKeyMaterial() {
        run("generate", "--data-dir", dir());
        Result rotate = run("rotate", "--data-dir", dir());
        assertEquals(0, rotate.code(), rotate.err());
        assertEquals("", rotate.err(), "no warning for the default delay");
        List<ManagedKey> keys = KeyStoreFile.in(dataDir).load().keys();
        assertEquals(2, keys.size());
        assertEquals(clock.instant().plusSeconds(120), keys.get(1).activatesAt());
        assertTrue(rotate.out().contains(keys.get(1).kid()), rotate.out());

        Result list = run("list", "--data-dir", dir());

        assertEquals(0, list.code());
        String[] lines = list.out().split("\n");
        assertEquals(3, lines.length, list.out());
        assertTrue(lines[0].startsWith("KID"));
        assertTrue(lines[1].startsWith(keys.get(0).kid()) && lines[1].endsWith("active"), lines[1]);
        assertTrue(lines[2].startsWith(keys.get(1).kid()) && lines[2].endsWith("pending"), lines[2]);
        assertNoPrivateKeyOrStackTrace(list);
        assertNoPrivateKeyOrStackTrace(rotate);
    }

    @Test
    void listShowsRetiredUntilAndThenExpired() {
        run("generate", "--data-dir", dir());
        run("rotate", "--data-dir", dir(), "--activate-in", "120");
        clock.advanceSeconds(120);
        String until = TestClock.START.plusSeconds(120 + 3600 + 60).toString();

        Result retired = run("list", "--data-dir", dir());
        clock.advanceSeconds(3600 + 60 + 1);
        Result expired = run("list", "--data-dir", dir());

        assertTrue(retired.out().contains("retired-until " + until), retired.out());
        assertTrue(expired.out().contains("expired"), expired.out());
        assertEquals(0, retired.code());
        assertEquals(0, expired.code());
    }

    @Test
    void rotatePrunesWithTheGivenMaxTokenLifetime() {
        run("generate", "--data-dir", dir());
        run("rotate", "--data-dir", dir(), "--activate-in", "0");
        clock.advanceSeconds(300 + 60 + 1);

        Result r = run("rotate", "--data-dir", dir(), "--max-token-lifetime", "300");

        assertEquals(0, r.code());
        assertTrue(r.out().contains("pruned 1 expired key(s)"), r.out());
        assertEquals(2, KeyStoreFile.in(dataDir).load().keys().size());
    }

    @Test
    void rotateWithZeroDelayWarnsAboutCachedJwks() {
        run("generate", "--data-dir", dir());

        Result r = run("rotate", "--data-dir", dir(), "--activate-in", "0");

        assertEquals(0, r.code());
        assertTrue(r.err().startsWith("warning:"), r.err());
        assertTrue(r.err().contains("cached JWKS"), r.err());
        KeyRing ring = KeyStoreFile.in(dataDir).load();
        assertEquals(ring.keys().get(1).kid(), ring.signingKeyId(clock.instant()));
    }

    @Test
    void jwksPrintsThePublicKeysOnly() throws Exception {
        run("generate", "--data-dir", dir());
        run("rotate", "--data-dir", dir());

        Result r = run("jwks", "--data-dir", dir());

        assertEquals(0, r.code());
        JWKSet jwks = JWKSet.parse(r.out());
        List<String> kids = KeyStoreFile.in(dataDir).load().keys().stream().map(ManagedKey::kid).toList();
        assertEquals(kids, jwks.getKeys().stream().map(JWK::getKeyID).toList());
        jwks.getKeys().forEach(k -> assertFalse(k.isPrivate()));
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void rotateWithoutKeysFailsWithExitCode1AndNoStackTrace() {
        Result r = run("rotate", "--data-dir", dir());

        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: no signing key file"), r.err());
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void corruptFileFailsWithExitCode1() throws Exception {
        run("generate", "--data-dir", dir());
        Files.writeString(KeyStoreFile.in(dataDir).path(), "{\"version\":1,\"keys\":[{\"jwk\":");

        for (String command : List.of("list", "jwks", "rotate", "generate", "prune")) {
            Result r = run(command, "--data-dir", dir());
            assertEquals(1, r.code(), command);
            assertTrue(r.err().contains("is corrupt"), r.err());
            assertNoPrivateKeyOrStackTrace(r);
        }
    }

    @Test
    void keyFileReadableByOthersFailsWithExitCode1AndChmodAdvice() throws Exception {
        run("generate", "--data-dir", dir());
        Files.setPosixFilePermissions(KeyStoreFile.in(dataDir).path(), PosixFilePermissions.fromString("rw-r--r--"));

        Result r = run("list", "--data-dir", dir());

        assertEquals(1, r.code());
        assertTrue(r.err().contains("chmod 600"), r.err());
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void optionsAlsoAcceptTheEqualsForm() {
        run("generate", "--data-dir=" + dir());

        Result r = run("rotate", "--data-dir=" + dir(), "--activate-in=300");

        assertEquals(0, r.code(), r.err());
        assertEquals(clock.instant().plusSeconds(300), KeyStoreFile.in(dataDir).load().keys().get(1).activatesAt());
    }
}
