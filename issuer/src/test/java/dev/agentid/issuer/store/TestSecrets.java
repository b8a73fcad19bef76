package dev.agentid.issuer.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/** Cluster secrets for tests: fresh random ones, in memory or in a 0600 file. */
public final class TestSecrets {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestSecrets() {
    }

    /** 32 random bytes. */
    public static ClusterSecret random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return ClusterSecret.of(bytes);
    }

    /** A new 0600 file holding 32 random bytes as base64url text (as {@code keys cluster-secret} writes it). */
    public static Path file(Path file) throws IOException {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes) + "\n",
                StandardCharsets.US_ASCII);
        return file;
    }
}
