package dev.agentid.issuer.domain;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoFactory;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * One issued token: its place in the lineage. Field numbers are the persisted format: only add new ones.
 *
 * @param jti the token's id
 * @param parentJti the subject token it was exchanged from; {@code null} for a root token
 * @param ancestors jtis of the lineage, root first, excluding this token
 * @param actors agent ids, current actor first
 * @param subject the principal ({@code sub})
 * @param expiresAt the token's {@code exp} (kept at millisecond precision)
 * @param issuedAt when the issuer minted it, at millisecond precision (the {@code iat} claim has whole
 *     seconds only, too coarse to tell a token minted just before a kill from one minted just after a
 *     restore)
 * @param statusIndex the token's place in the issuer's status lists (list number times
 *     {@code StatusLists.LIST_SIZE} plus the {@code idx} claim); {@code null} for a token minted without a
 *     {@code status} claim
 * @param externalStatus the status-list references of this token's ancestors at partner organisations (identity
 *     chaining): each the {@code ExternalStatus} form {@code "<idx> <uri> <issuer>"}; empty for a token whose whole
 *     lineage is this issuer's. A descendant inherits its parent's references.
 */
@Proto
public record TokenRecord(
        @ProtoField(1) String jti,
        @ProtoField(2) String parentJti,
        @ProtoField(3) List<String> ancestors,
        @ProtoField(4) List<String> actors,
        @ProtoField(5) String subject,
        @ProtoField(6) Instant expiresAt,
        @ProtoField(7) Instant issuedAt,
        @ProtoField(8) Long statusIndex,
        @ProtoField(40) List<String> externalStatus) {

    @ProtoFactory
    public TokenRecord {
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(subject, "subject");
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.MILLIS);
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.MILLIS);
        ancestors = ancestors == null ? List.of() : List.copyOf(ancestors);
        actors = actors == null ? List.of() : List.copyOf(actors);
        externalStatus = externalStatus == null ? List.of() : List.copyOf(externalStatus);
    }

    /** A record of a token whose lineage is wholly this issuer's. */
    public TokenRecord(String jti, String parentJti, List<String> ancestors, List<String> actors, String subject,
                       Instant expiresAt, Instant issuedAt, Long statusIndex) {
        this(jti, parentJti, ancestors, actors, subject, expiresAt, issuedAt, statusIndex, List.of());
    }

    /** A record without a status-list index. */
    public TokenRecord(String jti, String parentJti, List<String> ancestors, List<String> actors, String subject,
                       Instant expiresAt, Instant issuedAt) {
        this(jti, parentJti, ancestors, actors, subject, expiresAt, issuedAt, null, List.of());
    }
}
