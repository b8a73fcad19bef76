package dev.agentid.keys;

import static dev.agentid.keys.TestKeys.LIFETIME;
import static dev.agentid.keys.TestKeys.SKEW;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyStoreFileTest {

    private static final Duration ACTIVATE_IN = Duration.ofSeconds(120);

    @TempDir
    Path dataDir;

    private final TestClock clock = TestClock.atStart();

    private KeyStoreFile store() {
        return KeyStoreFile.in(dataDir);
    }

    private static String perms(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** Every base64url "d" value in the file, to check messages never repeat them. */
    private List<String> privateScalars() throws Exception {
        return store().load().keys().stream().map(k -> k.privateJwk().getD().toString()).toList();
    }

    private void assertNoKeyMaterial(String text, List<String> scalars) {
        for (String d : scalars) {
            assertFalse(text.contains(d), "message contains a private key: " + text);
        }
    }

    @Test
    void loadOrCreateWritesOneActiveKeyToAFile0600InADirectory0700() throws Exception {
        KeyRing ring = store().loadOrCreate(clock);

        Path file = dataDir.resolve("keys/signing-keys.json");
        assertEquals(file, store().path());
        assertEquals("rw-------", perms(file));
        assertEquals("rwx------", perms(dataDir.resolve("keys")));
        assertEquals(1, ring.keys().size());
        assertEquals(clock.instant(), ring.keys().get(0).activatesAt());
        assertEquals(ring.keys().get(0).kid(), ring.signingKeyId(clock.instant()));
    }

    @Test
    void fileIsAVersionedListOfPrivateJwksWithEpochSecondTimestamps() throws Exception {
        ManagedKey key = store().loadOrCreate(clock).keys().get(0);

        Map<String, Object> root = JSONObjectUtils.parse(Files.readString(store().path()));
        assertEquals(1L, JSONObjectUtils.getLong(root, "version"));
        Map<String, Object>[] keys = JSONObjectUtils.getJSONObjectArray(root, "keys");
        assertEquals(1, keys.length);
        JWK jwk = JWK.parse(JSONObjectUtils.getJSONObject(keys[0], "jwk"));
        assertEquals(key.privateJwk(), jwk);
        assertEquals("ES256", jwk.getAlgorithm().getName());
        assertEquals("sig", jwk.getKeyUse().getValue());
        assertEquals(jwk.computeThumbprint().toString(), jwk.getKeyID());
        assertEquals(clock.instant().getEpochSecond(), JSONObjectUtils.getLong(keys[0], "created_at"));
        assertEquals(clock.instant().getEpochSecond(), JSONObjectUtils.getLong(keys[0], "activates_at"));
    }

    @Test
    void loadOrCreateIsIdempotent() throws Exception {
        KeyRing first = store().loadOrCreate(clock);
        byte[] bytes = Files.readAllBytes(store().path());
        clock.advanceSeconds(10);

        KeyRing second = store().loadOrCreate(clock);

        assertEquals(first.keys(), second.keys());
        assertArrayEquals(bytes, Files.readAllBytes(store().path()));
        assertEquals(first.keys(), store().load().keys());
    }

    @Test
    void rotateAddsAPendingKeyThatAnotherInstanceLoads() {
        KeyRing before = store().loadOrCreate(clock);
        String oldKid = before.signingKeyId(clock.instant());

        KeyRing after = store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);

        KeyRing loaded = store().load();
        assertEquals(after.keys(), loaded.keys());
        assertEquals(2, loaded.keys().size());
        ManagedKey added = loaded.keys().get(1);
        assertEquals(clock.instant().plus(ACTIVATE_IN), added.activatesAt());
        assertEquals(oldKid, loaded.signingKeyId(clock.instant().plus(ACTIVATE_IN).minusMillis(1)));
        assertEquals(added.kid(), loaded.signingKeyId(clock.instant().plus(ACTIVATE_IN)));
        assertTrue(loaded.publicJwks(clock.instant(), LIFETIME, SKEW).getKeyByKeyId(added.kid()) != null);
    }

    @Test
    void rotateRoundsAFractionalActivationUpSoTheKeyIsNeverUsedEarly() {
        store().loadOrCreate(clock);
        clock.advance(Duration.ofMillis(300));

        KeyRing ring = store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);

        Instant activatesAt = ring.keys().get(1).activatesAt();
        assertFalse(activatesAt.isBefore(clock.instant().plus(ACTIVATE_IN)));
        assertEquals(0, activatesAt.getNano());
    }

    @Test
    void rotateWithZeroDelayActivatesTheNewKeyNow() {
        store().loadOrCreate(clock);
        clock.advanceSeconds(5);

        KeyRing ring = store().rotate(clock, Duration.ZERO, LIFETIME, SKEW);

        assertEquals(ring.keys().get(1).kid(), ring.signingKeyId(clock.instant()));
    }

    /** Regression: a rotation in the same second as the first key tied on whole-second times and lost half the time. */
    @Test
    void rotateInTheSameSecondAsTheLastKeyTakesOverEveryTime() {
        for (int i = 0; i < 20; i++) {
            KeyStoreFile store = KeyStoreFile.in(dataDir.resolve("same-second-" + i));
            store.loadOrCreate(clock);
            KeyRing ring = store.rotate(clock, Duration.ZERO, LIFETIME, SKEW);
            String newest = ring.keys().get(ring.keys().size() - 1).kid();
            assertEquals(newest, ring.signingKeyId(clock.instant()));
            assertEquals(newest, store.load().signingKeyId(clock.instant()), "and after a reload from the file");
        }
    }

    @Test
    void rotatePrunesKeysWhoseTokensHaveAllExpired() {
        KeyRing first = store().loadOrCreate(clock);
        String a = first.keys().get(0).kid();
        store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);               // b activates at +120
        clock.advance(ACTIVATE_IN).advance(LIFETIME).advance(SKEW);    // a's horizon, inclusive
        KeyRing second = store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
        assertTrue(second.find(a).isPresent(), "a is still published at its horizon");
        clock.advanceSeconds(1);

        KeyRing third = store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);

        assertTrue(third.find(a).isEmpty());
        assertEquals(3, third.keys().size());
        assertEquals(third.keys(), store().load().keys());
    }

    @Test
    void pruneRewritesTheFileOnlyWhenSomethingExpired() throws Exception {
        store().loadOrCreate(clock);
        store().rotate(clock, Duration.ZERO, LIFETIME, SKEW);
        byte[] bytes = Files.readAllBytes(store().path());

        assertEquals(2, store().prune(clock, LIFETIME, SKEW).keys().size());
        assertArrayEquals(bytes, Files.readAllBytes(store().path()));

        clock.advance(LIFETIME).advance(SKEW).advanceSeconds(1);
        assertEquals(1, store().prune(clock, LIFETIME, SKEW).keys().size());
        assertEquals(1, store().load().keys().size());
    }

    @Test
    void rotateWhenNoKeyFileThenExplainsHowToCreateOne() {
        KeyFileException e = assertThrows(KeyFileException.class,
                () -> store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW));

        assertTrue(e.getMessage().contains("generate"), e.getMessage());
        assertFalse(Files.exists(store().path()));
    }

    @Test
    void tokenSignedBeforeRotationsVerifiesWithTheReloadedJwksUntilItExpires() throws Exception {
        KeyStoreFile issuerView = store();
        KeyRing ring = issuerView.loadOrCreate(clock);
        store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
        ring = issuerView.reloadIfChanged().orElseThrow();
        clock.advance(ACTIVATE_IN.minusMillis(1));
        SignedJWT token = TestKeys.sign(ring, clock.instant(), LIFETIME);
        Instant exp = token.getJWTClaimsSet().getExpirationTime().toInstant();

        // An operator rotating every 10 minutes, with pruning each time, never unpublishes the key too early.
        while (!clock.instant().isAfter(exp.plus(SKEW))) {
            clock.advanceSeconds(600);
            if (clock.instant().isAfter(exp.plus(SKEW))) {
                break;
            }
            store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
            ring = issuerView.reloadIfChanged().orElseThrow();
            assertTrue(TestKeys.verifies(token, ring.publicJwks(clock.instant(), LIFETIME, SKEW)), "at " + clock.instant());
        }
        clock.set(exp.plus(SKEW));
        assertTrue(TestKeys.verifies(token, ring.publicJwks(clock.instant(), LIFETIME, SKEW)));
    }

    @Test
    void loadWhenFileIsReadableByOthersThenRefusesAndTellsToChmod600() throws Exception {
        store().loadOrCreate(clock);
        List<String> scalars = privateScalars();
        Files.setPosixFilePermissions(store().path(), PosixFilePermissions.fromString("rw-r--r--"));

        KeyFileException e = assertThrows(KeyFileException.class, () -> store().load());

        assertTrue(e.getMessage().contains("0644"), e.getMessage());
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        assertNoKeyMaterial(e.getMessage(), scalars);
        assertThrows(KeyFileException.class, () -> store().loadOrCreate(clock));
        Files.setPosixFilePermissions(store().path(), PosixFilePermissions.fromString("rw-------"));
        assertEquals(1, store().load().keys().size());
    }

    @Test
    void loadWhenFileIsGroupReadableThenRefuses() throws Exception {
        store().loadOrCreate(clock);
        Files.setPosixFilePermissions(store().path(), PosixFilePermissions.fromString("rw-r-----"));

        KeyFileException e = assertThrows(KeyFileException.class, () -> store().load());

        assertTrue(e.getMessage().contains("0640"), e.getMessage());
    }

    @Test
    void loadWhenKeyDirectoryIsWritableByOthersThenRefusesAndTellsToChmod700() throws Exception {
        store().loadOrCreate(clock);
        Files.setPosixFilePermissions(dataDir.resolve("keys"), PosixFilePermissions.fromString("rwxrwxrwx"));

        KeyFileException e = assertThrows(KeyFileException.class, () -> store().load());

        assertTrue(e.getMessage().contains("chmod 700"), e.getMessage());
    }

    @Test
    void loadWhenFileMissingThenExplains() {
        KeyFileException e = assertThrows(KeyFileException.class, () -> store().load());

        assertTrue(e.getMessage().contains("no signing key file"), e.getMessage());
        assertTrue(e.getMessage().contains(store().path().toString()), e.getMessage());
    }

    private String corruptMessage(String content) throws Exception {
        Files.writeString(store().path(), content);
        return assertThrows(KeyFileException.class, () -> store().load()).getMessage();
    }

    @Test
    void loadWhenFileIsCorruptThenSaysSoWithoutPrintingKeyMaterial() throws Exception {
        store().loadOrCreate(clock);
        List<String> scalars = privateScalars();
        String good = Files.readString(store().path());

        List<String> messages = new ArrayList<>();
        messages.add(corruptMessage(good.substring(0, good.length() / 2)));
        messages.add(corruptMessage("[]"));
        messages.add(corruptMessage(good.replace("\"version\":1", "\"version\":2")));
        messages.add(corruptMessage("{\"version\":1,\"keys\":[]}"));
        messages.add(corruptMessage(good.replace("\"crv\":\"P-256\"", "\"crv\":\"P-384\"")));

        for (String message : messages) {
            assertTrue(message.contains("is corrupt"), message);
            assertTrue(message.contains(store().path().toString()), message);
            assertNoKeyMaterial(message, scalars);
        }
        assertTrue(messages.get(2).contains("unsupported version 2"), messages.get(2));
        assertTrue(messages.get(3).contains("no keys"), messages.get(3));
    }

    @Test
    void loadWhenPrivateKeyDoesNotMatchPublicKeyThenCorrupt() throws Exception {
        store().loadOrCreate(clock);
        String good = Files.readString(store().path());
        ManagedKey key = store().load().keys().get(0);
        String otherD = KeyGenerator.generateEs256(clock).getD().toString();

        String message = corruptMessage(good.replace(key.privateJwk().getD().toString(), otherD));

        assertTrue(message.contains("private key does not match"), message);
        assertFalse(message.contains(otherD));
    }

    @Test
    void loadWhenKidIsNotTheThumbprintThenCorrupt() throws Exception {
        store().loadOrCreate(clock);
        String good = Files.readString(store().path());
        String kid = store().load().keys().get(0).kid();

        String message = corruptMessage(good.replace(kid, "my-key"));

        assertTrue(message.contains("thumbprint"), message);
    }

    @Test
    void loadWhenPublicKeyOnlyThenCorrupt() throws Exception {
        store().loadOrCreate(clock);
        String good = Files.readString(store().path());
        ManagedKey key = store().load().keys().get(0);

        String message = corruptMessage(good.replace(",\"d\":\"" + key.privateJwk().getD() + "\"", "")
                .replace("\"d\":\"" + key.privateJwk().getD() + "\",", ""));

        assertTrue(message.contains("no private part"), message);
    }

    @Test
    void writesAreAtomicSoAConcurrentReaderAlwaysSeesACompleteFile() throws Exception {
        store().loadOrCreate(clock);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> reads = executor.submit(() -> {
                int n = 0;
                while (!done.get()) {
                    assertTrue(store().load().keys().size() >= 1);
                    n++;
                }
                return n;
            });
            for (int i = 0; i < 15; i++) {
                store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
            }
            done.set(true);
            assertTrue(reads.get(30, TimeUnit.SECONDS) > 0);
        } finally {
            executor.shutdownNow();
        }
        assertEquals(16, store().load().keys().size());
        try (Stream<Path> files = Files.list(dataDir.resolve("keys"))) {
            assertEquals(List.of(".lock", "signing-keys.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temp file left behind");
        }
        assertEquals("rw-------", perms(dataDir.resolve("keys/.lock")));
    }

    @Test
    void rotateReplacesTheFileRatherThanRewritingItInPlace() throws Exception {
        store().loadOrCreate(clock);
        Object before = Files.readAttributes(store().path(), "unix:ino").get("ino");

        store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);

        assertNotEquals(before, Files.readAttributes(store().path(), "unix:ino").get("ino"));
        assertEquals("rw-------", perms(store().path()));
    }

    @Test
    void concurrentRotationsNeverLoseAKey() throws Exception {
        store().loadOrCreate(clock);
        int writers = 4;
        int rotationsEach = 3;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService executor = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                futures.add(executor.submit(() -> {
                    start.await();
                    for (int i = 0; i < rotationsEach; i++) {
                        KeyStoreFile.in(dataDir).rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }

        assertEquals(1 + writers * rotationsEach, store().load().keys().size());
    }

    @Test
    void reloadIfChangedReturnsTheNewRingOnlyWhenTheFileChanged() throws Exception {
        KeyStoreFile issuerView = store();
        issuerView.loadOrCreate(clock);
        assertEquals(Optional.empty(), issuerView.reloadIfChanged());

        KeyRing rotated = store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);

        assertEquals(rotated.keys(), issuerView.reloadIfChanged().orElseThrow().keys());
        assertEquals(Optional.empty(), issuerView.reloadIfChanged());

        Files.setLastModifiedTime(store().path(), FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals(Optional.empty(), issuerView.reloadIfChanged(), "same content: nothing to reload");
    }

    @Test
    void reloadIfChangedOnAFreshInstanceLoadsTheFile() {
        KeyRing ring = store().loadOrCreate(clock);

        assertEquals(ring.keys(), store().reloadIfChanged().orElseThrow().keys());
        assertEquals(Optional.empty(), KeyStoreFile.in(dataDir.resolve("elsewhere")).reloadIfChanged());
    }

    @Test
    void reloadIfChangedWhenFileBecomesCorruptThenThrowsOnceAndKeepsQuietUntilTheNextChange() throws Exception {
        KeyStoreFile issuerView = store();
        issuerView.loadOrCreate(clock);
        String good = Files.readString(store().path());
        Files.writeString(store().path(), "{\"version\":1,");

        assertThrows(KeyFileException.class, issuerView::reloadIfChanged);
        assertEquals(Optional.empty(), issuerView.reloadIfChanged());

        Files.writeString(store().path(), good.replace("\"version\":1", "\"version\": 1"));
        assertTrue(issuerView.reloadIfChanged().isPresent());
    }

    @Test
    void reloadIfChangedWhenPermissionsWidenThenThrowsAndRecoversAfterChmod() throws Exception {
        KeyStoreFile issuerView = store();
        issuerView.loadOrCreate(clock);
        Files.setPosixFilePermissions(store().path(), PosixFilePermissions.fromString("rw-rw-rw-"));

        KeyFileException e = assertThrows(KeyFileException.class, issuerView::reloadIfChanged);
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        assertEquals(Optional.empty(), issuerView.reloadIfChanged());

        Files.setPosixFilePermissions(store().path(), PosixFilePermissions.fromString("rw-------"));
        assertEquals(Optional.empty(), issuerView.reloadIfChanged(), "content unchanged");
        store().rotate(clock, ACTIVATE_IN, LIFETIME, SKEW);
        assertEquals(2, issuerView.reloadIfChanged().orElseThrow().keys().size());
    }

    @Test
    void fileContentIsNotInTheMessageOfAnUnreadableFile() throws Exception {
        store().loadOrCreate(clock);
        String content = new String(Files.readAllBytes(store().path()), StandardCharsets.UTF_8);
        List<String> scalars = privateScalars();

        String message = corruptMessage(content + "garbage");

        assertNoKeyMaterial(message, scalars);
    }
}
