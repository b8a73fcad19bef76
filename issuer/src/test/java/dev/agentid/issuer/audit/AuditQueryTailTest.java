package dev.agentid.issuer.audit;

import dev.agentid.issuer.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AuditQuery.tail, the incremental reader behind the web console: only the new records, across segments, whole lines. */
class AuditQueryTailTest {

    /** A checkpoint (and a new segment) after every third record. */
    private static final AuditSettings ROLLING = new AuditSettings(3, Duration.ofHours(1), Duration.ZERO, 64L << 20,
            Duration.ZERO);

    @TempDir
    Path dataDir;
    private final MutableClock clock = new MutableClock();
    private AuditLog log;

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    private void append(int from, int to) throws Exception {
        for (int i = from; i < to; i++) {
            log.append(AuditLogTest.issued("jti-" + i)).get(10, TimeUnit.SECONDS);
        }
    }

    private static List<String> jtis(List<AuditRecord> records) {
        return records.stream().filter(r -> AuditEvent.TOKEN_ISSUED.equals(r.type())).map(r -> r.field("jti"))
                .toList();
    }

    @Test
    void eachCallReadsOnlyTheRecordsWrittenSinceTheLastAcrossSegments() throws Exception {
        log = AuditLog.open(dataDir, "node-a", clock, ROLLING, AuditLogTest.signer(
                new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("k").generate()));
        AuditQuery query = new AuditQuery(dataDir.resolve("audit"));
        append(0, 5);
        List<AuditRecord> first = new ArrayList<>();
        AuditQuery.Position at = query.tail(AuditQuery.Position.START, first::add);
        assertEquals(List.of("jti-0", "jti-1", "jti-2", "jti-3", "jti-4"), jtis(first));

        append(5, 12);
        assertTrue(AuditLog.segments(dataDir.resolve("audit")).size() >= 3);
        List<AuditRecord> second = new ArrayList<>();
        AuditQuery.Position next = query.tail(at, second::add);
        assertEquals(List.of("jti-5", "jti-6", "jti-7", "jti-8", "jti-9", "jti-10", "jti-11"), jtis(second));
        assertEquals(first.get(first.size() - 1).seq() + 1, second.get(0).seq(), "nothing skipped, nothing repeated");
        List<AuditRecord> none = new ArrayList<>();
        assertEquals(next, query.tail(next, none::add));
        assertEquals(List.of(), none);
    }

    @Test
    void aPartlyWrittenLastLineIsReadOnceItIsComplete() throws Exception {
        log = AuditLog.open(dataDir, "node-a", clock, AuditSettings.DEFAULT, AuditLogTest.signer(
                new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("k").generate()));
        append(0, 3);
        log.close();
        log = null;
        List<Path> segments = AuditLog.segments(dataDir.resolve("audit"));
        Path last = segments.get(segments.size() - 1);
        byte[] all = Files.readAllBytes(last);
        Files.write(last, Arrays.copyOf(all, all.length - 10));   // the writer is in the middle of the last line
        AuditQuery query = new AuditQuery(dataDir.resolve("audit"));
        List<AuditRecord> before = new ArrayList<>();
        AuditQuery.Position at = query.tail(AuditQuery.Position.START, before::add);
        Files.write(last, Arrays.copyOfRange(all, all.length - 10, all.length), StandardOpenOption.APPEND);
        List<AuditRecord> after = new ArrayList<>();
        query.tail(at, after::add);
        assertEquals(1, after.size(), "the completed line, once");
        List<AuditRecord> whole = new ArrayList<>();
        query.tail(AuditQuery.Position.START, whole::add);
        assertEquals(whole.size(), before.size() + 1);
        assertEquals(whole.get(whole.size() - 1).seq(), after.get(0).seq());
    }
}
