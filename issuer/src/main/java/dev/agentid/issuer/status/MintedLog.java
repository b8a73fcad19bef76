package dev.agentid.issuer.status;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import java.util.zip.CRC32;

/**
 * The per-node crash log of minted tokens, from which {@link MintedIndex} is rebuilt after the process dies (kill -9
 * included). Nothing in it is replicated; each node logs the rows it minted.
 *
 * <p><b>Files.</b> Append-only segments in one directory (the issuer passes {@code DATA_DIR/minted}; 0700, files 0600).
 * The segment being written is {@code minted-<start>.open}, {@code start} being the epoch millis at which it was opened
 * (strictly increasing across segments, so names sort in write order even if the clock steps back). A segment receives
 * rows for {@link #SEGMENT} (10 minutes) of mint time, then is sealed: renamed, atomically, to
 * {@code minted-<start>-exp<maxExp>.seg}, where {@code maxExp} is the latest {@code exp} (epoch seconds) of its rows, so
 * {@link #deleteExpired} decides from the name alone. A new process never appends to an old file: a segment left
 * {@code .open} by a dead process is an orphan; {@link #replay} (or {@link #deleteExpired}) cuts its torn tail, if any,
 * computes its {@code maxExp} and seals it.
 *
 * <p><b>Durability.</b> Writes go through a 64 KiB buffer and are not fsynced: the OS page cache survives the death
 * of the process, and {@link #flush()} hands the buffer to the OS. A machine crash may lose the last seconds; the
 * framing detects whatever was torn. A failed write (disk full) seals the segment as it stands and the next append
 * starts a new one, so rows written later are never stuck behind a partial record.
 *
 * <p><b>Format.</b> A segment starts with the 4-byte magic {@code MINT} and a 4-byte version (1). Each record is
 * {@code int length, int crc32(payload), payload}, big-endian; the payload is {@code str jti, int n, n x str ancestor,
 * int n, n x str agent, long statusIndex, long mintedAtMillis, long expiresAtEpochSecond, int n, n x str externalRef},
 * a {@code str} being an int byte count and UTF-8 bytes. Reading stops at the first record that is incomplete, longer
 * than {@link #MAX_RECORD}, fails its CRC or does not decode, with one warning for that segment.
 *
 * <p><b>Threading.</b> Not thread-safe: the single status-list worker calls every method.
 */
public final class MintedLog implements Closeable {

    /** Mint time covered by one segment. */
    public static final Duration SEGMENT = Duration.ofMinutes(10);
    /** Longest record accepted at replay; anything longer is taken for corruption. */
    public static final int MAX_RECORD = 1 << 20;
    static final int MAGIC = 0x4D49_4E54; // "MINT"
    static final int VERSION = 1;
    private static final int HEADER = 8;
    private static final String PREFIX = "minted-";
    private static final String OPEN = ".open";
    private static final String SEALED = ".seg";
    private static final String EXP = "-exp";
    private static final Logger LOG = Logger.getLogger(MintedLog.class.getName());

    private final Path dir;
    private final Clock clock;
    private final boolean posix;
    /** Highest segment start in the directory, so the next one sorts after it. */
    private long lastStart = -1;

    private Path active;
    private long activeStart;
    private long activeMaxExp;
    private OutputStream out;
    private boolean closed;

    private final Payload payload = new Payload();
    private final DataOutputStream payloadOut = new DataOutputStream(payload);
    private final byte[] frame = new byte[HEADER];
    private final CRC32 crc = new CRC32();

    public MintedLog(Path dir, Clock clock) throws IOException {
        this.dir = dir;
        this.clock = clock;
        this.posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectories(dir, attributes("rwx------"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } else {
            Files.createDirectories(dir);
        }
        for (Segment s : segments()) {
            lastStart = Math.max(lastStart, s.start);
        }
    }

    /** Appends one row (same fields as {@link MintedIndex#add}). Buffered; {@link #flush()} makes it visible to the OS. */
    public void append(String jti, List<String> ancestors, List<String> chainAgents, long statusIndex,
            long mintedAtMillis, long expiresAtEpochSecond, List<String> externalRefs) throws IOException {
        if (closed) {
            throw new IllegalStateException("minted log closed");
        }
        long now = clock.millis();
        if (active != null && now - activeStart >= SEGMENT.toMillis()) {
            seal();
        }
        if (active == null) {
            open(now);
        }
        payload.reset();
        writeString(jti);
        writeStrings(ancestors);
        writeStrings(chainAgents);
        payloadOut.writeLong(statusIndex);
        payloadOut.writeLong(mintedAtMillis);
        payloadOut.writeLong(expiresAtEpochSecond);
        writeStrings(externalRefs);
        int length = payload.size();
        if (length > MAX_RECORD) {
            throw new IOException("minted log record of " + length + " bytes exceeds " + MAX_RECORD);
        }
        crc.reset();
        crc.update(payload.bytes(), 0, length);
        putInt(frame, 0, length);
        putInt(frame, 4, (int) crc.getValue());
        activeMaxExp = Math.max(activeMaxExp, expiresAtEpochSecond);
        try {
            out.write(frame);
            out.write(payload.bytes(), 0, length);
        } catch (IOException e) {
            abandon();
            throw e;
        }
    }

    /** Hands the buffered rows to the OS (no fsync). */
    public void flush() throws IOException {
        if (out != null) {
            try {
                out.flush();
            } catch (IOException e) {
                abandon();
                throw e;
            }
        }
    }

    /**
     * After a failed write (disk full, say) the segment may end in a partial record, and anything appended after it
     * would be unreadable behind the tear: the segment is sealed as it stands (best effort) and the next append starts
     * a new one.
     */
    private void abandon() {
        OutputStream broken = out;
        out = null;
        try {
            broken.close();
        } catch (IOException ignored) {
            // the buffer is lost either way
        }
        try {
            Files.move(active, dir.resolve(sealedName(activeStart, activeMaxExp)), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warning("minted log " + active.getFileName() + " could not be sealed after a failed write: " + e);
        }
        active = null;
    }

    /**
     * Reads every segment in order (the one this instance is writing included, after a flush) and passes each row
     * unexpired at now to {@code index.add}. Sealed segments whose name says every row expired are not read. A torn or
     * corrupt tail is skipped with one warning per segment; orphaned segments of a dead process are cut to their last
     * complete record and sealed. Call it once, at start, before the first append. Returns the rows replayed.
     */
    public long replay(MintedIndex index, long nowEpochSecond) throws IOException {
        flush();
        long replayed = 0;
        for (Segment s : segments()) {
            if (s.sealed && s.maxExp <= nowEpochSecond) {
                continue;
            }
            Scan scan = read(s.path, index, nowEpochSecond);
            replayed += scan.replayed;
            if (!s.sealed && !s.path.equals(active)) {
                seal(s, scan);
            }
        }
        return replayed;
    }

    /**
     * Deletes the segments all of whose rows expired at now ({@code maxExp <= now}). The segment being written is
     * sealed first if its 10 minutes are over; orphaned segments are sealed (their tails cut) on the way. Returns the
     * segments deleted.
     */
    public int deleteExpired(long nowEpochSecond) throws IOException {
        if (active != null && clock.millis() - activeStart >= SEGMENT.toMillis()) {
            seal();
        }
        int deleted = 0;
        for (Segment s : segments()) {
            if (s.path.equals(active)) {
                continue;
            }
            long maxExp = s.maxExp;
            if (!s.sealed) {
                Scan scan = read(s.path, null, nowEpochSecond);
                Path sealed = seal(s, scan);
                if (sealed == null) {
                    deleted++; // empty orphan, removed by seal
                    continue;
                }
                s = new Segment(sealed, s.start, scan.maxExp, true);
                maxExp = scan.maxExp;
            }
            if (maxExp <= nowEpochSecond) {
                Files.deleteIfExists(s.path);
                deleted++;
            }
        }
        return deleted;
    }

    /** Flushes and seals the segment being written. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (active != null) {
            seal();
        }
    }

    // ---- writing

    private void open(long now) throws IOException {
        long start = Math.max(now, lastStart + 1);
        Path path = dir.resolve(PREFIX + start + OPEN);
        if (posix) {
            Files.createFile(path, attributes("rw-------"));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } else {
            Files.createFile(path);
        }
        out = new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), 1 << 16);
        putInt(frame, 0, MAGIC);
        putInt(frame, 4, VERSION);
        out.write(frame);
        lastStart = start;
        active = path;
        activeStart = start;
        activeMaxExp = 0;
    }

    private void seal() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            abandon();
            throw e;
        }
        out.close();
        out = null;
        Path sealed = dir.resolve(sealedName(activeStart, activeMaxExp));
        Files.move(active, sealed, StandardCopyOption.ATOMIC_MOVE);
        active = null;
    }

    /** Cuts an orphan to its complete records and renames it sealed; deletes it if it holds none. */
    private Path seal(Segment s, Scan scan) throws IOException {
        if (scan.records == 0) {
            Files.deleteIfExists(s.path);
            return null;
        }
        if (scan.validEnd < scan.fileSize) {
            try (FileChannel ch = FileChannel.open(s.path, StandardOpenOption.WRITE)) {
                ch.truncate(scan.validEnd);
            }
        }
        Path sealed = dir.resolve(sealedName(s.start, scan.maxExp));
        Files.move(s.path, sealed, StandardCopyOption.ATOMIC_MOVE);
        return sealed;
    }

    private static String sealedName(long start, long maxExp) {
        return PREFIX + start + EXP + Math.max(0, maxExp) + SEALED;
    }

    private void writeStrings(List<String> list) throws IOException {
        if (list == null) {
            payloadOut.writeInt(0);
            return;
        }
        payloadOut.writeInt(list.size());
        for (String s : list) {
            writeString(s);
        }
    }

    private void writeString(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        payloadOut.writeInt(b.length);
        payloadOut.write(b);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static FileAttribute<Set<PosixFilePermission>> attributes(String perms) {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms));
    }

    // ---- reading

    private record Segment(Path path, long start, long maxExp, boolean sealed) {
    }

    /** What reading one segment found: rows replayed, complete records, end of the last one, latest exp. */
    private record Scan(long replayed, long records, long validEnd, long fileSize, long maxExp) {
    }

    /** The segments in the directory, oldest first; files with other names are ignored. */
    private List<Segment> segments() throws IOException {
        List<Segment> list = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*")) {
            for (Path p : files) {
                Segment s = parse(p);
                if (s != null) {
                    list.add(s);
                }
            }
        }
        list.sort(Comparator.comparingLong(Segment::start));
        return list;
    }

    private static Segment parse(Path p) {
        String name = p.getFileName().toString();
        try {
            if (name.endsWith(OPEN)) {
                long start = Long.parseLong(name.substring(PREFIX.length(), name.length() - OPEN.length()));
                return new Segment(p, start, Long.MAX_VALUE, false);
            }
            if (name.endsWith(SEALED)) {
                String body = name.substring(PREFIX.length(), name.length() - SEALED.length());
                int e = body.indexOf(EXP);
                if (e > 0) {
                    return new Segment(p, Long.parseLong(body.substring(0, e)),
                            Long.parseLong(body.substring(e + EXP.length())), true);
                }
            }
        } catch (NumberFormatException | IndexOutOfBoundsException ignored) {
            // not one of ours
        }
        return null;
    }

    /** Reads one segment, adding rows unexpired at now to index (if not null). */
    private Scan read(Path path, MintedIndex index, long now) throws IOException {
        long size = Files.size(path);
        long replayed = 0;
        long records = 0;
        long pos = 0;
        long maxExp = 0;
        String problem = null;
        try (InputStream raw = Files.newInputStream(path);
                DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            if (size == 0) {
                return new Scan(0, 0, 0, 0, 0);
            }
            if (size < HEADER || in.readInt() != MAGIC || in.readInt() != VERSION) {
                problem = "no valid segment header";
            } else {
                pos = HEADER;
                byte[] buf = new byte[256];
                while (true) {
                    int first = in.read();
                    if (first < 0) {
                        break;
                    }
                    int length;
                    int expected;
                    try {
                        length = first << 24 | in.readUnsignedByte() << 16 | in.readUnsignedShort();
                        expected = in.readInt();
                        if (length <= 0 || length > MAX_RECORD) {
                            problem = "record length " + length + " out of range";
                            break;
                        }
                        if (buf.length < length) {
                            buf = new byte[Math.max(length, buf.length * 2)];
                        }
                        in.readFully(buf, 0, length);
                    } catch (EOFException e) {
                        problem = "incomplete record";
                        break;
                    }
                    crc.reset();
                    crc.update(buf, 0, length);
                    if ((int) crc.getValue() != expected) {
                        problem = "CRC mismatch";
                        break;
                    }
                    Row row;
                    try {
                        row = decode(buf, length);
                    } catch (IOException | RuntimeException e) {
                        problem = "undecodable record";
                        break;
                    }
                    records++;
                    pos += HEADER + length;
                    maxExp = Math.max(maxExp, row.exp);
                    if (row.exp > now && index != null) {
                        index.add(row.jti, row.ancestors, row.chain, row.statusIndex, row.minted, row.exp,
                                row.externalRefs);
                        replayed++;
                    }
                }
            }
        }
        if (problem != null) {
            LOG.warning("minted log " + path.getFileName() + ": " + problem + " at byte " + pos + " of " + size
                    + "; the rest of this segment (a torn or corrupt tail) is skipped");
        }
        return new Scan(replayed, records, pos, size, maxExp);
    }

    private record Row(String jti, List<String> ancestors, List<String> chain, long statusIndex, long minted,
            long exp, List<String> externalRefs) {
    }

    private static Row decode(byte[] buf, int length) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(buf, 0, length));
        String jti = readString(in, length);
        List<String> ancestors = readStrings(in, length);
        List<String> chain = readStrings(in, length);
        long statusIndex = in.readLong();
        long minted = in.readLong();
        long exp = in.readLong();
        List<String> ext = readStrings(in, length);
        if (in.available() != 0) {
            throw new IOException("trailing bytes");
        }
        return new Row(jti, ancestors, chain, statusIndex, minted, exp, ext);
    }

    private static List<String> readStrings(DataInputStream in, int limit) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit / 4) {
            throw new IOException("bad count");
        }
        if (n == 0) {
            return List.of();
        }
        List<String> list = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            list.add(readString(in, limit));
        }
        return list;
    }

    private static String readString(DataInputStream in, int limit) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit) {
            throw new IOException("bad length");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A ByteArrayOutputStream whose buffer can be read without a copy. */
    private static final class Payload extends ByteArrayOutputStream {
        Payload() {
            super(256);
        }

        byte[] bytes() {
            return buf;
        }
    }
}
