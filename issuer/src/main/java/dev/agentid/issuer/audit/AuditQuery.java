package dev.agentid.issuer.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads this node's audit log for {@code GET /admin/audit}: filters, in {@code seq} order, with a cursor. Blocking
 * (it reads the segment files); run it on a worker. Records survive the tokens they describe, so "what did agent X do
 * for alice last Tuesday" is answerable after every token involved has expired, as long as the retention keeps it.
 */
public final class AuditQuery {

    /**
     * The filters; null means any.
     *
     * @param agent the acting agent: the record's {@code agent}, or any actor of an issued token's chain
     * @param lineage a {@code jti}: the events of that token, its ancestors (its {@code anc}) and its descendants
     *     (tokens whose {@code anc} holds it), from the issuance records
     * @param type a type ({@code token.issued}) or a family ({@code token}, {@code agent})
     * @param since inclusive; {@code until} exclusive
     * @param after the cursor: only records with a greater seq
     */
    public record Filter(String agent, String owner, String principal, String jti, String lineage, String type,
                         Instant since, Instant until, long after, int limit) {
    }

    /** A page: the records, and the cursor of the next page (null: this was the last). */
    public record Page(List<AuditRecord> records, Long nextCursor) {
    }

    private final Path dir;

    public AuditQuery(Path auditDir) {
        this.dir = auditDir;
    }

    public Page run(Filter filter) throws IOException {
        Lineage lineage = filter.lineage() == null ? null : lineage(filter.lineage());
        List<AuditRecord> found = new ArrayList<>();
        boolean[] more = {false};
        scan(filter.after(), record -> {
            if (more[0] || !matches(record, filter, lineage)) {
                return;
            }
            if (found.size() == filter.limit()) {
                more[0] = true;
                return;
            }
            found.add(record);
        });
        return new Page(found, more[0] ? found.get(found.size() - 1).seq() : null);
    }

    private static boolean matches(AuditRecord r, Filter f, Lineage lineage) {
        if (f.type() != null && !r.type().equals(f.type()) && !r.type().startsWith(f.type() + ".")) {
            return false;
        }
        if (f.since() != null && r.time().isBefore(f.since())) {
            return false;
        }
        if (f.until() != null && !r.time().isBefore(f.until())) {
            return false;
        }
        if (f.owner() != null && !f.owner().equals(r.field("owner"))) {
            return false;
        }
        if (f.principal() != null && !f.principal().equals(r.field("principal"))) {
            return false;
        }
        if (f.jti() != null && !f.jti().equals(r.field("jti"))) {
            return false;
        }
        if (lineage != null && !inLineage(r, lineage)) {
            return false;
        }
        return f.agent() == null || f.agent().equals(r.field("agent")) || inChain(r, f.agent());
    }

    /**
     * A token's record by its {@code jti}. An approval's records (which precede the token they become): by the
     * approval an issuance of the lineage redeemed, or by their {@code parent_jti} when that is the token asked about
     * or one of its descendants (a request from an ancestor on another branch is not this token's).
     */
    private static boolean inLineage(AuditRecord r, Lineage lineage) {
        if (r.field("jti") != null) {
            return lineage.all().contains(r.field("jti"));
        }
        if (!r.type().startsWith("approval.")) {
            return false;
        }
        String parent = r.field("parent_jti");
        return lineage.approvals().contains(r.field("approval"))
                || (parent != null && lineage.all().contains(parent) && !lineage.ancestors().contains(parent));
    }

    /** A token's lineage: it, its ancestors and descendants; its strict ancestors; the approvals they redeemed. */
    private record Lineage(Set<String> all, Set<String> ancestors, Set<String> approvals) {
    }

    private static boolean inChain(AuditRecord r, String agent) {
        if (!(r.fields().get("chain") instanceof List<?> chain)) {
            return false;
        }
        for (Object actor : chain) {
            if (actor instanceof Map<?, ?> m && agent.equals(m.get("sub"))) {
                return true;
            }
        }
        return false;
    }

    /** The token, its ancestors and its descendants, from the issuance records' {@code anc}. */
    private Lineage lineage(String jti) throws IOException {
        Set<String> all = new HashSet<>();
        Set<String> ancestors = new HashSet<>();
        java.util.Map<String, String> approvalOf = new java.util.HashMap<>();
        all.add(jti);
        scan(0, r -> {
            if (!AuditEvent.TOKEN_ISSUED.equals(r.type()) || !(r.fields().get("anc") instanceof List<?> anc)) {
                return;
            }
            if (r.field("approval") != null) {
                approvalOf.put(r.field("jti"), r.field("approval"));
            }
            if (jti.equals(r.field("jti"))) {
                anc.forEach(a -> all.add(String.valueOf(a)));
                anc.forEach(a -> ancestors.add(String.valueOf(a)));
            } else if (anc.contains(jti)) {
                all.add(r.field("jti"));
            }
        });
        Set<String> approvals = new HashSet<>();
        all.forEach(t -> {
            if (approvalOf.containsKey(t)) {
                approvals.add(approvalOf.get(t));
            }
        });
        return new Lineage(all, ancestors, approvals);
    }

    /**
     * Where an incremental reader ({@link #tail}) stopped: a segment file and the byte offset after the last complete
     * line it read, and the last seq seen.
     */
    private static final int TAIL_CHUNK = 4 << 20;

    public record Position(Path segment, long offset, long seq) {
        public static final Position START = new Position(null, 0, 0);
    }

    /**
     * Every complete record written after {@code from}, in order, reading only the bytes after it (a reader that
     * follows the log, such as the web console's index, pays for the new records only). A segment dropped by
     * retention meanwhile is skipped; unreadable lines are skipped. Blocking.
     *
     * @return where the next call continues
     */
    public Position tail(Position from, Consumer<AuditRecord> each) throws IOException {
        List<Path> segments = AuditLog.segments(dir);
        int first = from.segment() == null ? 0 : segments.indexOf(from.segment());
        long offset = from.offset();
        if (first < 0) {   // the segment was dropped: continue by seq from the oldest one left
            first = 0;
            offset = 0;
        }
        Position at = from;
        for (int i = first; i < segments.size(); i++) {
            Path segment = segments.get(i);
            long position = i == first ? offset : 0;
            long seq = at.seq();
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(segment)) {
                long size = channel.size();
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(TAIL_CHUNK);
                while (position < size) {
                    // a chunk at a time (a segment is up to 64 MiB): its complete lines, then on from the last one
                    buffer.clear();
                    int read = channel.read(buffer, position);
                    if (read <= 0) {
                        break;
                    }
                    byte[] bytes = buffer.array();
                    int lineStart = 0;
                    for (int end = 0; end < read; end++) {
                        if (bytes[end] != '\n') {
                            continue;
                        }
                        String line = new String(bytes, lineStart, end - lineStart, StandardCharsets.UTF_8);
                        lineStart = end + 1;
                        AuditRecord record;
                        try {
                            record = AuditRecord.parse(line);
                        } catch (IllegalArgumentException e) {
                            continue;
                        }
                        if (record.seq() > seq) {
                            each.accept(record);
                            seq = record.seq();
                        }
                    }
                    if (lineStart == 0) {
                        break;   // no complete line in a whole chunk: the writer is in the middle of it
                    }
                    position += lineStart;   // a partly written last line is read next time
                }
            } catch (java.nio.file.NoSuchFileException dropped) {
                continue;
            }
            at = new Position(segment, position, seq);
        }
        return at;
    }

    /** Every complete record with a seq above {@code after}, in order; unreadable lines are skipped. */
    private void scan(long after, Consumer<AuditRecord> each) throws IOException {
        List<Path> segments = AuditLog.segments(dir);
        for (int i = 0; i < segments.size(); i++) {
            if (i + 1 < segments.size() && AuditLog.firstSeq(segments.get(i + 1)) <= after + 1) {
                continue;   // every record of this segment is at or before the cursor
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(segments.get(i));
            } catch (java.nio.file.NoSuchFileException dropped) {
                continue;   // deleted by retention meanwhile
            }
            int start = 0;
            for (int end = 0; end < bytes.length; end++) {
                if (bytes[end] != '\n') {
                    continue;
                }
                String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
                start = end + 1;
                AuditRecord record;
                try {
                    record = AuditRecord.parse(line);
                } catch (IllegalArgumentException e) {
                    continue;   // audit-verify reports it
                }
                if (record.seq() > after) {
                    each.accept(record);
                }
            }
        }
    }
}
