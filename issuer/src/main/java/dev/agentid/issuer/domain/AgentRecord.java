package dev.agentid.issuer.domain;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.text.ParseException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Immutable agent registration.
 *
 * <p>The agent's public JWK set is kept as the JSON text it was registered with (that is what is persisted) and is
 * parsed exactly once, when the record is built or unmarshalled; {@link #jwks()} returns that parsed set. Registries
 * keep records as heap objects, so a request that looks an agent up does not parse its keys again. Instants are kept
 * at millisecond precision (the persisted precision).
 */
public final class AgentRecord {

    private final String agentId;
    private final String owner;
    private final String jwksJson;
    private final List<String> scopes;
    private final List<String> audiences;
    private final List<String> delegates;
    private final int maxDelegationDepth;
    private final long tokenTtlSeconds;
    private final AgentStatus status;
    private final Instant createdAt;
    private final Instant statusChangedAt;
    private final Instant lastKilledAt;
    private final transient JWKSet jwks;
    // sender-constrained tokens (RFC 9449 / RFC 8705 client metadata); see withSenderConstraints
    private final boolean dpopBoundAccessTokens;
    private final boolean tlsClientCertificateBoundAccessTokens;
    private final String tlsClientAuthSanUri;
    // client attestation (draft-ietf-oauth-attestation-based-client-auth); see withAttestation
    private final AttestationRequirement attestation;
    // human principals (federation/idp): the users ("<idp issuer>#<sub>") and groups ("<idp issuer>#<group>")
    // this agent may act for when a chain starts from a human's token; see withActsFor
    private final List<String> actsForUsers;
    private final List<String> actsForGroups;
    // human approval (profile section 6.13): which requests need it, who approves; null: none; see withApproval
    private final ApprovalPolicy approval;

    /**
     * @throws IllegalArgumentException if {@code jwksJson} is not a JWK set or holds private key material, or a number
     *     is out of range
     */
    public AgentRecord(String agentId, String owner, String jwksJson, List<String> scopes, List<String> audiences,
            List<String> delegates, int maxDelegationDepth, long tokenTtlSeconds, AgentStatus status, Instant createdAt,
            Instant statusChangedAt) {
        this(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth, tokenTtlSeconds, status,
                createdAt, statusChangedAt, status == AgentStatus.KILLED ? statusChangedAt : null);
    }

    /**
     * As above, with the time of the last kill: a restore lifts the kill for new tokens only, so tokens issued
     * up to this instant stay dead.
     */
    public AgentRecord(String agentId, String owner, String jwksJson, List<String> scopes, List<String> audiences,
            List<String> delegates, int maxDelegationDepth, long tokenTtlSeconds, AgentStatus status, Instant createdAt,
            Instant statusChangedAt, Instant lastKilledAt) {
        this(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth, tokenTtlSeconds, status,
                createdAt, statusChangedAt, lastKilledAt, parsePublicJwks(jwksJson), false, false, null,
                AttestationRequirement.NONE, List.of(), List.of(), null);
    }

    private AgentRecord(String agentId, String owner, String jwksJson, List<String> scopes, List<String> audiences,
            List<String> delegates, int maxDelegationDepth, long tokenTtlSeconds, AgentStatus status, Instant createdAt,
            Instant statusChangedAt, Instant lastKilledAt, JWKSet jwks, boolean dpopBoundAccessTokens,
            boolean tlsClientCertificateBoundAccessTokens, String tlsClientAuthSanUri,
            AttestationRequirement attestation, List<String> actsForUsers, List<String> actsForGroups,
            ApprovalPolicy approval) {
        this.agentId = Objects.requireNonNull(agentId, "agentId");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.jwksJson = jwksJson;
        this.scopes = copy(scopes);
        this.audiences = copy(audiences);
        this.delegates = copy(delegates);
        if (maxDelegationDepth < 0) {
            throw new IllegalArgumentException("maxDelegationDepth must be >= 0");
        }
        if (tokenTtlSeconds <= 0) {
            throw new IllegalArgumentException("tokenTtlSeconds must be > 0");
        }
        this.maxDelegationDepth = maxDelegationDepth;
        this.tokenTtlSeconds = tokenTtlSeconds;
        this.status = Objects.requireNonNull(status, "status");
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt").truncatedTo(ChronoUnit.MILLIS);
        this.statusChangedAt = Objects.requireNonNull(statusChangedAt, "statusChangedAt")
                .truncatedTo(ChronoUnit.MILLIS);
        this.lastKilledAt = lastKilledAt == null ? null : lastKilledAt.truncatedTo(ChronoUnit.MILLIS);
        this.jwks = jwks;
        this.dpopBoundAccessTokens = dpopBoundAccessTokens;
        this.tlsClientCertificateBoundAccessTokens = tlsClientCertificateBoundAccessTokens;
        this.tlsClientAuthSanUri = tlsClientAuthSanUri;
        this.attestation = Objects.requireNonNull(attestation, "attestation");
        this.actsForUsers = copy(actsForUsers);
        this.actsForGroups = copy(actsForGroups);
        this.approval = approval;
    }

    /**
     * A builder for a new {@link AgentStatus#ACTIVE} registration; {@code statusChangedAt} defaults to
     * {@code createdAt}.
     */
    public static Builder builder(String agentId) {
        return new Builder(agentId);
    }

    public String agentId() {
        return agentId;
    }

    public String owner() {
        return owner;
    }

    /** The agent's public JWK set, as registered (JSON text). */
    public String jwksJson() {
        return jwksJson;
    }

    public List<String> scopes() {
        return scopes;
    }

    public List<String> audiences() {
        return audiences;
    }

    public List<String> delegates() {
        return delegates;
    }

    public int maxDelegationDepth() {
        return maxDelegationDepth;
    }

    public long tokenTtlSeconds() {
        return tokenTtlSeconds;
    }

    public AgentStatus status() {
        return status;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant statusChangedAt() {
        return statusChangedAt;
    }

    /** When the agent was last killed, or null if never; survives a restore. */
    public Instant lastKilledAt() {
        return lastKilledAt;
    }

    /**
     * The kill switch, the one liveness rule for an agent: it is killed now, or it was killed at or after
     * {@code tokenIssuedAt} (a restore lifts a kill for new tokens only). {@code tokenIssuedAt} null: a token about to
     * be issued (or a client authenticating), which only the current status stops.
     */
    public boolean disabledFor(Instant tokenIssuedAt) {
        if (status != AgentStatus.ACTIVE) {
            return true;
        }
        return tokenIssuedAt != null && lastKilledAt != null && !tokenIssuedAt.isAfter(lastKilledAt);
    }

    /**
     * {@link #disabledFor} for tokens minted at whole epoch milliseconds, as one bound: a token minted at {@code ms}
     * is disabled exactly when {@code ms <= disabledThroughMillis()}. {@link Long#MAX_VALUE} while the agent is not
     * active, its last kill time (rounded down to the millisecond) once restored, {@link Long#MIN_VALUE} if never
     * killed.
     */
    public long disabledThroughMillis() {
        if (status != AgentStatus.ACTIVE) {
            return Long.MAX_VALUE;
        }
        return lastKilledAt == null ? Long.MIN_VALUE : lastKilledAt.toEpochMilli();
    }

    /** Deregistered: final, kept for audit only. */
    public boolean deregistered() {
        return status == AgentStatus.DEREGISTERED;
    }

    /**
     * This agent's lifecycle (status, its times, last kill) carried over to {@code changed}, a new registration of the
     * same agent id (an update of its settings); the rest is {@code changed}'s.
     */
    public AgentRecord withSettingsOf(AgentRecord changed) {
        if (!agentId.equals(changed.agentId)) {
            throw new IllegalArgumentException("another agent id");
        }
        return new AgentRecord(agentId, changed.owner, changed.jwksJson, changed.scopes, changed.audiences,
                changed.delegates, changed.maxDelegationDepth, changed.tokenTtlSeconds, status, createdAt,
                statusChangedAt, lastKilledAt, changed.jwks, changed.dpopBoundAccessTokens,
                changed.tlsClientCertificateBoundAccessTokens, changed.tlsClientAuthSanUri, changed.attestation,
                changed.actsForUsers, changed.actsForGroups, changed.approval);
    }

    /** A copy with another owner (lifecycle: an offboarded owner's agent reassigned to a successor). */
    public AgentRecord withOwner(String newOwner) {
        return new AgentRecord(agentId, newOwner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt, jwks, dpopBoundAccessTokens,
                tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, attestation, actsForUsers, actsForGroups,
                approval);
    }

    /** The parsed {@link #jwksJson()}; parsed once per record instance, never per call. */
    public JWKSet jwks() {
        return jwks;
    }

    /** A copy with another status; shares the parsed key set. */
    public AgentRecord withStatus(AgentStatus s, Instant at) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, s, createdAt, at, s == AgentStatus.KILLED ? at : lastKilledAt, jwks,
                dpopBoundAccessTokens, tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, attestation,
                actsForUsers, actsForGroups, approval);
    }

    /**
     * A copy with the agent's sender-constraint settings (RFC 9449 section 5.2 and RFC 8705 client metadata);
     * shares the parsed key set.
     *
     * @param dpopBound {@code dpop_bound_access_tokens}: every token request must carry a DPoP proof
     * @param certificateBound {@code tls_client_certificate_bound_access_tokens}: tokens are bound to the client
     *     certificate of the TLS connection that requested them
     * @param sanUri {@code tls_client_auth_san_uri}: the SAN URI that a client certificate must carry for
     *     {@code tls_client_auth}; null when the agent does not use mutual-TLS client authentication
     */
    public AgentRecord withSenderConstraints(boolean dpopBound, boolean certificateBound, String sanUri) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt, jwks, dpopBound, certificateBound,
                sanUri, attestation, actsForUsers, actsForGroups, approval);
    }

    /**
     * A copy with the agent's client-attestation requirement (whether an attestation is required, and the
     * pinned measurements); shares the parsed key set.
     */
    public AgentRecord withAttestation(AttestationRequirement requirement) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt, jwks, dpopBoundAccessTokens,
                tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, requirement, actsForUsers, actsForGroups,
                approval);
    }

    /**
     * A copy with the human principals the agent may act for (federation/idp): {@code users} as
     * {@code <idp issuer>#<sub>}, {@code groups} as {@code <idp issuer>#<group>}; shares the parsed key set.
     */
    public AgentRecord withActsFor(List<String> users, List<String> groups) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt, jwks, dpopBoundAccessTokens,
                tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, attestation, users, groups, approval);
    }

    /** A copy with the agent's approval policy (null: no request needs approval); shares the parsed key set. */
    public AgentRecord withApproval(ApprovalPolicy policy) {
        return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                tokenTtlSeconds, status, createdAt, statusChangedAt, lastKilledAt, jwks, dpopBoundAccessTokens,
                tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, attestation, actsForUsers, actsForGroups,
                policy);
    }

    /** The registration's {@code approval} policy, or null when none of the agent's requests needs approval. */
    public ApprovalPolicy approval() {
        return approval;
    }

    /** {@code acts_for.users}: the humans ({@code <idp issuer>#<sub>}) this agent may act for; empty: none. */
    public List<String> actsForUsers() {
        return actsForUsers;
    }

    /** {@code acts_for.groups}: a human in one of these groups ({@code <idp issuer>#<group>}) may be acted for. */
    public List<String> actsForGroups() {
        return actsForGroups;
    }

    /** What the agent's client attestations must satisfy; {@link AttestationRequirement#NONE} by default. */
    public AttestationRequirement attestation() {
        return attestation;
    }

    /** RFC 9449 {@code dpop_bound_access_tokens}: token requests without a DPoP proof are refused. */
    public boolean dpopBoundAccessTokens() {
        return dpopBoundAccessTokens;
    }

    /** RFC 8705 {@code tls_client_certificate_bound_access_tokens}: tokens carry {@code cnf.x5t#S256}. */
    public boolean tlsClientCertificateBoundAccessTokens() {
        return tlsClientCertificateBoundAccessTokens;
    }

    /** RFC 8705 {@code tls_client_auth_san_uri}, or null: the agent does not use {@code tls_client_auth}. */
    public String tlsClientAuthSanUri() {
        return tlsClientAuthSanUri;
    }

    private static List<String> copy(List<String> values) {
        return values == null ? List.of() : List.copyOf(values);
    }

    private static JWKSet parsePublicJwks(String json) {
        Objects.requireNonNull(json, "jwksJson");
        JWKSet set;
        try {
            set = JWKSet.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("jwksJson is not a JWK set", e);
        }
        for (JWK key : set.getKeys()) {
            if (key.isPrivate()) {
                throw new IllegalArgumentException("jwksJson must hold public keys only");
            }
        }
        return set;
    }

    /** Equality over the registered data; the parsed key set is derived from {@link #jwksJson()}. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AgentRecord)) {
            return false;
        }
        AgentRecord that = (AgentRecord) o;
        return maxDelegationDepth == that.maxDelegationDepth
                && tokenTtlSeconds == that.tokenTtlSeconds
                && agentId.equals(that.agentId)
                && owner.equals(that.owner)
                && jwksJson.equals(that.jwksJson)
                && scopes.equals(that.scopes)
                && audiences.equals(that.audiences)
                && delegates.equals(that.delegates)
                && status == that.status
                && createdAt.equals(that.createdAt)
                && statusChangedAt.equals(that.statusChangedAt)
                && Objects.equals(lastKilledAt, that.lastKilledAt)
                && dpopBoundAccessTokens == that.dpopBoundAccessTokens
                && tlsClientCertificateBoundAccessTokens == that.tlsClientCertificateBoundAccessTokens
                && Objects.equals(tlsClientAuthSanUri, that.tlsClientAuthSanUri)
                && attestation.equals(that.attestation)
                && actsForUsers.equals(that.actsForUsers)
                && actsForGroups.equals(that.actsForGroups)
                && Objects.equals(approval, that.approval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth, tokenTtlSeconds,
                status, createdAt, statusChangedAt, lastKilledAt, dpopBoundAccessTokens,
                tlsClientCertificateBoundAccessTokens, tlsClientAuthSanUri, attestation, actsForUsers, actsForGroups,
                approval);
    }

    /** Names and shapes only; no key material. */
    @Override
    public String toString() {
        return "AgentRecord[agentId=" + agentId + ", owner=" + owner + ", keys=" + jwks.getKeys().size()
                + ", scopes=" + scopes + ", audiences=" + audiences + ", delegates=" + delegates
                + ", maxDelegationDepth=" + maxDelegationDepth + ", tokenTtlSeconds=" + tokenTtlSeconds
                + ", status=" + status + ", createdAt=" + createdAt + ", statusChangedAt=" + statusChangedAt
                + ", lastKilledAt=" + lastKilledAt + ", dpopBoundAccessTokens=" + dpopBoundAccessTokens
                + ", tlsClientCertificateBoundAccessTokens=" + tlsClientCertificateBoundAccessTokens
                + ", tlsClientAuthSanUri=" + tlsClientAuthSanUri + ", attestation=" + attestation
                + ", actsForUsers=" + actsForUsers + ", actsForGroups=" + actsForGroups
                + ", approval=" + (approval != null) + "]";
    }

    /** Pre-filled with empty lists, depth 0 and status ACTIVE. */
    public static final class Builder {
        private final String agentId;
        private String owner;
        private String jwksJson;
        private List<String> scopes = List.of();
        private List<String> audiences = List.of();
        private List<String> delegates = List.of();
        private int maxDelegationDepth;
        private long tokenTtlSeconds = 300;
        private AgentStatus status = AgentStatus.ACTIVE;
        private Instant createdAt;
        private Instant statusChangedAt;

        private Builder(String agentId) {
            this.agentId = agentId;
        }

        public Builder owner(String owner) {
            this.owner = owner;
            return this;
        }

        public Builder jwksJson(String jwksJson) {
            this.jwksJson = jwksJson;
            return this;
        }

        public Builder scopes(List<String> scopes) {
            this.scopes = scopes;
            return this;
        }

        public Builder audiences(List<String> audiences) {
            this.audiences = audiences;
            return this;
        }

        public Builder delegates(List<String> delegates) {
            this.delegates = delegates;
            return this;
        }

        public Builder maxDelegationDepth(int maxDelegationDepth) {
            this.maxDelegationDepth = maxDelegationDepth;
            return this;
        }

        public Builder tokenTtlSeconds(long tokenTtlSeconds) {
            this.tokenTtlSeconds = tokenTtlSeconds;
            return this;
        }

        public Builder status(AgentStatus status) {
            this.status = status;
            return this;
        }

        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        public Builder statusChangedAt(Instant statusChangedAt) {
            this.statusChangedAt = statusChangedAt;
            return this;
        }

        public AgentRecord build() {
            return new AgentRecord(agentId, owner, jwksJson, scopes, audiences, delegates, maxDelegationDepth,
                    tokenTtlSeconds, status, createdAt, statusChangedAt == null ? createdAt : statusChangedAt);
        }
    }
}
