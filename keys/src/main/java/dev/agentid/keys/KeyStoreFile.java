package dev.agentid.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The signing keys on disk: {@code DATA_DIR/keys/signing-keys.json}, a JWK-set based JSON file:
 * <pre>{"version":1,"keys":[{"jwk":{private EC JWK},"created_at":EPOCH_S,"activates_at":EPOCH_S}]}</pre>
 *
 * <ul>
 *   <li>The directory {@code DATA_DIR/keys} is created 0700, the file is written 0600: a temporary file
 *       is created with those permissions from the start, written, forced to disk, then moved over the
 *       old file with {@code ATOMIC_MOVE}. Readers (a running issuer) therefore see the old or the new
 *       file, never half of one.</li>
 *   <li>Writers (the CLI, the issuer's first start) take an exclusive {@link FileChannel#lock()} on
 *       {@code DATA_DIR/keys/.lock} around read-modify-write, so two rotations never lose a key.</li>
 *   <li>Permissions: like ssh with a private key, loading <b>refuses</b> a key file that grants anything
 *       to group or others (wider than 0600), and a key directory that group or others may write, with
 *       a message telling the operator to chmod. Silently fixing them would hide that the key may
 *       already have been read; the operator has to decide whether to rotate. (Checked only on file
 *       systems with POSIX permissions.)</li>
 *   <li>Error messages name the file and the problem, never key material.</li>
 * </ul>
 *
 * <p>Instances are thread-safe.
 */
public final class KeyStoreFile {

    static final String DIR_NAME = "keys";
    static final String FILE_NAME = "signing-keys.json";
    static final String LOCK_NAME = ".lock";
    static final int FORMAT_VERSION = 1;
    private static final long MAX_FILE_BYTES = 1 << 20;

    private static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> GROUP_OTHER_WRITE = EnumSet.of(
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    /** FileLock is per process: threads of one JVM are serialized here first. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path dataDir;
    private final Path dir;
    private final Path file;
    private final Path lockFile;

    /** What the file looked like when this instance last read or wrote it; guarded by this. */
    private FileState lastSeen;
    /** SHA-256 of the content this instance last loaded or wrote; guarded by this. */
    private byte[] lastHash;

    private KeyStoreFile(Path dataDir) {
        this.dataDir = dataDir;
        this.dir = dataDir.resolve(DIR_NAME);
        this.file = dir.resolve(FILE_NAME);
        this.lockFile = dir.resolve(LOCK_NAME);
    }

    /** The key file of the issuer whose data directory is {@code dataDir}. Touches nothing on disk. */
    public static KeyStoreFile in(Path dataDir) {
        return new KeyStoreFile(Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath().normalize());
    }

    /** {@code DATA_DIR/keys/signing-keys.json}. */
    public Path path() {
        return file;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Whether the key file exists (says nothing about whether it is valid). */
    public boolean exists() {
        return Files.exists(file);
    }

    /**
     * Loads the keys, or on first use generates one key that is active immediately and stores it.
     * Idempotent: once the file exists it is only read.
     */
    public KeyRing loadOrCreate(Clock clock) {
        Objects.requireNonNull(clock, "clock");
        if (exists()) {
            return load();
        }
        return withWriteLock(() -> {
            if (exists()) {
                return loadUnlocked();
            }
            Instant now = floorToSecond(clock.instant());
            KeyRing ring = KeyRing.of(List.of(new ManagedKey(KeyGenerator.generateEs256(clock), now, now)));
            write(ring);
            return ring;
        });
    }

    /**
     * Loads the keys.
     *
     * @throws KeyFileException if the file is missing, too widely readable, unreadable or corrupt
     */
    public KeyRing load() {
        return loadUnlocked();
    }

    /**
     * Adds a new key that is published now and signs from {@code now + activateIn} on, then drops the keys
     * whose tokens have all expired (see {@link KeyRing#prune}). A positive delay is rounded up to the
     * next whole second, so the key is never used before {@code activateIn} has passed; zero means now.
     *
     * @param activateIn how long the new key is published before it signs; should be at least the JWKS
     *     cache max-age relying parties honour. Zero activates at once (tests, emergencies).
     * @param maxTokenLifetime the longest token lifetime the issuer grants (must not be shorter than the
     *     issuer's, or pruning could unpublish a key whose tokens are still valid)
     * @param clockSkew the skew verifiers tolerate past {@code exp}
     * @throws KeyFileException if there is no key file yet (run {@code generate} or start the issuer)
     */
    public KeyRing rotate(Clock clock, Duration activateIn, Duration maxTokenLifetime, Duration clockSkew) {
        Objects.requireNonNull(clock, "clock");
        requireNotNegative(activateIn, "activateIn");
        requireNotNegative(maxTokenLifetime, "maxTokenLifetime");
        requireNotNegative(clockSkew, "clockSkew");
        return withWriteLock(() -> {
            KeyRing current = loadUnlocked();
            Instant instant = clock.instant();
            Instant createdAt = floorToSecond(instant);
            Instant activatesAt = activateIn.isZero() ? createdAt : ceilToSecond(instant.plus(activateIn));
            ManagedKey key = new ManagedKey(KeyGenerator.generateEs256(clock), createdAt, activatesAt);
            KeyRing rotated = current.with(key).prune(instant, maxTokenLifetime, clockSkew);
            write(rotated);
            return rotated;
        });
    }

    /** Drops the keys whose tokens have all expired; rewrites the file only if something was dropped. */
    public KeyRing prune(Clock clock, Duration maxTokenLifetime, Duration clockSkew) {
        requireNotNegative(maxTokenLifetime, "maxTokenLifetime");
        requireNotNegative(clockSkew, "clockSkew");
        return withWriteLock(() -> {
            KeyRing current = loadUnlocked();
            KeyRing pruned = current.prune(clock.instant(), maxTokenLifetime, clockSkew);
            if (pruned != current) {
                write(pruned);
            }
            return pruned;
        });
    }

    /**
     * For a poller (the issuer calls this every second): returns the keys if the file changed since this
     * instance last read or wrote it, else empty. Cheap when nothing changed: one {@code stat} comparing
     * inode, modification time, size and permissions; the content is read and hashed only when one of
     * them differs, and parsed only when the hash differs. Returns empty if the file is missing (keep
     * using the keys you have).
     *
     * @throws KeyFileException once per change if the changed file cannot be loaded; later calls return
     *     empty until the file changes again, so a poller logs the problem once and keeps its old keys
     */
    public synchronized Optional<KeyRing> reloadIfChanged() {
        FileState state = stat();
        if (state == null || state.equals(lastSeen)) {
            return Optional.empty();
        }
        lastSeen = state;
        checkFilePermissions(state);
        byte[] bytes = readBytes();
        byte[] hash = sha256(bytes);
        if (Arrays.equals(hash, lastHash)) {
            return Optional.empty();
        }
        KeyRing ring = parse(bytes);
        lastHash = hash;
        return Optional.of(ring);
    }

    // ---------------------------------------------------------------------------------- reading

    private KeyRing loadUnlocked() {
        FileState state = stat();
        if (state == null) {
            throw new KeyFileException("no signing key file at " + file
                    + "; run 'keys generate --data-dir " + dataDir + "' or start the issuer to create one");
        }
        checkDirectoryPermissions();
        checkFilePermissions(state);
        byte[] bytes = readBytes();
        KeyRing ring = parse(bytes);
        synchronized (this) {
            lastSeen = state;
            lastHash = sha256(bytes);
        }
        return ring;
    }

    private KeyRing parse(byte[] bytes) {
        Map<String, Object> root;
        try {
            root = JSONObjectUtils.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            // The parser's message may quote content: do not pass it on.
            throw corrupt("not a JSON object");
        }
        try {
            if (!root.containsKey("version")) {
                throw corrupt("no \"version\" member");
            }
            long version = JSONObjectUtils.getLong(root, "version");
            if (version != FORMAT_VERSION) {
                throw corrupt("unsupported version " + version + " (this build reads version " + FORMAT_VERSION + ")");
            }
            Map<String, Object>[] entries = JSONObjectUtils.getJSONObjectArray(root, "keys");
            if (entries == null || entries.length == 0) {
                throw corrupt("no keys");
            }
            List<ManagedKey> keys = new ArrayList<>(entries.length);
            for (int i = 0; i < entries.length; i++) {
                keys.add(parseEntry(i, entries[i]));
            }
            return KeyRing.of(keys);
        } catch (ParseException | IllegalArgumentException e) {
            throw corrupt(safeMessage(e));
        }
    }

    private ManagedKey parseEntry(int index, Map<String, Object> entry) throws ParseException {
        String where = "key #" + index;
        if (entry == null) {
            throw corrupt(where + " is not an object");
        }
        Map<String, Object> jwkJson = JSONObjectUtils.getJSONObject(entry, "jwk");
        if (jwkJson == null) {
            throw corrupt(where + " has no \"jwk\"");
        }
        JWK jwk;
        try {
            jwk = JWK.parse(jwkJson);
        } catch (ParseException e) {
            throw corrupt(where + ": invalid JWK");
        }
        if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
            throw corrupt(where + ": not a P-256 EC key");
        }
        String kid = ec.getKeyID();
        if (kid == null) {
            throw corrupt(where + ": no kid");
        }
        where = "key " + kid;
        if (!ec.isPrivate()) {
            throw corrupt(where + ": no private part");
        }
        if (ec.getKeyUse() != null && !KeyUse.SIGNATURE.equals(ec.getKeyUse())) {
            throw corrupt(where + ": \"use\" is not \"sig\"");
        }
        if (ec.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(ec.getAlgorithm())) {
            throw corrupt(where + ": \"alg\" is not ES256");
        }
        try {
            if (!kid.equals(ec.computeThumbprint().toString())) {
                throw corrupt(where + ": kid is not the RFC 7638 thumbprint of the public key");
            }
        } catch (JOSEException e) {
            throw corrupt(where + ": cannot compute its thumbprint");
        }
        if (!KeyGenerator.privateMatchesPublic(ec)) {
            throw corrupt(where + ": the private key does not match the public key");
        }
        if (!entry.containsKey("created_at") || !entry.containsKey("activates_at")) {
            throw corrupt(where + ": needs \"created_at\" and \"activates_at\" (epoch seconds)");
        }
        Instant createdAt = Instant.ofEpochSecond(JSONObjectUtils.getLong(entry, "created_at"));
        Instant activatesAt = Instant.ofEpochSecond(JSONObjectUtils.getLong(entry, "activates_at"));
        return new ManagedKey(ec, createdAt, activatesAt);
    }

    private KeyFileException corrupt(String reason) {
        return new KeyFileException("signing key file " + file + " is corrupt: " + reason
                + ". Restore it from a backup, or move it away and run 'keys generate' (relying parties will"
                + " then reject tokens signed by the lost keys)");
    }

    /** Messages we produce (and Nimbus' getter messages) name members, not values; keep them short. */
    private static String safeMessage(Exception e) {
        if (e instanceof KeyFileException) {
            return e.getMessage();
        }
        String message = e.getMessage();
        return message == null || message.length() > 200 ? e.getClass().getSimpleName() : message;
    }

    private byte[] readBytes() {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw corrupt("larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("signing key file " + file + " disappeared while reading it");
        } catch (IOException e) {
            throw new KeyFileException("cannot read signing key file " + file + ": " + e, e);
        }
    }

    private void checkFilePermissions(FileState state) {
        if (state.permissions() == null) {
            return;
        }
        if (!state.regularFile()) {
            throw new KeyFileException("signing key file " + file + " is not a regular file");
        }
        Set<PosixFilePermission> wider = EnumSet.copyOf(GROUP_OTHER);
        wider.retainAll(state.permissions());
        if (!wider.isEmpty()) {
            throw new KeyFileException(String.format(
                    "permissions %s for signing key file %s are too open: it must not be accessible by group or"
                            + " others. Refusing to load it; run 'chmod 600 %s' (and consider rotating the key"
                            + " if someone may have read it)",
                    octal(state.permissions()), file, file));
        }
    }

    private void checkDirectoryPermissions() {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        try {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            Set<PosixFilePermission> writable = EnumSet.copyOf(GROUP_OTHER_WRITE);
            writable.retainAll(perms);
            if (!writable.isEmpty()) {
                throw new KeyFileException(String.format(
                        "permissions %s for key directory %s are too open: group or others can replace the"
                                + " signing keys. Refusing to use it; run 'chmod 700 %s'",
                        octal(perms), dir, dir));
            }
        } catch (IOException e) {
            throw new KeyFileException("cannot read the permissions of " + dir + ": " + e, e);
        }
    }

    /** Attributes of the key file from one stat, or null if it does not exist. */
    private FileState stat() {
        try {
            if (Files.getFileAttributeView(file, PosixFileAttributeView.class) != null) {
                PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
                return new FileState(a.fileKey(), a.lastModifiedTime(), a.size(), a.isRegularFile(),
                        Set.copyOf(a.permissions()));
            }
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileState(a.fileKey(), a.lastModifiedTime(), a.size(), a.isRegularFile(), null);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KeyFileException("cannot stat signing key file " + file + ": " + e, e);
        }
    }

    private record FileState(Object fileKey, FileTime modified, long size, boolean regularFile,
            Set<PosixFilePermission> permissions) {
    }

    // ---------------------------------------------------------------------------------- writing

    private interface Action<T> {
        T run() throws IOException;
    }

    private <T> T withWriteLock(Action<T> action) {
        ensureDirectory();
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), filePermissionAttributes())) {
            FileLock lock = channel.lock();
            try {
                return action.run();
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            throw new KeyFileException("cannot update signing key file " + file + ": " + e, e);
        } finally {
            jvmLock.unlock();
        }
    }

    private void ensureDirectory() {
        try {
            Files.createDirectories(dataDir);
            try {
                Files.createDirectory(dir, directoryPermissionAttributes());
            } catch (FileAlreadyExistsException e) {
                // fine: checked below
            }
            checkDirectoryPermissions();
        } catch (IOException e) {
            throw new KeyFileException("cannot create key directory " + dir + ": " + e, e);
        }
    }

    /** Temp file born 0600 in the same directory, forced to disk, then atomically moved into place. */
    private void write(KeyRing ring) throws IOException {
        byte[] bytes = serialize(ring).getBytes(StandardCharsets.UTF_8);
        Path tmp = Files.createTempFile(dir, "." + FILE_NAME + ".", ".tmp", filePermissionAttributes());
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot replace files atomically", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory();
        FileState state = stat();
        synchronized (this) {
            lastSeen = state;
            lastHash = sha256(bytes);
        }
    }

    /** Makes the rename durable; best effort (not every platform can open a directory). */
    private void forceDirectory() {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the data itself is already on disk
        }
    }

    static String serialize(KeyRing ring) {
        List<Object> entries = new ArrayList<>();
        for (ManagedKey key : ring.keys()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("jwk", key.privateJwk().toJSONObject());
            entry.put("created_at", key.createdAt().getEpochSecond());
            entry.put("activates_at", key.activatesAt().getEpochSecond());
            entries.add(entry);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", FORMAT_VERSION);
        root.put("keys", entries);
        return JSONObjectUtils.toJSONString(root);
    }

    // ---------------------------------------------------------------------------------- helpers

    private FileAttribute<?>[] filePermissionAttributes() {
        return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_PERMS)}
                : new FileAttribute<?>[0];
    }

    private FileAttribute<?>[] directoryPermissionAttributes() {
        return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR_PERMS)}
                : new FileAttribute<?>[0];
    }

    private boolean posix() {
        return dataDir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    static String octal(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Instant floorToSecond(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS);
    }

    static Instant ceilToSecond(Instant instant) {
        Instant floor = floorToSecond(instant);
        return floor.equals(instant) ? floor : floor.plusSeconds(1);
    }

    private static void requireNotNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative");
        }
    }

    @Override
    public String toString() {
        return "KeyStoreFile[" + file + "]";
    }
}
