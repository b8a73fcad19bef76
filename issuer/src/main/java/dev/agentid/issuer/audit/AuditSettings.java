package dev.agentid.issuer.audit;

import java.time.Duration;

/**
 * How the audit log checkpoints, rolls and forgets.
 *
 * @param checkpointEvery a signed checkpoint after at most this many records ({@code ISSUER_AUDIT_CHECKPOINT_RECORDS})
 * @param checkpointInterval and at most this long after the first record it does not cover yet
 *     ({@code ISSUER_AUDIT_CHECKPOINT_SECONDS})
 * @param segmentAge a segment is sealed at the first checkpoint after it is this old
 * @param segmentBytes or this large
 * @param retention sealed segments whose last write is older than this are deleted ({@code
 *     ISSUER_AUDIT_RETENTION_DAYS}); zero keeps everything
 */
public record AuditSettings(int checkpointEvery, Duration checkpointInterval, Duration segmentAge, long segmentBytes,
                            Duration retention) {

    public static final AuditSettings DEFAULT = new AuditSettings(1000, Duration.ofSeconds(60), Duration.ofDays(1),
            64L << 20, Duration.ZERO);

    public AuditSettings withRetention(Duration retention) {
        return new AuditSettings(checkpointEvery, checkpointInterval, segmentAge, segmentBytes, retention);
    }
}
