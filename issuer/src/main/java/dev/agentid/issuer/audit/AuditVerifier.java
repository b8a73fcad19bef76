package dev.agentid.issuer.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies a node's audit log (docs/AUDIT.md, "Verifying"): every record's hash, the chain of {@code prev} hashes and
 * the consecutive {@code seq}s across segments, every checkpoint's JWS against the issuer's public keys, the start of
 * the log (the genesis hash, or a prefix dropped by retention as an {@code audit.retention} record states), and that
 * the log still holds the last checkpoint copied out of it ({@code checkpoint.json}, and any copy kept elsewhere).
 * The first failure is reported with the {@code seq} of the first broken record: the chain is intact before it.
 */
public final class AuditVerifier {

    /**
     * The outcome.
     *
     * @param intact no failure
     * @param firstBroken the seq of the first broken record (null when intact): edited, deleted, moved, or missing
     * @param problem what is wrong with it (null when intact)
     * @param notes observations that are not failures (a torn unacknowledged tail, records not yet checkpointed)
     */
    public record Result(boolean intact, long records, long checkpoints, long firstSeq, long lastSeq,
                         long lastCheckpointSeq, Long firstBroken, String problem, List<String> notes) {

        /** The report the verify command prints. */
        public String report() {
            StringBuilder text = new StringBuilder();
            if (intact) {
                text.append("audit log intact: records ").append(firstSeq).append("..").append(lastSeq).append(", ")
                        .append(checkpoints).append(" signed checkpoint(s), the last at seq ")
                        .append(lastCheckpointSeq).append('\n');
            } else {
                text.append("audit log BROKEN: first broken record seq ").append(firstBroken).append(": ")
                        .append(problem).append('\n');
            }
            notes.forEach(n -> text.append("note: ").append(n).append('\n'));
            return text.toString();
        }
    }

    private static final class Broken extends Exception {
        final long seq;

        Broken(long seq, String message) {
            super(message, null, false, false);
            this.seq = seq;
        }
    }

    private final JWKSet keys;
    private final List<String> anchors;

    /**
     * @param keys the issuer's public keys (every key that may have signed a checkpoint still in the log)
     * @param anchors checkpoint record lines kept outside the log (the log must hold each of them)
     */
    public AuditVerifier(JWKSet keys, List<String> anchors) {
        this.keys = keys;
        this.anchors = List.copyOf(anchors);
    }

    /** Verifies the log in {@code auditDir}, with its own {@code checkpoint.json} as one more anchor. */
    public Result verify(Path auditDir) throws IOException {
        List<String> allAnchors = new ArrayList<>(anchors);
        Path own = auditDir.resolve(AuditLog.CHECKPOINT_FILE);
        if (Files.exists(own)) {
            allAnchors.add(Files.readString(own, StandardCharsets.UTF_8).trim());
        }
        Scan scan = new Scan();
        try {
            scan.run(auditDir, allAnchors);
            return new Result(true, scan.records, scan.checkpoints, scan.firstSeq, scan.lastSeq,
                    scan.lastCheckpointSeq, null, null, scan.notes);
        } catch (Broken b) {
            return new Result(false, scan.records, scan.checkpoints, scan.firstSeq, scan.lastSeq,
                    scan.lastCheckpointSeq, b.seq, b.getMessage(), scan.notes);
        }
    }

    private final class Scan {
        long records;
        long checkpoints;
        long firstSeq;
        long lastSeq;
        long lastCheckpointSeq;
        final List<String> notes = new ArrayList<>();
        final Map<Long, String> retentionBoundaries = new HashMap<>();

        void run(Path dir, List<String> anchorLines) throws IOException, Broken {
            Map<Long, String> anchorHashes = new HashMap<>();
            for (String line : anchorLines) {
                AuditRecord anchor;
                try {
                    anchor = AuditRecord.parse(line);
                } catch (IllegalArgumentException e) {
                    throw new Broken(0, "a checkpoint copy is not a record");
                }
                checkpoint(anchor);
                anchorHashes.put(anchor.seq(), anchor.hash());
            }
            List<Path> segments = AuditLog.segments(dir);
            if (segments.isEmpty()) {
                throw new Broken(1, "no audit log segments in " + dir);
            }
            String node = null;
            String prevHash = null;
            AuditRecord first = null;
            for (int si = 0; si < segments.size(); si++) {
                Path segment = segments.get(si);
                byte[] bytes = Files.readAllBytes(segment);
                String text = new String(bytes, StandardCharsets.UTF_8);
                int start = 0;
                boolean firstOfSegment = true;
                while (start < text.length()) {
                    int end = text.indexOf('\n', start);
                    if (end < 0) {
                        if (si == segments.size() - 1) {
                            notes.add("a torn last line of " + (text.length() - start) + " characters (a write that"
                                    + " died before its fsync: never acknowledged; the issuer cuts it at its next start)");
                            break;
                        }
                        throw new Broken(lastSeq + 1, segment.getFileName() + " ends with an incomplete line");
                    }
                    String line = text.substring(start, end);
                    start = end + 1;
                    AuditRecord record;
                    long expected = first == null ? AuditLog.firstSeq(segment) : lastSeq + 1;
                    try {
                        record = AuditRecord.parse(line);
                    } catch (IllegalArgumentException e) {
                        throw new Broken(expected, "the line where seq " + expected + " belongs ("
                                + segment.getFileName() + ") is not an audit record");
                    }
                    if (firstOfSegment && record.seq() != AuditLog.firstSeq(segment)) {
                        throw new Broken(Math.min(expected, AuditLog.firstSeq(segment)), segment.getFileName()
                                + " starts with seq " + record.seq() + ", not the seq its name says");
                    }
                    firstOfSegment = false;
                    if (first != null && record.seq() != expected) {
                        throw new Broken(expected, "seq " + expected + " expected after " + lastSeq + ", found seq "
                                + record.seq() + " (a record was deleted, or records reordered)");
                    }
                    if (!record.computedHash().equals(record.hash())) {
                        throw new Broken(record.seq(), "its content does not match its hash (the record was edited)");
                    }
                    if (first == null) {
                        first = record;
                        firstSeq = record.seq();
                        node = record.node();
                    } else if (!record.prev().equals(prevHash)) {
                        throw new Broken(lastSeq, "its hash is not the prev of seq " + record.seq()
                                + " (the record was edited and rehashed, or replaced)");
                    }
                    if (!record.node().equals(node)) {
                        throw new Broken(record.seq(), "node '" + record.node() + "' in a log of node '" + node + "'");
                    }
                    if (AuditEvent.AUDIT_CHECKPOINT.equals(record.type())) {
                        checkpoint(record);
                        checkpoints++;
                        lastCheckpointSeq = record.seq();
                    } else if (AuditEvent.AUDIT_RETENTION.equals(record.type())) {
                        Object through = record.fields().get("dropped_through_seq");
                        if (through instanceof Number n && record.field("dropped_last_hash") != null) {
                            retentionBoundaries.put(n.longValue(), record.field("dropped_last_hash"));
                        }
                    }
                    String anchored = anchorHashes.remove(record.seq());
                    if (anchored != null && !anchored.equals(record.hash())) {
                        throw new Broken(record.seq(), "it differs from the signed checkpoint kept outside the log");
                    }
                    records++;
                    lastSeq = record.seq();
                    prevHash = record.hash();
                }
            }
            if (first == null) {
                throw new Broken(AuditLog.firstSeq(segments.get(0)), "the log holds no record");
            }
            if (first.seq() == 1) {
                if (!first.prev().equals(AuditRecord.GENESIS)) {
                    throw new Broken(1, "the first record's prev is not the genesis hash");
                }
            } else {
                String boundary = retentionBoundaries.get(first.seq() - 1);
                if (!first.prev().equals(boundary)) {
                    long firstKept = first.seq();
                    long lastKnown = retentionBoundaries.keySet().stream().filter(s -> s < firstKept)
                            .mapToLong(Long::longValue).max().orElse(0);
                    throw new Broken(lastKnown + 1, "the log starts at seq " + first.seq() + " and no audit.retention"
                            + " record drops the records before it (a prefix was deleted)");
                }
                notes.add("records 1.." + (first.seq() - 1) + " were dropped by retention (an audit.retention record"
                        + " states the boundary); they are not verified");
            }
            if (!anchorHashes.isEmpty()) {
                long missing = anchorHashes.keySet().stream().mapToLong(Long::longValue).max().getAsLong();
                throw new Broken(lastSeq + 1, "the log ends at seq " + lastSeq + " but holds no seq " + missing
                        + ", a signed checkpoint kept outside the log (records were truncated)");
            }
            if (lastSeq > lastCheckpointSeq) {
                notes.add((lastSeq - lastCheckpointSeq) + " record(s) after the last checkpoint: chained, not yet"
                        + " signed (a truncation among them is detected only against a later checkpoint)");
            }
        }

        /** A checkpoint: covers the record before it, and its JWS is the issuer's over {node, seq, hash}. */
        private void checkpoint(AuditRecord record) throws Broken {
            Object covers = record.fields().get("covers_seq");
            String coversHash = record.field("covers_hash");
            String jws = record.field("jws");
            if (!AuditEvent.AUDIT_CHECKPOINT.equals(record.type()) || !(covers instanceof Number)
                    || ((Number) covers).longValue() != record.seq() - 1 || !record.prev().equals(coversHash)
                    || jws == null) {
                throw new Broken(record.seq(), "a malformed checkpoint");
            }
            try {
                SignedJWT signed = SignedJWT.parse(jws);
                if (!JWSAlgorithm.ES256.equals(signed.getHeader().getAlgorithm())) {
                    throw new Broken(record.seq(), "checkpoint signed with " + signed.getHeader().getAlgorithm());
                }
                String kid = signed.getHeader().getKeyID();
                JWK key = kid == null ? null : keys.getKeyByKeyId(kid);
                if (!(key instanceof ECKey)) {
                    throw new Broken(record.seq(), "checkpoint signed by key '" + kid + "', which is not among the"
                            + " keys given (pass the JWKS that held it with --jwks)");
                }
                if (!signed.verify(new ECDSAVerifier(((ECKey) key).toECPublicKey()))) {
                    throw new Broken(record.seq(), "the checkpoint's signature does not verify");
                }
                JWTClaimsSet claims = signed.getJWTClaimsSet();
                Object seq = claims.getClaim("seq");
                if (!record.node().equals(claims.getStringClaim("node")) || !(seq instanceof Number)
                        || ((Number) seq).longValue() != record.seq() - 1
                        || !coversHash.equals(claims.getStringClaim("hash"))) {
                    throw new Broken(record.seq(), "the checkpoint's signed node, seq or hash differ from the log");
                }
            } catch (ParseException | JOSEException e) {
                throw new Broken(record.seq(), "the checkpoint's JWS does not parse or verify: " + e.getMessage());
            }
        }
    }
}
