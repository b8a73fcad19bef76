package dev.agentid.issuer.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import org.infinispan.protostream.annotations.Proto;
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
 */
@Proto
public record TokenRecord(
        @ProtoField(1) String jti,
        @ProtoField(2) String parentJti,
        @ProtoField(3) List<String> ancestors,
        @ProtoField(4) List<String> actors,
        @ProtoField(5) String subject,
        @ProtoField(6) Instant expiresAt,
        @ProtoField(7) Instant issuedAt) {

    public TokenRecord {
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(subject, "subject");
        expiresAt = Objects.requireNonNull(expiresAt, "expiresAt").truncatedTo(ChronoUnit.MILLIS);
        issuedAt = Objects.requireNonNull(issuedAt, "issuedAt").truncatedTo(ChronoUnit.MILLIS);
        ancestors = ancestors == null ? List.of() : List.copyOf(ancestors);
        actors = actors == null ? List.of() : List.copyOf(actors);
    }
}
