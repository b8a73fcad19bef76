package dev.agentid.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;

/**
 * An agent's own ES256 key pair in a single file: the private P-256 JWK, {@code 0600}. The agent signs
 * its RFC 7523 client assertions with it ({@link ClientAssertion}); the issuer only ever sees the
 * public half, registered as the agent's {@code jwks}.
 *
 * <p>Unlike the issuer's signing keys there is no rotation here: a new key is a new file. Creating a
 * file never overwrites one, and loading refuses a file that group or others may access, like ssh does,
 * instead of silently fixing it. Error messages never contain key material.
 */
public final class AgentKeyFile {

    /** A private P-256 JWK is about 250 bytes; anything much larger is not one. */
    static final long MAX_FILE_BYTES = 16 * 1024;
    /** Longest accepted {@code kid}. */
    static final int MAX_KID_LENGTH = 128;

    private static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private AgentKeyFile() {
    }

    /**
     * A fresh private P-256 JWK made by BouncyCastle, with {@code use: sig}, {@code alg: ES256} and
     * {@code kid} = the given one, or the RFC 7638 thumbprint when {@code kid} is null.
     *
     * @throws IllegalArgumentException if {@code kid} is blank, too long or not printable ASCII
     */
    public static ECKey generate(Clock clock, String kid) {
        ECKey key = KeyGenerator.generateEs256(clock);
        if (kid == null) {
            return key;
        }
        checkKid(kid);
        return new ECKey.Builder(key).keyID(kid).build();
    }

    static void checkKid(String kid) {
        if (kid.isBlank() || kid.length() > MAX_KID_LENGTH
                || !kid.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("a kid must be 1 to " + MAX_KID_LENGTH
                    + " printable ASCII characters without spaces");
        }
    }

    /**
     * Writes the private JWK to a new file created {@code 0600} from the start (on file systems with
     * POSIX permissions), and forces it to disk.
     *
     * @throws KeyFileException if the file already exists (it is never overwritten), its directory is
     *         missing, or writing fails; a partly written file is removed
     */
    public static void create(Path file, ECKey privateJwk) {
        if (!privateJwk.isPrivate()) {
            throw new IllegalArgumentException("an agent key file holds a private key");
        }
        byte[] bytes = (privateJwk.toJSONString() + "\n").getBytes(StandardCharsets.UTF_8);
        boolean created = false;
        try (SeekableByteChannel channel = Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), permissionAttributes(file))) {
            created = true;
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (channel instanceof java.nio.channels.FileChannel fileChannel) {
                fileChannel.force(true);
            }
        } catch (FileAlreadyExistsException e) {
            throw new KeyFileException(file + " already exists; refusing to overwrite it. Choose another file"
                    + " (register the new public key, then delete the old file)");
        } catch (NoSuchFileException e) {
            throw new KeyFileException("cannot create " + file + ": its directory does not exist");
        } catch (IOException e) {
            if (created) {
                deleteQuietly(file);
            }
            throw new KeyFileException("cannot write agent key file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a private P-256 agent key, checking that group and others have no access to the file, that
     * it holds exactly one private EC P-256 JWK meant for ES256 signatures, and that its {@code d}
     * belongs to its public point.
     *
     * @throws KeyFileException with an operator message (never key material) if any check fails
     */
    public static ECKey load(Path file) {
        checkFile(file);
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("agent key file " + file + " does not exist");
        } catch (IOException e) {
            throw new KeyFileException("cannot read agent key file " + file + ": " + e.getMessage(), e);
        }
        JWK jwk;
        try {
            jwk = JWK.parse(json.strip());
        } catch (ParseException | RuntimeException e) {
            // The parser's message may quote the file; it is deliberately not repeated here.
            throw new KeyFileException("agent key file " + file + " does not hold a JWK");
        }
        if (!(jwk instanceof ECKey key) || !Curve.P_256.equals(key.getCurve())) {
            throw new KeyFileException("agent key file " + file + " does not hold an EC P-256 key");
        }
        if (!key.isPrivate()) {
            throw new KeyFileException("agent key file " + file + " holds a public key only; signing needs the"
                    + " private key file written by 'agent-key'");
        }
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            throw new KeyFileException("agent key in " + file + " is not a signature key (use: "
                    + key.getKeyUse().identifier() + ")");
        }
        if (key.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(key.getAlgorithm())) {
            throw new KeyFileException("agent key in " + file + " is not an ES256 key (alg: "
                    + key.getAlgorithm().getName() + ")");
        }
        if (!KeyGenerator.privateMatchesPublic(key)) {
            throw new KeyFileException("agent key in " + file + " is damaged: its private part does not belong"
                    + " to its public key");
        }
        return key;
    }

    /** The {@code kid} the key's assertions carry: its own, or its RFC 7638 thumbprint if it has none. */
    static String keyId(ECKey key) {
        if (key.getKeyID() != null) {
            return key.getKeyID();
        }
        try {
            return key.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot compute the JWK thumbprint", e);
        }
    }

    private static void checkFile(Path file) {
        try {
            if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                checkSize(file, a);
                return;
            }
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
            checkSize(file, a);
            Set<PosixFilePermission> wider = EnumSet.copyOf(GROUP_OTHER);
            wider.retainAll(a.permissions());
            if (!wider.isEmpty()) {
                throw new KeyFileException(String.format(
                        "permissions %s for agent key file %s are too open: it must not be accessible by group"
                                + " or others. Refusing to use it; run 'chmod 600 %s' (and consider replacing"
                                + " the key if someone may have read it)",
                        KeyStoreFile.octal(a.permissions()), file, file));
            }
        } catch (NoSuchFileException e) {
            throw new KeyFileException("agent key file " + file + " does not exist");
        } catch (IOException e) {
            throw new KeyFileException("cannot stat agent key file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void checkSize(Path file, BasicFileAttributes a) {
        if (!a.isRegularFile()) {
            throw new KeyFileException("agent key file " + file + " is not a regular file");
        }
        if (a.size() > MAX_FILE_BYTES) {
            throw new KeyFileException("agent key file " + file + " is larger than " + MAX_FILE_BYTES
                    + " bytes; it does not hold a JWK");
        }
    }

    private static FileAttribute<?>[] permissionAttributes(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_PERMS)}
                : new FileAttribute<?>[0];
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the write error is the one to report
        }
    }
}
