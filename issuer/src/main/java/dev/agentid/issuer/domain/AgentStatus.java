package dev.agentid.issuer.domain;

import org.infinispan.protostream.annotations.Proto;
import org.infinispan.protostream.annotations.ProtoEnumValue;

/** Lifecycle state of a registered agent. A {@code KILLED} agent gets no new tokens and its tokens stop verifying. */
@Proto
public enum AgentStatus {
    @ProtoEnumValue(0) ACTIVE,
    @ProtoEnumValue(1) KILLED
}
