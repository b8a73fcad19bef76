package dev.agentid.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Date;
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

    // ------------------------------------------------------------------ cluster-secret

    @Test
    void clusterSecretWrites32RandomBytes0600AndNeverPrintsThem() throws Exception {
        Path file = dataDir.resolve("cluster-secret");

        Result r = run("cluster-secret", "--out", file.toString());

        assertEquals(0, r.code(), r.all());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        assertTrue(text.endsWith("\n"));
        byte[] secret = Base64URL.from(text.trim()).decode();
        assertEquals(32, secret.length);
        assertFalse(r.all().contains(text.trim()), r.all());
        assertEquals("", r.out());

        Path other = dataDir.resolve("other-secret");
        assertEquals(0, run("cluster-secret", "--out", other.toString()).code());
        assertFalse(Files.readString(other).equals(text), "each secret is fresh");
    }

    @Test
    void clusterSecretRefusesToOverwriteAnExistingFile() throws Exception {
        Path file = dataDir.resolve("cluster-secret");
        Files.writeString(file, "the secret every member has");

        Result r = run("cluster-secret", "--out", file.toString());

        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().startsWith("error: " + file + " already exists"), r.err());
        assertEquals("the secret every member has", Files.readString(file));
        assertEquals(2, run("cluster-secret").code(), "--out is required");
    }

    // ------------------------------------------------------------------ agent-key / client-assertion

    private static final String ISSUER = "https://issuer.example";

    private Path agentKeyFile() {
        return dataDir.resolve("agent.jwk");
    }

    private Result agentKey(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("agent-key", "--out", agentKeyFile().toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    private Result assertion(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("client-assertion", "--key", agentKeyFile().toString(),
                "--agent", "agent-a", "--audience", ISSUER));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    private static boolean verifies(SignedJWT jwt, JWK publicJwk) throws Exception {
        ECDSAVerifier verifier = new ECDSAVerifier(publicJwk.toECKey());
        verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return jwt.verify(verifier);
    }

    private void assertNoAgentPrivateKey(Result r) throws Exception {
        if (Files.exists(agentKeyFile())) {
            String d = ECKey.parse(Files.readString(agentKeyFile())).getD().toString();
            assertFalse(r.all().contains(d), r.all());
        }
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void agentKeyWritesThePrivateJwk0600AndPrintsOnlyThePublicJwkSet() throws Exception {
        Result r = agentKey();

        assertEquals(0, r.code(), r.all());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(agentKeyFile())));
        ECKey stored = ECKey.parse(Files.readString(agentKeyFile()));
        assertTrue(stored.isPrivate());
        assertTrue(KeyGenerator.privateMatchesPublic(stored));
        assertEquals(stored.computeThumbprint().toString(), stored.getKeyID());
        assertEquals(JWSAlgorithm.ES256, stored.getAlgorithm());
        JWKSet printed = JWKSet.parse(r.out());
        assertEquals(1, printed.getKeys().size());
        JWK published = printed.getKeys().get(0);
        assertFalse(published.isPrivate());
        assertEquals(stored.toPublicJWK(), published);
        assertTrue(r.err().contains(stored.getKeyID()), r.err());
        assertNoAgentPrivateKey(r);
    }

    @Test
    void agentKeyUsesTheGivenKid() throws Exception {
        Result r = agentKey("--kid", "agent-a-2026");

        assertEquals(0, r.code(), r.all());
        assertEquals("agent-a-2026", ECKey.parse(Files.readString(agentKeyFile())).getKeyID());
        assertEquals("agent-a-2026", JWKSet.parse(r.out()).getKeys().get(0).getKeyID());
    }

    @Test
    void agentKeyRefusesToOverwriteAnExistingFile() throws Exception {
        Files.writeString(agentKeyFile(), "precious");

        Result r = agentKey();

        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().startsWith("error: " + agentKeyFile() + " already exists"), r.err());
        assertEquals("", r.out());
        assertEquals("precious", Files.readString(agentKeyFile()));
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void agentKeyIntoAMissingDirectoryFailsWithExitCode1() {
        Result r = run("agent-key", "--out", dataDir.resolve("nowhere/agent.jwk").toString());

        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("directory does not exist"), r.err());
        assertEquals("", r.out());
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void agentKeyUsageErrors() {
        assertEquals(2, run("agent-key").code());
        assertEquals(2, run("agent-key", "--out").code());
        assertEquals(2, agentKey("--kid", "").code());
        assertEquals(2, agentKey("--kid", "has space").code());
        assertEquals(2, agentKey("--data-dir", dir()).code());
        assertEquals(2, run("generate", "--data-dir", dir(), "--out", agentKeyFile().toString()).code());
        assertFalse(Files.exists(agentKeyFile()));
    }

    @Test
    void clientAssertionVerifiesWithThePrintedPublicJwkAndCarriesTheRfc7523Claims() throws Exception {
        JWK published = JWKSet.parse(agentKey().out()).getKeys().get(0);

        Result r = assertion();

        assertEquals(0, r.code(), r.all());
        assertEquals("", r.err());
        SignedJWT jwt = SignedJWT.parse(r.out().strip());
        assertTrue(verifies(jwt, published));
        assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
        assertEquals(published.getKeyID(), jwt.getHeader().getKeyID());
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertEquals("agent-a", claims.getIssuer());
        assertEquals("agent-a", claims.getSubject());
        assertEquals(List.of(ISSUER), claims.getAudience());
        assertEquals(Date.from(clock.instant()), claims.getIssueTime());
        assertEquals(Date.from(clock.instant().plusSeconds(60)), claims.getExpirationTime());
        assertEquals(16, new Base64URL(claims.getJWTID()).decode().length);
        assertNoAgentPrivateKey(r);
    }

    @Test
    void clientAssertionsAreFreshEachTime() throws Exception {
        agentKey();
        String first = assertion().out().strip();
        clock.advanceSeconds(5);

        SignedJWT second = SignedJWT.parse(assertion().out().strip());

        assertFalse(SignedJWT.parse(first).getJWTClaimsSet().getJWTID().equals(second.getJWTClaimsSet().getJWTID()));
        assertEquals(Date.from(clock.instant()), second.getJWTClaimsSet().getIssueTime());
    }

    @Test
    void clientAssertionLifetimeIsAtMost300Seconds() throws Exception {
        agentKey();

        Result max = assertion("--lifetime", "300");

        assertEquals(0, max.code(), max.all());
        assertEquals(Date.from(clock.instant().plusSeconds(300)),
                SignedJWT.parse(max.out().strip()).getJWTClaimsSet().getExpirationTime());
        Result tooLong = assertion("--lifetime", "301");
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("at most 300"), tooLong.err());
        assertEquals("", tooLong.out());
        assertEquals(2, assertion("--lifetime", "0").code());
        assertEquals(2, assertion("--lifetime", "soon").code());
    }

    @Test
    void clientAssertionUsageErrors() {
        agentKey();

        assertEquals(2, run("client-assertion", "--key", agentKeyFile().toString(), "--agent", "a").code());
        assertEquals(2, run("client-assertion", "--agent", "a", "--audience", ISSUER).code());
        assertEquals(2, run("client-assertion", "--key", agentKeyFile().toString(), "--audience", ISSUER).code());
        assertEquals(2, assertion("--audience", ISSUER).code(), "given twice");
        Result badAudience = run("client-assertion", "--key", agentKeyFile().toString(), "--agent", "a",
                "--audience", "issuer.example");
        assertEquals(2, badAudience.code());
        assertTrue(badAudience.err().contains("issuer's http(s) URL"), badAudience.err());
        assertEquals(2, assertion("--data-dir", dir()).code());
    }

    @Test
    void clientAssertionRefusesAKeyFileThatGroupCanRead() throws Exception {
        agentKey();
        Files.setPosixFilePermissions(agentKeyFile(), PosixFilePermissions.fromString("rw-r-----"));

        Result r = assertion();

        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("0640"), r.err());
        assertTrue(r.err().contains("chmod 600 " + agentKeyFile()), r.err());
        assertEquals("", r.out());
        assertNoAgentPrivateKey(r);
    }

    @Test
    void clientAssertionRefusesAPublicOnlyKey() throws Exception {
        Files.writeString(agentKeyFile(), JWKSet.parse(agentKey().out()).getKeys().get(0).toJSONString());

        Result r = assertion();

        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("public key only"), r.err());
        assertEquals("", r.out());
        assertNoPrivateKeyOrStackTrace(r);
    }

    @Test
    void clientAssertionRefusesADamagedOrForeignKeyFile() throws Exception {
        ECKey stored = ECKey.parse(Files.readString(dataDir.resolve(agentKeyFileName(agentKey()))));
        ECKey other = KeyGenerator.generateEs256(clock);
        ECKey damaged = new ECKey.Builder(stored.toPublicJWK()).d(other.getD()).build();
        Files.writeString(agentKeyFile(), damaged.toJSONString());

        Result mismatched = assertion();
        Files.writeString(agentKeyFile(), "{\"kty\":\"EC\",\"secret\":\"oops\"");
        Result notJson = assertion();
        Files.delete(agentKeyFile());
        Result missing = assertion();

        assertEquals(1, mismatched.code(), mismatched.all());
        assertTrue(mismatched.err().contains("damaged"), mismatched.err());
        assertEquals(1, notJson.code(), notJson.all());
        assertTrue(notJson.err().contains("does not hold a JWK"), notJson.err());
        assertFalse(notJson.err().contains("oops"), notJson.err());
        assertEquals(1, missing.code(), missing.all());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        for (Result r : List.of(mismatched, notJson, missing)) {
            assertEquals("", r.out());
            assertFalse(r.all().contains(damaged.getD().toString()), r.all());
            assertNoPrivateKeyOrStackTrace(r);
        }
    }

    private String agentKeyFileName(Result created) {
        assertEquals(0, created.code(), created.all());
        return agentKeyFile().getFileName().toString();
    }

    @Test
    void helpListsTheAgentKeyCommands() {
        Result r = run("--help");

        assertTrue(r.out().contains("agent-key --out FILE [--kid KID]"), r.out());
        assertTrue(r.out().contains("client-assertion --key FILE --agent AGENT_ID --audience ISSUER_URL"), r.out());
        assertTrue(r.out().contains("(default 60, max 300)"), r.out());
    }
}
