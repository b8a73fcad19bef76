package dev.agentid.issuer.audit;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's append-only, hash-chained audit log (docs/AUDIT.md), in {@code DATA_DIR/audit/} (0700; files 0600).
 *
 * <p><b>One writer, group commit.</b> Request threads {@link #append} an event to a lock-free queue and get a future.
 * One dedicated thread drains the queue: it gives each record its {@code seq} and {@code prev}, hashes it, writes the
 * whole batch with one {@code write} and one {@link FileChannel#force}, and only then completes the batch's futures.
 * Under load it forces at most once per {@link #COMMIT_INTERVAL_NANOS}: a record that arrives sooner after the last
 * force waits out the rest of the interval, with the records that arrive meanwhile, so one force covers them all. An
 * idle log forces a lone record at once.
 * A token response waits for its issuance record's future, so nothing acknowledged to a client can be lost by a crash
 * of the process or the machine; what a crash can lose is records whose futures had not completed, i.e. responses not
 * sent. A write that fails is cut off again and its futures fail (the response is a 503, no token).
 *
 * <p><b>Checkpoints.</b> After {@link AuditSettings#checkpointEvery} records, or {@link AuditSettings#checkpointInterval}
 * after the first record not yet covered, and at a clean shutdown, the writer appends an {@code audit.checkpoint}
 * record holding a JWS by the issuer's signing key over {@code {node, seq, hash}} of the record before it, and copies
 * that record to {@code audit/checkpoint.json}, so that a truncation of the log before it is detected.
 *
 * <p><b>Segments and retention.</b> Files are {@code audit-<seq of the first record, 20 digits>.log}. A segment is
 * sealed right after a checkpoint once it is older than {@link AuditSettings#segmentAge} or larger than
 * {@link AuditSettings#segmentBytes}, so every sealed segment ends with a checkpoint. With a retention, the oldest
 * sealed segments last written before {@code now - retention} are deleted, whole, and an {@code audit.retention}
 * record states the boundary ({@code dropped_through_seq}, {@code dropped_last_hash}), which the verifier accepts
 * instead of the genesis hash.
 */
public final class AuditLog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    public static final String DIRECTORY = "audit";
    public static final String CHECKPOINT_FILE = "checkpoint.json";
    public static final String CHECKPOINT_TYPE = "audit-checkpoint+jwt";
    static final String PREFIX = "audit-";
    static final String SUFFIX = ".log";
    private static final int MAX_BATCH = 4096;
    private static final long IDLE_PARK_NANOS = Duration.ofSeconds(1).toNanos();
    /**
     * The shortest time between two forces while records keep coming: at most 1,000 fsyncs a second. On this
     * project's machine one {@code fdatasync} costs about 0.05 ms of kernel CPU, so without it a node answering 4,000
     * token requests a second spent about 0.05 ms of CPU per request on forces of one or two records each; with it a
     * force covers about four, and a response waits at most this much longer.
     */
    static final long COMMIT_INTERVAL_NANOS = Duration.ofMillis(1).toNanos();

    private record Pending(AuditEvent event, Instant time, CompletableFuture<Long> done) {
    }

    private final Path dir;
    private final String node;
    private final Clock clock;
    private final AuditSettings settings;
    private final CheckpointSigner signer;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final Thread writer;
    private volatile boolean running = true;
    /** The writer waits for the queue (not for a commit interval): an append must wake it. */
    private volatile boolean idle;
    /** Forces of the log file by the writer so far (written by the writer only). */
    private volatile long forces;
    /** Told how long each group commit's force took, in nanoseconds (the issuer's fsync histogram). */
    private volatile java.util.function.LongConsumer forceTimes = nanos -> { };
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Receives every record of a decision once it is on disk, on the writer thread, in log order. It must only hand
     * the event on (a non-blocking enqueue): the writer's next batch waits for it.
     */
    @FunctionalInterface
    public interface Listener {
        void written(AuditEvent event, Instant time);
    }

    // writer thread only
    private FileChannel channel;
    private Path segment;
    private Instant segmentOpened;
    private long seq;
    private String lastHash;
    private long uncovered;
    /** The retention record is written on its own, without a checkpoint (the next one covers it). */
    private boolean writingRetention;
    private Instant firstUncovered;
    private final ByteArrayOutputStream batchBytes = new ByteArrayOutputStream(64 * 1024);
    private final MessageDigest sha256 = sha256();
    private final List<Pending> batch = new ArrayList<>();

    private AuditLog(Path dir, String node, Clock clock, AuditSettings settings, CheckpointSigner signer) {
        this.dir = dir;
        this.node = node;
        this.clock = clock;
        this.settings = settings;
        this.signer = signer;
        this.writer = new Thread(this::run, "audit-writer");
        this.writer.setDaemon(true);
    }

    /**
     * Opens (or continues) the log in {@code dataDir/audit}: cuts a torn last line left by a crash, continues the
     * chain from the last record, appends an {@code audit.started} record durably and starts the writer thread.
     */
    public static AuditLog open(Path dataDir, String node, Clock clock, AuditSettings settings,
                                CheckpointSigner signer) {
        Path dir = dataDir.resolve(DIRECTORY);
        AuditLog log = new AuditLog(dir, node, clock, settings, signer);
        try {
            log.recover();
            log.writeNow(new AuditEvent.Internal(AuditEvent.AUDIT_STARTED, Map.of("last_seq", log.seq)));
        } catch (IOException e) {
            log.closeChannel();
            throw new UncheckedIOException("cannot open the audit log in " + dir, e);
        }
        log.writer.start();
        return log;
    }

    /**
     * Tells {@code nanos} how long each group commit's force takes, on the writer thread: it must not block. Every
     * response waits for its record's force, so a disk that stalls shows here first.
     */
    public void timeForces(java.util.function.LongConsumer nanos) {
        forceTimes = nanos;
    }

    /** How many times the writer has forced the log file to disk (tests: group commit). */
    long forces() {
        return forces;
    }

    /** The directory of the log files. */
    public Path directory() {
        return dir;
    }

    /** This node's name in its records. */
    public String node() {
        return node;
    }

    /**
     * Queues an event; the future completes with its {@code seq} once it is on disk (fsync), or fails with a 503
     * {@code temporarily_unavailable} if it could not be written. Never blocks.
     */
    public CompletableFuture<Long> append(AuditEvent event) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(unavailable("the audit log is closed"));
            return done;
        }
        queue.add(new Pending(event, clock.instant(), done));
        if (idle) {
            LockSupport.unpark(writer);   // a writer inside its commit interval takes the record at the end of it
        }
        return done;
    }

    /** {@link #append} as a Vert.x future, completed on the caller's context (an event loop stays unblocked). */
    public Future<Long> durable(AuditEvent event) {
        Context context = Vertx.currentContext();
        CompletableFuture<Long> done = append(event);
        return context == null ? Future.fromCompletionStage(done) : Future.fromCompletionStage(done, context);
    }

    /** Queues an event without waiting for it (refusals: the refusal is sent whether or not it is on disk yet). */
    public void record(AuditEvent event) {
        append(event);
    }

    /** Adds a listener for the records written from now on (monitoring reads the decisions off the writer thread). */
    public void subscribe(Listener listener) {
        listeners.add(listener);
    }

    /** Drains the queue, writes a final checkpoint and stops the writer. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        LockSupport.unpark(writer);
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeChannel();
    }

    // ---- writer thread ----

    private void run() {
        long lastCommit = System.nanoTime() - COMMIT_INTERVAL_NANOS;
        while (true) {
            Pending first = queue.poll();
            if (first == null) {
                if (!running) {
                    break;
                }
                if (checkpointDue(clock.instant()) && uncovered > 0) {
                    commit();   // an empty batch: the timed checkpoint alone
                    lastCommit = System.nanoTime();
                    continue;
                }
                long park = uncovered > 0 ? Math.min(IDLE_PARK_NANOS, Math.max(1_000_000L, Duration.between(
                        clock.instant(), firstUncovered.plus(settings.checkpointInterval())).toNanos()))
                        : IDLE_PARK_NANOS;
                idle = true;
                if (queue.isEmpty() && running) {   // re-read after idle is set: an append in between unparks us
                    LockSupport.parkNanos(this, park);
                }
                idle = false;
                continue;
            }
            // group commit: under load, the records that arrive until the interval is over share this force
            for (long wait; running && (wait = lastCommit + COMMIT_INTERVAL_NANOS - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(this, wait);
            }
            batch.add(first);
            Pending next;
            while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                batch.add(next);
            }
            lastCommit = System.nanoTime();
            commit();
        }
        if (uncovered > 0) {
            commit();   // a clean shutdown ends with a checkpoint
        }
        closeChannel();
    }

    private boolean checkpointDue(Instant now) {
        return uncovered >= settings.checkpointEvery() || (uncovered > 0
                && !now.isBefore(firstUncovered.plus(settings.checkpointInterval())))
                || (!running && uncovered > 0);
    }

    /** Writes the batch (and a checkpoint, when due) with one fsync, then completes the batch's futures. */
    private void commit() {
        long seqBefore = seq;
        String hashBefore = lastHash;
        long uncoveredBefore = uncovered;
        Instant firstUncoveredBefore = firstUncovered;
        long[] seqs = new long[batch.size()];
        String checkpointLine = null;
        long position = -1;
        try {
            position = channel.size();
            batchBytes.reset();
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                try {
                    seqs[i] = add(p.event().type(), p.event().fields(), p.time());
                } catch (RuntimeException unencodable) {   // a bug in one event must not fail the others
                    LOG.log(Level.SEVERE, "audit record " + p.event().type() + " cannot be encoded", unencodable);
                    seqs[i] = -1;
                }
            }
            Instant now = clock.instant();
            if (!writingRetention && checkpointDue(now)) {
                checkpointLine = addCheckpoint(now);
            }
            write(batchBytes.toByteArray());
            long forcing = System.nanoTime();
            channel.force(false);
            forceTimes.accept(System.nanoTime() - forcing);
            forces++;   // the writer thread is the only writer
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.SEVERE, "audit log write failed; " + batch.size() + " request(s) refused: " + e);
            seq = seqBefore;
            lastHash = hashBefore;
            uncovered = uncoveredBefore;
            firstUncovered = firstUncoveredBefore;
            try {
                if (position >= 0) {
                    channel.truncate(position);
                }
            } catch (IOException ignored) {
                // the next start cuts a torn tail; a complete stray line would break the chain there (reported)
            }
            for (Pending p : batch) {
                if (p.done() != null) {
                    p.done().completeExceptionally(unavailable("the audit log cannot be written"));
                }
            }
            batch.clear();
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Long> done = batch.get(i).done();
            if (done == null) {
                continue;
            }
            if (seqs[i] < 0) {
                done.completeExceptionally(new IllegalStateException("the audit record could not be encoded"));
            } else {
                done.complete(seqs[i]);
            }
        }
        if (!listeners.isEmpty()) {
            for (int i = 0; i < batch.size(); i++) {
                if (seqs[i] >= 0) {
                    tell(batch.get(i));
                }
            }
        }
        batch.clear();
        if (checkpointLine != null) {
            afterCheckpoint(checkpointLine);
        }
    }

    private void tell(Pending p) {
        for (Listener listener : listeners) {
            try {
                listener.written(p.event(), p.time());
            } catch (RuntimeException e) {   // a listener's bug must not stop the log
                LOG.log(Level.WARNING, "audit listener failed on " + p.event().type(), e);
            }
        }
    }

    private long add(String type, Map<String, Object> fields, Instant time) {
        AuditRecord.Encoded record = AuditRecord.encode(seq + 1, time, node, type, fields, lastHash, sha256);
        batchBytes.write(record.line(), 0, record.line().length);
        seq = seq + 1;
        lastHash = record.hash();
        if (!AuditEvent.AUDIT_CHECKPOINT.equals(type)) {
            if (uncovered == 0) {
                firstUncovered = time;
            }
            uncovered++;
        }
        return seq;
    }

    private String addCheckpoint(Instant now) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .claim("node", node)
                .claim("seq", seq)
                .claim("hash", lastHash)
                .issueTime(Date.from(now))
                .build();
        String jws = signer.sign(claims, now);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("covers_seq", seq);
        fields.put("covers_hash", lastHash);
        fields.put("jws", jws);
        AuditRecord.Encoded record = AuditRecord.encode(seq + 1, now, node, AuditEvent.AUDIT_CHECKPOINT, fields,
                lastHash, sha256);
        batchBytes.write(record.line(), 0, record.line().length);
        String line = new String(record.line(), 0, record.line().length - 1, StandardCharsets.UTF_8);
        seq = seq + 1;
        lastHash = record.hash();
        uncovered = 0;
        firstUncovered = null;
        return line;
    }

    /** Copies the checkpoint out of the log (truncation evidence), then seals the segment if it is due. */
    private void afterCheckpoint(String checkpointLine) {
        try {
            Path tmp = dir.resolve(CHECKPOINT_FILE + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, privateFile());
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap((checkpointLine + "\n").getBytes(StandardCharsets.UTF_8)));
                out.force(true);
            }
            Files.move(tmp, dir.resolve(CHECKPOINT_FILE), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warning("cannot write " + dir.resolve(CHECKPOINT_FILE) + ": " + e.getMessage());
        }
        try {
            Instant now = clock.instant();
            if (running && (!now.isBefore(segmentOpened.plus(settings.segmentAge()))
                    || channel.size() >= settings.segmentBytes())) {
                closeChannel();
                openSegment(seq + 1);
                applyRetention(now);
            }
        } catch (IOException e) {
            LOG.warning("cannot seal the audit segment " + segment + ": " + e.getMessage());
        }
    }

    /**
     * Deletes the oldest sealed segments last written before now - retention. The {@code audit.retention} record that
     * states the new boundary is written (and forced) first, so a crash in between leaves a log that still verifies.
     */
    private void applyRetention(Instant now) throws IOException {
        if (settings.retention().isZero()) {
            return;
        }
        List<Path> segments = segments(dir);
        int drop = 0;
        for (int i = 0; i < segments.size() - 2; i++) {   // never the active segment, nor the last sealed one
            if (Files.getLastModifiedTime(segments.get(i)).toInstant().isAfter(now.minus(settings.retention()))) {
                break;
            }
            drop++;
        }
        if (drop == 0) {
            return;
        }
        AuditRecord firstKept = firstRecord(segments.get(drop));
        if (firstKept == null) {
            LOG.warning("audit retention: " + segments.get(drop) + " has no readable first record; nothing dropped");
            return;
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("dropped_through_seq", firstKept.seq() - 1);
        fields.put("dropped_last_hash", firstKept.prev());
        fields.put("segments", drop);
        batch.add(new Pending(new AuditEvent.Internal(AuditEvent.AUDIT_RETENTION, fields), now, null));
        long before = seq;
        writingRetention = true;
        try {
            commit();
        } finally {
            writingRetention = false;
        }
        if (seq == before) {
            return;   // not written: keep everything
        }
        for (int i = 0; i < drop; i++) {
            Files.delete(segments.get(i));
        }
        forceDirectory();
        LOG.info("audit retention: deleted " + drop + " segment(s) through seq " + (firstKept.seq() - 1));
    }

    private void write(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Before the writer starts: one record, written and forced at once. */
    private void writeNow(AuditEvent event) throws IOException {
        batch.add(new Pending(event, clock.instant(), null));
        commit();
        if (seq == 0) {
            throw new IOException("the audit log cannot be written");
        }
    }

    // ---- files ----

    private void recover() throws IOException {
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } else {
            Files.createDirectories(dir);
        }
        seq = 0;
        lastHash = AuditRecord.GENESIS;
        List<Path> segments = segments(dir);
        for (int i = segments.size() - 1; i >= 0; i--) {
            Path s = segments.get(i);
            AuditRecord last = lastRecordCuttingTornTail(s);
            if (last == null) {
                if (i > 0) {
                    Files.delete(s);   // opened, never written: the chain continues from the segment before
                    continue;
                }
                segment = s;   // a new log that died before its first record
                segmentOpened = clock.instant();
                channel = FileChannel.open(s, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                seq = firstSeq(s) - 1;
                return;
            }
            seq = last.seq();
            lastHash = last.hash();
            segment = s;
            segmentOpened = clock.instant();
            channel = FileChannel.open(s, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            return;
        }
        openSegment(1);
    }

    /** The last complete record of a segment; a torn last line (no newline: never acknowledged) is cut off. */
    private static AuditRecord lastRecordCuttingTornTail(Path s) throws IOException {
        byte[] bytes = Files.readAllBytes(s);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        if (end < bytes.length) {
            LOG.warning("audit log " + s.getFileName() + ": cut a torn last line of " + (bytes.length - end)
                    + " bytes (written by a process that died before its fsync; never acknowledged)");
            try (FileChannel c = FileChannel.open(s, StandardOpenOption.WRITE)) {
                c.truncate(end);
                c.force(true);
            }
        }
        if (end == 0) {
            return null;
        }
        int start = end - 1;
        while (start > 0 && bytes[start - 1] != '\n') {
            start--;
        }
        String line = new String(bytes, start, end - 1 - start, StandardCharsets.UTF_8);
        try {
            return AuditRecord.parse(line);
        } catch (IllegalArgumentException e) {
            throw new IOException("the last record of " + s + " is damaged (" + e.getMessage()
                    + "); run 'java -jar issuer.jar audit-verify' and move the damaged segment aside");
        }
    }

    static AuditRecord firstRecord(Path s) throws IOException {
        try (var lines = Files.lines(s, StandardCharsets.UTF_8)) {
            return lines.findFirst().map(line -> {
                try {
                    return AuditRecord.parse(line);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }).orElse(null);
        }
    }

    private void openSegment(long firstSeq) throws IOException {
        segment = dir.resolve(segmentName(firstSeq));
        channel = FileChannel.open(segment, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), privateFile());
        segmentOpened = clock.instant();
        forceDirectory();
    }

    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can fsync a directory; the file's own fsync still holds its bytes
        }
    }

    private FileAttribute<?>[] privateFile() {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rw-------"))} : new FileAttribute<?>[0];
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warning("closing the audit log: " + e.getMessage());
            }
        }
    }

    static String segmentName(long firstSeq) {
        return PREFIX + String.format("%020d", firstSeq) + SUFFIX;
    }

    static long firstSeq(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
    }

    /** The segment files of a log directory, oldest first. */
    public static List<Path> segments(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return all;
        }
        try (var stream = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : stream) {
                String middle = p.getFileName().toString();
                middle = middle.substring(PREFIX.length(), middle.length() - SUFFIX.length());
                if (middle.length() == 20 && middle.chars().allMatch(Character::isDigit)) {
                    all.add(p);
                }
            }
        }
        all.sort(null);
        return all;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static OAuthException unavailable(String description) {
        return new OAuthException("temporarily_unavailable", 503, description, null);
    }
}
