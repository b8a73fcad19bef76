package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;
import dev.agentid.issuer.domain.ApprovalPolicy;

import java.time.Instant;
import java.util.List;
import dev.agentid.issuer.domain.AttestationRequirement;
import org.infinispan.protostream.annotations.ProtoAdapter;
import org.infinispan.protostream.annotations.ProtoFactory;
import org.infinispan.protostream.annotations.ProtoField;

/**
 * ProtoStream wire form of {@link AgentRecord} (message {@code dev.agentid.issuer.domain.AgentRecord}). Field numbers
 * are the persisted format: never reuse or renumber them, only add new ones.
 */
@ProtoAdapter(AgentRecord.class)
final class AgentRecordAdapter {

    @ProtoFactory
    AgentRecord create(String agentId, String owner, String jwksJson, List<String> scopes, List<String> audiences,
            List<String> delegates, int maxDelegationDepth, long tokenTtlSeconds, AgentStatus status, Instant createdAt,
            Instant statusChangedAt, Instant lastKilledAt, boolean dpopBoundAccessTokens,
            boolean tlsClientCertificateBoundAccessTokens, String tlsClientAuthSanUri, boolean attestationRequired,
            List<String> attestedDigests, List<String> attestedModels, List<String> attestedRuntimes,
            List<String> actsForUsers, List<String> actsForGroups, String approvalJson) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt)
                .withSenderConstraints(dpopBoundAccessTokens, tlsClientCertificateBoundAccessTokens,
                        tlsClientAuthSanUri)
                .withAttestation(new AttestationRequirement(attestationRequired, attestedDigests, attestedModels,
                        attestedRuntimes))
                .withActsFor(actsForUsers, actsForGroups)
                .withApproval(ApprovalPolicy.fromJson(approvalJson));
    }

    @ProtoField(1)
    String getAgentId(AgentRecord a) {
        return a.agentId();
    }

    @ProtoField(2)
    String getOwner(AgentRecord a) {
        return a.owner();
    }

    @ProtoField(3)
    String getJwksJson(AgentRecord a) {
        return a.jwksJson();
    }

    @ProtoField(4)
    List<String> getScopes(AgentRecord a) {
        return a.scopes();
    }

    @ProtoField(5)
    List<String> getAudiences(AgentRecord a) {
        return a.audiences();
    }

    @ProtoField(6)
    List<String> getDelegates(AgentRecord a) {
        return a.delegates();
    }

    @ProtoField(number = 7, defaultValue = "0")
    int getMaxDelegationDepth(AgentRecord a) {
        return a.maxDelegationDepth();
    }

    @ProtoField(number = 8, defaultValue = "0")
    long getTokenTtlSeconds(AgentRecord a) {
        return a.tokenTtlSeconds();
    }

    @ProtoField(9)
    AgentStatus getStatus(AgentRecord a) {
        return a.status();
    }

    @ProtoField(10)
    Instant getCreatedAt(AgentRecord a) {
        return a.createdAt();
    }

    @ProtoField(11)
    Instant getStatusChangedAt(AgentRecord a) {
        return a.statusChangedAt();
    }

    @ProtoField(12)
    Instant getLastKilledAt(AgentRecord a) {
        return a.lastKilledAt();
    }

    // 20..: sender-constrained tokens (RFC 9449, RFC 8705)

    @ProtoField(number = 20, defaultValue = "false")
    boolean getDpopBoundAccessTokens(AgentRecord a) {
        return a.dpopBoundAccessTokens();
    }

    @ProtoField(number = 21, defaultValue = "false")
    boolean getTlsClientCertificateBoundAccessTokens(AgentRecord a) {
        return a.tlsClientCertificateBoundAccessTokens();
    }

    @ProtoField(22)
    String getTlsClientAuthSanUri(AgentRecord a) {
        return a.tlsClientAuthSanUri();
    }

    // 13..16: client attestation requirement and pinned measurements

    @ProtoField(number = 13, defaultValue = "false")
    boolean getAttestationRequired(AgentRecord a) {
        return a.attestation().required();
    }

    @ProtoField(14)
    List<String> getAttestedDigests(AgentRecord a) {
        return a.attestation().digests();
    }

    @ProtoField(15)
    List<String> getAttestedModels(AgentRecord a) {
        return a.attestation().models();
    }

    @ProtoField(16)
    List<String> getAttestedRuntimes(AgentRecord a) {
        return a.attestation().runtimes();
    }

    // 30..: human principals (federation/idp)

    @ProtoField(30)
    List<String> getActsForUsers(AgentRecord a) {
        return a.actsForUsers();
    }

    @ProtoField(31)
    List<String> getActsForGroups(AgentRecord a) {
        return a.actsForGroups();
    }

    // 40: the approval policy (profile section 6.13) as its JSON text; absent: none
    @ProtoField(40)
    String getApprovalJson(AgentRecord a) {
        return a.approval() == null ? null : a.approval().toJson();
    }
}
