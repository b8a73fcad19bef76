package dev.agentid.issuer.store;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.infinispan.Cache;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryCreated;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryModified;
import org.infinispan.notifications.cachelistener.event.CacheEntryEvent;

/**
 * The signing key file shared by a cluster. The replicated, persisted {@code keys} cache holds the cluster's
 * {@code signing-keys.json} (one entry, sealed by {@link KeyFileSeal}: private keys never enter the cache, its
 * file store or the wire in the clear) and is the source of truth; every node mirrors it into its own
 * {@code DATA_DIR/keys/signing-keys.json} (0600), so the keys CLI keeps working on any node:
 * <ul>
 *   <li>{@link #join()} at start: the first node seeds the cluster with its file (put-if-absent); the others adopt the
 *       cluster's file.</li>
 *   <li>{@link #publish()} after a local change (admin rotation, or the CLI changed the file): compare-and-set from the
 *       version this node last had in sync with the cluster; if another node changed the cluster's file meanwhile,
 *       the two are merged (the union of their keys, by kid) and set again. A node whose file already equals the
 *       cluster's writes nothing, so replicas never ping-pong.</li>
 *   <li>{@link #adoptCluster()} when the cluster's file changed (from {@link #onChange}, and polled): written to the
 *       local file. If the cluster's file has another {@linkplain SharedKeyFile#lineage() lineage} than the one this
 *       node last synced, two sides that had each seeded the cache have merged: the union of both files is published
 *       instead, so that no key that signed on either side is dropped.</li>
 * </ul>
 * All methods block (cache round trips, file I/O): call them off the event loop. Key material is never logged, and
 * exceptions never carry it.
 */
public final class ReplicatedKeyFile {

    static final String ENTRY = "signing-keys";
    private static final java.security.SecureRandom LINEAGES = new java.security.SecureRandom();

    private final Cache<String, SharedKeyFile> cache;
    private final KeyStoreFile file;
    private final KeyFileSeal seal;
    private final Object lock = new Object();
    /** The cluster's file as this node last had it in sync; guarded by lock. */
    private SharedKeyFile synced;

    ReplicatedKeyFile(Cache<String, SharedKeyFile> cache, KeyStoreFile file, KeyFileSeal seal) {
        this.cache = Objects.requireNonNull(cache);
        this.file = Objects.requireNonNull(file);
        this.seal = Objects.requireNonNull(seal);
    }

    /** Seeds the cluster with the local file or adopts the cluster's; returns the ring this node must use. */
    public KeyRing join() {
        synchronized (lock) {
            SharedKeyFile local = readLocal().withLineage(newLineage());
            SharedKeyFile existing = cache.putIfAbsent(ENTRY, local);
            if (existing != null) {
                if (!existing.digest().equals(local.digest())) {
                    writeLocal(seal.open(existing));
                }
                local = existing;
            }
            synced = local;
            return file.load();
        }
    }

    /** Rotates the local file (see {@link KeyStoreFile#rotate}) and publishes the result to the cluster. */
    public KeyRing rotate(java.time.Clock clock, java.time.Duration activateIn, java.time.Duration maxTokenLifetime,
                          java.time.Duration clockSkew) {
        synchronized (lock) {
            file.rotate(clock, activateIn, maxTokenLifetime, clockSkew);
            return publish();
        }
    }

    /** Pushes the local file to the cluster if it differs (merging with a concurrent change); returns the ring. */
    public KeyRing publish() {
        synchronized (lock) {
            for (int attempt = 0; attempt < 16; attempt++) {
                SharedKeyFile local = readLocal();
                SharedKeyFile current = cache.get(ENTRY);
                if (current != null && current.digest().equals(local.digest())) {
                    synced = current;
                    return file.load();
                }
                if (current == null) {
                    SharedKeyFile seed = local.withLineage(synced != null ? synced.lineage() : newLineage());
                    if (cache.putIfAbsent(ENTRY, seed) == null) {
                        synced = seed;
                        return file.load();
                    }
                    continue;
                }
                SharedKeyFile next = local.withLineage(current.lineage());
                if (synced == null || !current.digest().equals(synced.digest())) {
                    // someone else changed the cluster's keys since we last synced: keep both sides' keys
                    String merged = merge(seal.open(current), seal.open(local));
                    next = seal.seal(merged).withLineage(current.lineage());
                    writeLocal(merged);
                    file.load();   // refuse to publish a file that does not load
                }
                if (cache.replace(ENTRY, current, next)) {
                    synced = next;
                    return file.load();
                }
            }
            throw new IllegalStateException("the cluster's signing keys changed concurrently too often");
        }
    }

    /**
     * Writes the cluster's file locally if it differs; returns the new ring, or empty if nothing changed. A local
     * change not yet published is merged and published instead of overwritten.
     */
    public Optional<KeyRing> adoptCluster() {
        synchronized (lock) {
            SharedKeyFile current = cache.get(ENTRY);
            if (current == null) {
                return Optional.empty();
            }
            // compared by digest only: the local file is sealed when it is published, not on every poll
            String local = readLocalJson();
            String localDigest = seal.digest(local);
            if (synced != null && !Objects.equals(current.lineage(), synced.lineage())) {
                // Another history: this node's side merged with one that had seeded the cache with its own keys,
                // and the merge kept the other side's file. Tokens this side signed must still verify, so the
                // cluster's file gets this node's keys too (the union by kid, as after a concurrent rotation).
                String theirs = seal.open(current);
                if (kids(theirs).containsAll(kids(local))) {
                    writeLocal(theirs);
                    synced = current;
                    return Optional.of(file.load());
                }
                synced = null;
                return Optional.of(publish());
            }
            if (current.digest().equals(localDigest)) {
                synced = current;
                return Optional.empty();
            }
            if (synced != null && !localDigest.equals(synced.digest())) {
                return Optional.of(publish());
            }
            writeLocal(seal.open(current));
            synced = current;
            return Optional.of(file.load());
        }
    }

    /**
     * Calls {@code changed} after the cluster's file was created or modified (by any node, this one included). Runs on
     * an Infinispan notification thread: {@code changed} must hand off and return at once.
     */
    public void onChange(Runnable changed) {
        cache.addListener(new ChangeListener(Objects.requireNonNull(changed)));
    }

    @Listener(sync = false)
    public static final class ChangeListener {

        private final Runnable changed;

        ChangeListener(Runnable changed) {
            this.changed = changed;
        }

        @CacheEntryCreated
        @CacheEntryModified
        public void onEvent(CacheEntryEvent<String, SharedKeyFile> event) {
            if (!event.isPre()) {
                changed.run();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ file

    private SharedKeyFile readLocal() {
        return seal.seal(readLocalJson());
    }

    private String readLocalJson() {
        try {
            return Files.readString(file.path(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read signing key file " + file.path(), e);
        }
    }

    /**
     * Replaces the local file atomically with a 0600 file, holding the key directory's lock (the one the keys CLI
     * takes), so a concurrent CLI rotation is never half-overwritten.
     */
    private void writeLocal(String json) {
        Path target = file.path();
        Path dir = target.getParent();
        try (FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockChannel.lock()) {
            Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", privateFile(dir));
            try {
                try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write signing key file " + target, e);
        }
    }

    private static FileAttribute<?>[] privateFile(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------"))}
                : new FileAttribute<?>[0];
    }

    private static String newLineage() {
        byte[] id = new byte[16];
        LINEAGES.nextBytes(id);
        return java.util.HexFormat.of().formatHex(id);
    }

    /** The kids of the key file {@code json}. Never quotes the content. */
    @SuppressWarnings("unchecked")
    static Set<String> kids(String json) {
        try {
            Set<String> kids = new HashSet<>();
            for (Object entry : JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(json), "keys")) {
                kids.add(kid(entry));
            }
            return kids;
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException("cannot read a signing key file: malformed key file");
        }
    }

    /** {@code base} with the key entries of {@code other} whose kid it lacks added. Never quotes the content. */
    @SuppressWarnings("unchecked")
    static String merge(String base, String other) {
        try {
            Map<String, Object> root = JSONObjectUtils.parse(base);
            List<Object> keys = new ArrayList<>(JSONObjectUtils.getJSONArray(root, "keys"));
            Set<String> kids = new HashSet<>();
            for (Object entry : keys) {
                kids.add(kid(entry));
            }
            for (Object entry : JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(other), "keys")) {
                if (kids.add(kid(entry))) {
                    keys.add(entry);
                }
            }
            root.put("keys", keys);
            return JSONObjectUtils.toJSONString(root);
        } catch (ParseException | RuntimeException e) {
            throw new IllegalStateException("cannot merge two signing key files: malformed key file");
        }
    }

    @SuppressWarnings("unchecked")
    private static String kid(Object entry) throws ParseException {
        Map<String, Object> jwk = JSONObjectUtils.getJSONObject((Map<String, Object>) entry, "jwk");
        return JSONObjectUtils.getString(jwk, "kid");
    }
}
