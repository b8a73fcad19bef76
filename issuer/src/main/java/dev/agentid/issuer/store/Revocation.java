package dev.agentid.issuer.store;

import java.time.Instant;
import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoField;

/** Value of the {@code revoked} cache: when a token was revoked and when it expires anyway. */
@Proto
record Revocation(@ProtoField(1) Instant revokedAt, @ProtoField(2) Instant expiresAt) {
}
