package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {

    @TempDir
    Path dir;

    @Test
    void aSecretFileReadableByGroupOrOthersIsRefused() throws Exception {
        Path file = TestSecrets.file(dir.resolve("secret"));
        for (String mode : List.of("rw-r-----", "rw----r--", "rw-rw-rw-", "rw-----w-")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterSecret.load(file));
            assertTrue(e.getMessage().startsWith("ISSUER_CLUSTER_SECRET_FILE " + file + " is accessible by group or"
                    + " others"), e.getMessage());
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        ClusterSecret.load(file);   // stricter than 0600 is fine
    }

    @Test
    void aSecretShorterThan32BytesAMissingFileAndADirectoryAreRefused() throws Exception {
        Path file = dir.resolve("short");
        Files.writeString(file, "0123456789abcdef0123456789abcde\n");   // 31 bytes and a newline
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterSecret.load(file)).getMessage()
                .contains("the cluster secret must be at least 32 random bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterSecret.load(dir.resolve("none")))
                .getMessage().endsWith("does not exist"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClusterSecret.load(dir)).getMessage()
                .endsWith("is not a regular file"));
    }

    @Test
    void eachPurposeAndEachClusterGetsItsOwnKeyAndTheSecretIsNeverPrinted() throws Exception {
        Path file = TestSecrets.file(dir.resolve("secret"));
        ClusterSecret secret = ClusterSecret.load(file);
        Set<String> keys = List.of(secret.encryptionKey("a"), secret.memberAuthKey("a"), secret.keyWrapKey("a"),
                secret.keyFileDigestKey("a"), secret.encryptionKey("b")).stream()
                .map(k -> HexFormat.of().formatHex(k.getEncoded())).collect(Collectors.toSet());
        assertEquals(5, keys.size(), "distinct keys per purpose and per cluster name");
        assertArrayEquals(secret.encryptionKey("a").getEncoded(),
                ClusterSecret.load(file).encryptionKey("a").getEncoded(), "deterministic: every member derives it");
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        assertFalse(secret.toString().contains(text), secret.toString());
        assertNotEquals(secret.encryptionKey("a").getEncoded().length, 0);
        assertEquals(32, secret.encryptionKey("a").getEncoded().length);
    }

    @Test
    void theKeysAreHkdfSha256OfTheSecretWithTheRfc5869Construction() {
        // RFC 5869 appendix A.1 inputs are fixed to 22 bytes; check our wiring against the JCA HMAC instead:
        // HKDF-Extract = HMAC(salt, ikm), HKDF-Expand (one block) = HMAC(prk, info | 0x01)
        byte[] ikm = new byte[32];
        for (int i = 0; i < ikm.length; i++) {
            ikm[i] = (byte) i;
        }
        ClusterSecret secret = ClusterSecret.of(ikm);
        byte[] expected = hmac(hmac(("agentid-cluster:c").getBytes(StandardCharsets.UTF_8), ikm),
                concat(ClusterSecret.ENCRYPTION.getBytes(StandardCharsets.UTF_8), new byte[] {1}));
        assertArrayEquals(expected, secret.derive("c", ClusterSecret.ENCRYPTION));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
