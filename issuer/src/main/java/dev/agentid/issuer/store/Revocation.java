package dev.agentid.issuer.store;

import java.time.Instant;
import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * Value of the {@code revoked} cache: when a token was revoked, when it expires anyway, and the root of its lineage
 * (null in marks written before the lineage claims: then the token itself is taken as the root).
 */
@Proto
record Revocation(@ProtoField(1) Instant revokedAt, @ProtoField(2) Instant expiresAt, @ProtoField(3) String root) {
}
