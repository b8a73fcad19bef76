package dev.agentid.issuer.domain;

import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoEnumValue;

/**
 * Lifecycle state of a registered agent. A {@code KILLED} agent gets no new tokens and its tokens stop verifying until
 * it is restored (then only its tokens issued before the kill stay dead). A {@code DEREGISTERED} agent is kept in the
 * inventory for audit and is final: it gets no new tokens, every token it was ever issued or acts in is dead, and it
 * can be neither restored, killed nor changed.
 */
@Proto
public enum AgentStatus {
    @ProtoEnumValue(0) ACTIVE,
    @ProtoEnumValue(1) KILLED,
    @ProtoEnumValue(2) DEREGISTERED
}
