package dev.agentid.issuer.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-node crash log of minted tokens: round trip, torn tails, expiry, permissions and rotation. */
class MintedLogTest {

    static final long T0 = 1_800_000_000_000L;
    static final long NOW = T0 / 1000;

    @TempDir
    Path tmp;

    /** A clock that moves only when told to. */
    static final class FakeClock extends Clock {
        long millis = T0;

        void advance(Duration d) {
            millis += d.toMillis();
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Appends root rows "j<i>" with status i, exp NOW + 100 + i. */
    static void appendRoots(MintedLog log, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            log.append("j" + i, List.of(), List.of("agent-" + i % 3), i, T0 + i, NOW + 100 + i, List.of());
        }
    }

    /** Status indices of all root rows "j<from>".."j<to - 1>" still live in index. */
    static Set<Long> live(MintedIndex index, int from, int to) {
        Set<Long> out = new TreeSet<>();
        for (int i = from; i < to; i++) {
            index.forSubtree("j" + i, "j" + i, NOW, out::add);
        }
        return out;
    }

    static Set<Long> range(int from, int to) {
        Set<Long> s = new TreeSet<>();
        for (long i = from; i < to; i++) {
            s.add(i);
        }
        return s;
    }

    @Test
    void rowsComeBackWithEveryField() throws IOException {
        Path dir = tmp.resolve("minted");
        FakeClock clock = new FakeClock();
        try (MintedLog log = new MintedLog(dir, clock)) {
            log.append("r", List.of(), List.of("a1"), 1, 1000, NOW + 50, List.of());
            log.append("c", List.of("r"), List.of("a2", "a1"), 2, 2000, NOW + 60, List.of("https://p.example/s#7"));
            log.append("g", List.of("r", "c"), List.of("a2"), 3, 3000, NOW + 70, List.of());
            log.append("ünï-ʝti", List.of(), List.of(), Long.MAX_VALUE, 4000, NOW + 80, List.of());
        }
        MintedLog log = new MintedLog(dir, clock);
        MintedIndex index = new MintedIndex();
        assertEquals(4, log.replay(index, NOW));
        assertEquals(Map.of("a1", 2L, "a2", 2L), index.liveCountsPerAgent(NOW));
        assertEquals(Map.of("a2", 1L), index.liveCountsPerAgent(NOW + 60), "expiry came back");
        Set<Long> out = new TreeSet<>();
        index.forAgent("a1", 1499, NOW, out::add);
        assertEquals(Set.of(1L), out, "mint time came back");
        out.clear();
        index.forExternal("https://p.example/s#7"::equals, NOW, out::add);
        assertEquals(Set.of(2L), out, "external reference came back");
        out.clear();
        index.forSubtree("r", "r", NOW, out::add);
        assertEquals(Set.of(3L), out, "lineage came back: g descends from r");
        out.clear();
        index.forSubtree("ünï-ʝti", "ünï-ʝti", NOW, out::add);
        assertEquals(Set.of(Long.MAX_VALUE), out);

        assertEquals(4, log.replay(new MintedIndex(), NOW), "replay reads, it does not consume");
        log.close();
    }

    @Test
    void aProcessKilledWithoutCloseLeavesAnOrphanThatTheNextOneReplaysAndSeals() throws IOException {
        Path dir = tmp.resolve("minted");
        FakeClock clock = new FakeClock();
        MintedLog dead = new MintedLog(dir, clock);
        appendRoots(dead, 0, 10);
        dead.flush(); // the page cache survives kill -9; the unflushed buffer would not
        appendRoots(dead, 10, 12);
        assertEquals(1, files(dir).size());
        assertTrue(files(dir).get(0).endsWith(".open"));

        try (MintedLog next = new MintedLog(dir, clock)) {
            MintedIndex index = new MintedIndex();
            assertEquals(10, next.replay(index, NOW));
            assertEquals(range(0, 10), live(index, 0, 12));
            appendRoots(next, 20, 25);
            next.flush();
            List<String> names = files(dir);
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.endsWith("-exp" + (NOW + 109) + ".seg")), names.toString());
        }
        MintedLog third = new MintedLog(dir, clock);
        MintedIndex index = new MintedIndex();
        assertEquals(15, third.replay(index, NOW));
        assertEquals(new TreeSet<>(Set.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 20L, 21L, 22L, 23L, 24L)),
                live(index, 0, 25));
        third.close();
    }

    @Test
    void aTornOrCorruptTailIsSkippedAndEveryCompleteRecordReplays() throws IOException {
        Path source = tmp.resolve("source");
        FakeClock clock = new FakeClock();
        List<Long> ends = new ArrayList<>();
        int n = 200;
        Random rnd = new Random(7);
        MintedLog log = new MintedLog(source, clock);
        for (int i = 0; i < n; i++) {
            List<String> anc = i % 4 == 0 ? List.of() : List.of("j" + (i - i % 4));
            log.append("j" + i, anc, List.of("agent-" + rnd.nextInt(9)), i, T0, NOW + 100,
                    i % 7 == 0 ? List.of("ref-" + "x".repeat(rnd.nextInt(40))) : List.of());
            log.flush();
            try (Stream<Path> s = Files.list(source)) {
                ends.add(Files.size(s.findFirst().orElseThrow()));
            }
        }
        log.close();
        Path sealed;
        try (Stream<Path> s = Files.list(source)) {
            sealed = s.findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(sealed);
        assertEquals(ends.get(n - 1), bytes.length);

        for (int trial = 0; trial < 40; trial++) {
            int cut = trial == 0 ? 5 : rnd.nextInt(bytes.length);
            boolean orphan = trial % 2 == 0;
            Path dir = tmp.resolve("torn-" + trial);
            Files.createDirectories(dir);
            String name = orphan ? "minted-" + T0 + ".open" : sealed.getFileName().toString();
            Files.write(dir.resolve(name), Arrays.copyOf(bytes, cut));
            long complete = ends.stream().filter(e -> e <= cut).count();

            MintedLog reader = new MintedLog(dir, clock);
            MintedIndex index = new MintedIndex();
            assertEquals(complete, reader.replay(index, NOW), "cut at " + cut);
            assertEquals(complete, index.size());
            assertEquals(complete, reader.replay(new MintedIndex(), NOW), "again, after sealing, cut at " + cut);
            reader.close();
        }

        // a flipped byte in record 100 (a CRC mismatch) ends the segment there
        Path dir = tmp.resolve("corrupt");
        Files.createDirectories(dir);
        byte[] corrupt = bytes.clone();
        corrupt[(int) (ends.get(99) + 12)] ^= 0x20;
        Files.write(dir.resolve(sealed.getFileName()), corrupt);
        try (MintedLog reader = new MintedLog(dir, clock)) {
            assertEquals(100, reader.replay(new MintedIndex(), NOW));
        }
        // zeros where a record should start (a machine crash may leave them) end it too
        byte[] zeros = Arrays.copyOf(bytes, bytes.length + 64);
        Files.write(dir.resolve(sealed.getFileName()), zeros);
        try (MintedLog reader = new MintedLog(dir, clock)) {
            assertEquals(n, reader.replay(new MintedIndex(), NOW));
        }
    }

    @Test
    void expiredRowsAreNotReplayed() throws IOException {
        Path dir = tmp.resolve("minted");
        FakeClock clock = new FakeClock();
        try (MintedLog log = new MintedLog(dir, clock)) {
            appendRoots(log, 0, 10); // exp NOW + 100 + i
        }
        try (MintedLog log = new MintedLog(dir, clock)) {
            MintedIndex index = new MintedIndex();
            assertEquals(3, log.replay(index, NOW + 106), "exp == now is expired");
            assertEquals(3, index.size());
            assertEquals(0, log.replay(new MintedIndex(), NOW + 109));
        }
    }

    @Test
    void deleteExpiredRemovesOnlySegmentsWhoseRowsAllExpired() throws IOException {
        Path dir = tmp.resolve("minted");
        FakeClock clock = new FakeClock();
        MintedLog log = new MintedLog(dir, clock);
        appendRoots(log, 0, 5); // segment 1: exp up to NOW + 104
        clock.advance(Duration.ofMinutes(10));
        appendRoots(log, 5, 10); // segment 2: exp up to NOW + 109
        clock.advance(Duration.ofMinutes(10));
        log.append("late", List.of(), List.of(), 99, T0, NOW + 5000, List.of()); // segment 3, still open
        clock.advance(Duration.ofMinutes(5));
        log.flush();
        assertEquals(3, files(dir).size());

        assertEquals(0, log.deleteExpired(NOW + 103));
        assertEquals(1, log.deleteExpired(NOW + 104));
        assertEquals(2, files(dir).size());
        assertEquals(0, log.deleteExpired(NOW + 108));
        assertEquals(1, log.deleteExpired(NOW + 6000), "the open segment's 10 minutes are not over");
        assertEquals(1, files(dir).size());

        MintedIndex index = new MintedIndex();
        assertEquals(1, log.replay(index, NOW + 200));
        clock.advance(Duration.ofMinutes(5));
        assertEquals(0, log.deleteExpired(NOW + 4999));
        assertEquals(1, log.deleteExpired(NOW + 5000), "sealed once its 10 minutes are over, then deleted");
        assertEquals(List.of(), files(dir));
        log.close();
    }

    @Test
    void theDirectoryIs0700AndSegmentsAre0600() throws IOException {
        assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path dir = tmp.resolve("data").resolve("minted");
        FakeClock clock = new FakeClock();
        try (MintedLog log = new MintedLog(dir, clock)) {
            appendRoots(log, 0, 3);
            log.flush();
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            for (String f : files(dir)) {
                assertEquals("rw-------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.resolve(f))), f);
            }
        }
        for (String f : files(dir)) {
            assertTrue(f.endsWith(".seg"), f);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))));
        }
        // an existing directory with wider permissions is narrowed
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        new MintedLog(dir, clock).close();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void aNewSegmentStartsAfterTenMinutesOfTheClock() throws IOException {
        Path dir = tmp.resolve("minted");
        FakeClock clock = new FakeClock();
        MintedLog log = new MintedLog(dir, clock);
        appendRoots(log, 0, 1);
        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        appendRoots(log, 1, 2);
        log.flush();
        assertEquals(List.of("minted-" + T0 + ".open"), files(dir));
        clock.advance(Duration.ofMillis(1));
        appendRoots(log, 2, 3);
        log.flush();
        long second = T0 + Duration.ofMinutes(10).toMillis();
        assertEquals(List.of("minted-" + T0 + "-exp" + (NOW + 101) + ".seg", "minted-" + second + ".open"),
                files(dir));
        log.close();
        assertEquals(List.of("minted-" + T0 + "-exp" + (NOW + 101) + ".seg",
                "minted-" + second + "-exp" + (NOW + 102) + ".seg"), files(dir));
        assertThrows(IllegalStateException.class, () -> appendRoots(log, 3, 4));

        // a restart in the same millisecond still gets a later, distinct segment
        try (MintedLog again = new MintedLog(dir, clock)) {
            appendRoots(again, 3, 4);
            again.flush();
            assertTrue(files(dir).contains("minted-" + (second + 1) + ".open"), files(dir).toString());
            MintedIndex index = new MintedIndex();
            assertEquals(4, again.replay(index, NOW));
            assertEquals(range(0, 4), live(index, 0, 4));
        }
    }
}
