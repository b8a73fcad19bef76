package dev.agentid.issuer.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The cluster's shared secret ({@code ISSUER_CLUSTER_SECRET_FILE}) and the keys derived from it. Every key is
 * HKDF-SHA256 (RFC 5869) of the secret, salted with the cluster name, with its own {@code info} label, so a key
 * serves exactly one purpose: encrypting and authenticating cluster traffic ({@link #encryptionKey()}), member
 * authentication at join ({@link #memberAuthKey()}), wrapping the replicated private signing keys
 * ({@link #keyWrapKey()}) and comparing key files without revealing them ({@link #keyFileDigestKey()}). The secret
 * itself is never stored beyond this object, never logged, and {@link #toString()} prints none of it.
 */
public final class ClusterSecret {

    /** The smallest secret accepted: 256 bits. */
    public static final int MIN_BYTES = 32;
    /** Larger files are not a secret but a mistake (a key store, a log file, ...). */
    static final int MAX_BYTES = 4096;

    static final String ENCRYPTION = "agentid cluster v2: traffic encryption (HKDF to AES-256-GCM sender keys)";
    static final String MEMBER_AUTH = "agentid cluster v1: member authentication (HMAC-SHA256)";
    static final String FRAME_AUTH = "agentid cluster v1: transport frame authentication (HMAC-SHA256)";
    static final String CONNECTION_AUTH = "agentid cluster v1: connection challenge response (HMAC-SHA256)";
    static final String KEY_WRAP = "agentid cluster v1: signing key wrap (JWE dir A256GCM)";
    static final String KEY_FILE_DIGEST = "agentid cluster v1: key file digest (HMAC-SHA256)";

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final byte[] secret;
    private final String source;

    private ClusterSecret(byte[] secret, String source) {
        if (secret.length < MIN_BYTES) {
            throw new IllegalArgumentException(source + " holds " + secret.length + " bytes; the cluster secret must be"
                    + " at least " + MIN_BYTES + " random bytes (generate one with: keys cluster-secret --out FILE)");
        }
        this.secret = secret.clone();
        this.source = source;
    }

    /**
     * Reads the secret from {@code file}: its bytes, trailing whitespace removed (so the base64url text the keys CLI
     * writes and a file of raw bytes both work). The file must be a regular file that group and others cannot access
     * (0600 or stricter) and hold at least {@value #MIN_BYTES} bytes.
     *
     * @throws IllegalArgumentException with a one-line message naming {@code ISSUER_CLUSTER_SECRET_FILE}
     */
    public static ClusterSecret load(Path file) {
        String name = "ISSUER_CLUSTER_SECRET_FILE " + file;
        try {
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(name + " does not exist");
            }
            if (!Files.isRegularFile(file)) {   // follows links: mounted secrets are often links
                throw new IllegalArgumentException(name + " is not a regular file");
            }
            PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (view != null) {
                Set<PosixFilePermission> permissions = view.readAttributes().permissions();
                if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                    throw new IllegalArgumentException(name + " is accessible by group or others ("
                            + java.nio.file.attribute.PosixFilePermissions.toString(permissions)
                            + "); make it 0600: chmod 600 " + file);
                }
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(name + " is larger than " + MAX_BYTES + " bytes; it should hold"
                        + " only the cluster secret");
            }
            byte[] bytes = Files.readAllBytes(file);
            int end = bytes.length;
            while (end > 0 && Character.isWhitespace(bytes[end - 1])) {
                end--;
            }
            byte[] secret = Arrays.copyOf(bytes, end);
            Arrays.fill(bytes, (byte) 0);
            try {
                return new ClusterSecret(secret, name);
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(name + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + name + ": " + e.getMessage());
        }
    }

    /** A secret from bytes already in memory (tests). */
    public static ClusterSecret of(byte[] secret) {
        return new ClusterSecret(Objects.requireNonNull(secret), "the cluster secret");
    }

    /**
     * The traffic key of the cluster named {@code clusterName} (256 bits): {@link ClusterEncrypt} derives each
     * sender's AES-256-GCM key from it.
     */
    SecretKey encryptionKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, ENCRYPTION), "AES");
    }

    /** The HMAC-SHA256 key every transport frame is tagged with ({@link ClusterTransport}). */
    SecretKey frameKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, FRAME_AUTH), "HmacSHA256");
    }

    /** The HMAC-SHA256 key a connecting member answers the cluster port's challenge with ({@link ClusterSockets}). */
    SecretKey connectionKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, CONNECTION_AUTH), "HmacSHA256");
    }

    /** The HMAC-SHA256 key members prove their membership with when they join or merge. */
    SecretKey memberAuthKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, MEMBER_AUTH), "HmacSHA256");
    }

    /** The AES-256 key the replicated signing key file is wrapped with (a JWE, alg dir, enc A256GCM). */
    SecretKey keyWrapKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, KEY_WRAP), "AES");
    }

    /** The HMAC-SHA256 key replicas compare key files with (a plain hash of a key file would be a guessing oracle). */
    SecretKey keyFileDigestKey(String clusterName) {
        return new SecretKeySpec(derive(clusterName, KEY_FILE_DIGEST), "HmacSHA256");
    }

    /** 32 bytes of HKDF-SHA256(salt = "agentid-cluster:" + cluster name, ikm = secret, info = label). */
    byte[] derive(String clusterName, String label) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, ("agentid-cluster:" + clusterName).getBytes(StandardCharsets.UTF_8),
                label.getBytes(StandardCharsets.UTF_8)));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return key;
    }

    @Override
    public String toString() {
        return "ClusterSecret[" + source + "]";
    }
}
