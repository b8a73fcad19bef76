package dev.agentid.keys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The issuer cluster's shared secret file ({@code ISSUER_CLUSTER_SECRET_FILE}): {@value #RANDOM_BYTES} bytes from
 * {@link SecureRandom}, written as one line of base64url text (the issuer uses the file's bytes, trailing newline
 * removed), in a new file created 0600. An existing file is never overwritten.
 */
public final class ClusterSecretFile {

    /** 256 bits. */
    public static final int RANDOM_BYTES = 32;

    private ClusterSecretFile() {
    }

    /** Creates {@code file} with a fresh secret. */
    public static void create(Path file) {
        byte[] random = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(random);
        byte[] text = (Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(random, (byte) 0);
        FileAttribute<?>[] attributes = file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        boolean created = false;
        try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), attributes)) {
            created = true;
            ByteBuffer buffer = ByteBuffer.wrap(text);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (FileAlreadyExistsException e) {
            throw new KeyFileException(file + " already exists; refusing to overwrite a cluster secret (every member"
                    + " must keep the same one)");
        } catch (NoSuchFileException e) {
            throw new KeyFileException("cannot create " + file + ": its directory does not exist");
        } catch (IOException e) {
            if (created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            throw new KeyFileException("cannot write cluster secret file " + file + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }
}
