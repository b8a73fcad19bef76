package dev.agentid.issuer.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log file: chain, group commit, checkpoints, restart, retention; and the verifier on every kind of tampering. */
class AuditLogTest {

    private static final AuditSettings EVERY_FIVE = new AuditSettings(5, Duration.ofHours(1), Duration.ofDays(1),
            64L << 20, Duration.ZERO);

    @TempDir
    Path dataDir;
    private final MutableClock clock = new MutableClock();
    private ECKey key;
    private AuditLog log;

    @BeforeEach
    void key() throws JOSEException {
        key = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    }

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    private AuditLog open(AuditSettings settings) {
        log = AuditLog.open(dataDir, "node-a", clock, settings, signer(key));
        return log;
    }

    static CheckpointSigner signer(ECKey key) {
        return (claims, at) -> {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                    .type(new JOSEObjectType(AuditLog.CHECKPOINT_TYPE)).build(), claims);
            try {
                jwt.sign(new ECDSASigner(key));
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
            return jwt.serialize();
        };
    }

    static AuditEvent issued(String jti) {
        return new AuditEvent.Issued("client_credentials", "agent-a", "alice", "alice",
                List.of(new AuditEvent.ChainActor("agent-a", "https://issuer.example")), List.of("read"),
                List.of("https://api.example"), jti, List.of(), 1_900_000_000L, null, Map.of());
    }

    private AuditVerifier.Result verify() throws IOException {
        return new AuditVerifier(new JWKSet(key.toPublicJWK()), List.of()).verify(dataDir.resolve("audit"));
    }

    /** One at a time, so that batches (and with them checkpoints) fall where the tests expect them. */
    private void appendAndWait(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            log.append(issued("jti-" + i)).get(10, TimeUnit.SECONDS);
        }
    }

    private Path onlySegment() throws IOException {
        List<Path> segments = AuditLog.segments(dataDir.resolve("audit"));
        assertEquals(1, segments.size());
        return segments.get(0);
    }

    private List<String> lines(Path segment) throws IOException {
        return new ArrayList<>(Files.readAllLines(segment, StandardCharsets.UTF_8));
    }

    private void write(Path segment, List<String> lines) throws IOException {
        Files.writeString(segment, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    @Test
    void eachRecordHoldsThePreviousHashAndIsOnDiskWhenItsFutureCompletes() throws Exception {
        open(EVERY_FIVE);
        long seq = log.append(issued("one")).get(10, TimeUnit.SECONDS);
        String text = Files.readString(onlySegment(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"jti\":\"one\""), "the record is in the file once its future completes");
        assertEquals(2, seq, "seq 1 is the audit.started record");
        List<String> lines = lines(onlySegment());
        AuditRecord started = AuditRecord.parse(lines.get(0));
        AuditRecord one = AuditRecord.parse(lines.get(1));
        assertEquals(AuditRecord.GENESIS, started.prev());
        assertEquals(started.hash(), one.prev());
        assertEquals(one.computedHash(), one.hash());
        assertEquals(AuditEvent.TOKEN_ISSUED, one.type());
        assertEquals("node-a", one.node());
    }

    /** {@code threads} threads append {@code each} records apiece, each waiting for its record's future. */
    private Set<Long> appendConcurrently(int threads, int each) throws InterruptedException {
        List<Thread> running = new ArrayList<>();
        Set<Long> seqs = java.util.Collections.synchronizedSet(new HashSet<>());
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread appender = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    try {
                        seqs.add(log.append(issued(thread + "-" + i)).get(10, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            appender.start();
            running.add(appender);
        }
        for (Thread t : running) {
            t.join();
        }
        return seqs;
    }

    @Test
    void concurrentAppendsShareFsyncsAndGetDistinctConsecutiveSeqs() throws Exception {
        open(AuditSettings.DEFAULT);
        Set<Long> seqs = appendConcurrently(8, 250);
        assertEquals(2000, seqs.size());
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
        assertEquals(2001 + result.checkpoints(), result.records(), result.report());
    }

    @Test
    void underLoadTheLogIsForcedAtMostOncePerCommitIntervalAndEachForceCoversSeveralRecords() throws Exception {
        open(AuditSettings.DEFAULT);
        log.append(issued("warm")).get(10, TimeUnit.SECONDS);
        long before = log.forces();
        long start = System.nanoTime();
        int records = appendConcurrently(8, 100).size();
        long elapsed = System.nanoTime() - start;
        long forces = log.forces() - before;
        assertEquals(800, records);
        // every record waited for its own future, so every one of them was forced; at most one force per interval
        assertTrue(forces <= elapsed / AuditLog.COMMIT_INTERVAL_NANOS + 1, forces + " forces in " + elapsed / 1_000_000
                + " ms: more than one per " + AuditLog.COMMIT_INTERVAL_NANOS / 1_000 + " us");
        assertTrue(forces * 2 <= records, forces + " forces for " + records + " records");
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
    }

    @Test
    void aSignedCheckpointFollowsEveryFifthRecordAndIsCopiedOutOfTheLog() throws Exception {
        open(EVERY_FIVE);
        appendAndWait(12);
        log.close();
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
        // start + 12 issuances; checkpoints at seq 6 and 12 (after five records each) and at the clean shutdown
        assertEquals(3, result.checkpoints(), result.report());
        AuditRecord copy = AuditRecord.parse(Files.readString(dataDir.resolve("audit/checkpoint.json")).trim());
        assertEquals(AuditEvent.AUDIT_CHECKPOINT, copy.type());
        assertEquals(result.lastSeq(), copy.seq(), "the clean shutdown's checkpoint is the last record");
    }

    @Test
    void filesAreOwnerOnly() throws Exception {
        open(EVERY_FIVE);
        appendAndWait(6);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dataDir.resolve("audit"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(onlySegment())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dataDir.resolve("audit/checkpoint.json"))));
    }

    @Test
    void aRestartContinuesTheChainAfterCuttingATornLastLine() throws Exception {
        open(EVERY_FIVE);
        appendAndWait(3);
        log.close();
        Files.writeString(onlySegment(), "{\"seq\":99,\"ti", java.nio.file.StandardOpenOption.APPEND);
        open(EVERY_FIVE);
        appendAndWait(3);
        log.close();
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
        assertEquals(2, lines(onlySegment()).stream().filter(l -> l.contains(AuditEvent.AUDIT_STARTED)).count());
    }

    @Test
    void recordsWithoutAnyCheckpointYetAreNotedAsUnsigned() throws Exception {
        open(EVERY_FIVE);
        appendAndWait(2);
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
        assertTrue(result.notes().stream().anyMatch(n -> n.contains("3 record(s) after the last checkpoint")),
                result.report());
    }

    // ---- tampering: each detected, naming the first broken record ----

    /** Records 1..16: start (1), issuances, checkpoints at 6, 12 and 16 (the clean shutdown). */
    private List<String> closedLog() throws Exception {
        open(EVERY_FIVE);
        appendAndWait(12);
        log.close();
        assertTrue(verify().intact());
        return lines(onlySegment());
    }

    @Test
    void editingARecordIsDetectedAtThatRecord() throws Exception {
        List<String> lines = closedLog();
        lines.set(3, lines.get(3).replace("\"principal\":\"alice\"", "\"principal\":\"mallory\""));
        write(onlySegment(), lines);
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(4L, result.firstBroken(), result.report());
    }

    @Test
    void editingARecordAndRecomputingItsHashIsDetectedAtThatRecord() throws Exception {
        List<String> lines = closedLog();
        AuditRecord original = AuditRecord.parse(lines.get(3));
        Map<String, Object> fields = new java.util.LinkedHashMap<>(original.fields());
        fields.put("principal", "mallory");
        lines.set(3, AuditRecord.chain(original.seq(), original.time(), original.node(), original.type(), fields,
                original.prev()).line());
        write(onlySegment(), lines);
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(4L, result.firstBroken(), result.report());
    }

    @Test
    void deletingARecordIsDetectedAtTheMissingSeq() throws Exception {
        List<String> lines = closedLog();
        lines.remove(7);   // seq 8
        write(onlySegment(), lines);
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(8L, result.firstBroken(), result.report());
    }

    @Test
    void reorderingTwoRecordsIsDetectedAtTheFirstOfThem() throws Exception {
        List<String> lines = closedLog();
        String third = lines.get(2);
        lines.set(2, lines.get(3));
        lines.set(3, third);
        write(onlySegment(), lines);
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(3L, result.firstBroken(), result.report());
    }

    @Test
    void truncatingBeforeTheLastCheckpointIsDetectedFromItsCopy() throws Exception {
        List<String> lines = closedLog();
        write(onlySegment(), lines.subList(0, 9));   // through seq 9, before the checkpoints at 12 and 16
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(10L, result.firstBroken(), result.report());
    }

    @Test
    void truncatingBeforeTheLastCheckpointIsDetectedFromACopyKeptElsewhereWhenTheLocalCopyIsGoneToo()
            throws Exception {
        List<String> lines = closedLog();
        String shipped = Files.readString(dataDir.resolve("audit/checkpoint.json")).trim();   // e.g. in the SIEM
        write(onlySegment(), lines.subList(0, 9));
        Files.delete(dataDir.resolve("audit/checkpoint.json"));
        AuditVerifier.Result local = verify();
        assertTrue(local.intact(), "without any copy a clean truncation is indistinguishable: " + local.report());
        AuditVerifier.Result result = new AuditVerifier(new JWKSet(key.toPublicJWK()), List.of(shipped))
                .verify(dataDir.resolve("audit"));
        assertFalse(result.intact());
        assertEquals(10L, result.firstBroken(), result.report());
    }

    @Test
    void aCheckpointSignedByAnotherKeyIsRefused() throws Exception {
        List<String> lines = closedLog();
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
        AuditRecord cp = AuditRecord.parse(lines.get(5));
        assertEquals(AuditEvent.AUDIT_CHECKPOINT, cp.type());
        Map<String, Object> fields = new java.util.LinkedHashMap<>(cp.fields());
        fields.put("jws", signer(other).sign(SignedJWT.parse(cp.field("jws")).getJWTClaimsSet(), clock.instant()));
        // a forger rewrites the checkpoint and rechains everything after it
        List<String> forged = new ArrayList<>(lines.subList(0, 5));
        String prev = cp.prev();
        for (int i = 5; i < lines.size(); i++) {
            AuditRecord r = AuditRecord.parse(lines.get(i));
            AuditRecord re = AuditRecord.chain(r.seq(), r.time(), r.node(), r.type(), i == 5 ? fields : r.fields(),
                    prev);
            forged.add(re.line());
            prev = re.hash();
        }
        write(onlySegment(), forged);
        Files.delete(dataDir.resolve("audit/checkpoint.json"));
        AuditVerifier.Result result = verify();
        assertFalse(result.intact());
        assertEquals(6L, result.firstBroken(), result.report());
    }

    @Test
    void aCheckpointByAKeyNotGivenIsReported() throws Exception {
        closedLog();
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("k2").generate();
        AuditVerifier.Result result = new AuditVerifier(new JWKSet(other.toPublicJWK()), List.of())
                .verify(dataDir.resolve("audit"));
        assertFalse(result.intact());
        assertTrue(result.problem().contains("--jwks"), result.report());
    }

    // ---- segments and retention ----

    @Test
    void retentionDropsWholeSealedSegmentsAtCheckpointsAndTheVerifierAcceptsTheStatedBoundary() throws Exception {
        AuditSettings rolling = new AuditSettings(3, Duration.ofHours(1), Duration.ZERO, 64L << 20,
                Duration.ofDays(1));
        open(rolling);
        appendAndWait(9);   // a checkpoint (and a new segment) after every third record
        int before = AuditLog.segments(dataDir.resolve("audit")).size();
        assertTrue(before >= 3, "segments: " + before);
        clock.advance(Duration.ofDays(2));
        appendAndWait(3);   // the next checkpoint seals a segment and applies the retention
        appendAndWait(1);   // the retention record is written with the next batch
        log.close();
        List<Path> after = AuditLog.segments(dataDir.resolve("audit"));
        assertTrue(AuditLog.firstSeq(after.get(0)) > 1, "old segments dropped: " + after);
        for (Path segment : after) {
            List<String> lines = lines(segment);
            if (!segment.equals(after.get(after.size() - 1))) {
                assertEquals(AuditEvent.AUDIT_CHECKPOINT, AuditRecord.parse(lines.get(lines.size() - 1)).type(),
                        "every sealed segment ends with a checkpoint");
            }
        }
        AuditVerifier.Result result = verify();
        assertTrue(result.intact(), result.report());
        assertTrue(result.notes().stream().anyMatch(n -> n.contains("dropped by retention")), result.report());

        Files.delete(after.get(0));   // an attacker drops one more segment
        AuditVerifier.Result broken = verify();
        assertFalse(broken.intact(), after + " " + broken.report() + lines(after.get(after.size() - 1)));
        assertEquals(AuditLog.firstSeq(after.get(0)), broken.firstBroken(), broken.report());
    }
}
