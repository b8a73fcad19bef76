package dev.agentid.issuer.monitor;

import dev.agentid.issuer.audit.AuditEvent;

import java.time.Instant;
import java.util.List;


/**
 * One decision of the issuer as monitoring sees it, reduced from its audit event: who, what was asked or granted,
 * through which chain, from which workload.
 *
 * @param kind what happened
 * @param agent the agent the behaviour belongs to (the client that got or was refused a token)
 * @param owner its owner (issuance only), else null
 * @param scopes and {@code audiences}: granted (issuance), empty otherwise
 * @param delegator for a delegation (token exchange), the actor whose token was exchanged, else null
 * @param depth the new token's chain length (1 for a first-hand token)
 * @param partners issuers of chain actors other than this issuer
 * @param attestation the attested workload digest, or null
 * @param binding the sender-binding key thumbprint, or null for a bearer token
 * @param error the OAuth error of a refusal, else null
 * @param authenticated whether the refused client was authenticated
 */
public record Observation(Kind kind, Instant time, String agent, String owner, List<String> scopes,
                          List<String> audiences, String delegator, int depth, List<String> partners,
                          String attestation, String binding, String error, boolean authenticated) {

    public enum Kind { ISSUED, REFUSED, KILLED, RESTORED, OFFBOARDED, OTHER }

    /** The observation of an audit event, or null when monitoring has no use for it. */
    @SuppressWarnings("unchecked")
    public static Observation of(AuditEvent event, Instant time) {
        if (event instanceof AuditEvent.Issued i) {
            String self = i.chain().isEmpty() ? null : i.chain().get(0).issuer();
            String delegator = i.chain().size() > 1 ? i.chain().get(1).agent() : null;
            List<String> partners = i.chain().stream().map(AuditEvent.ChainActor::issuer)
                    .filter(iss -> iss != null && !iss.equals(self)).distinct().toList();
            String binding = null;
            if (i.binding() != null && !i.binding().isEmpty()) {
                Object v = i.binding().values().iterator().next();
                binding = v == null ? null : v.toString();
            }
            return new Observation(Kind.ISSUED, time, i.agent(), i.owner(), i.scopes(), i.audiences(), delegator,
                    Math.max(1, i.chain().size()), partners,
                    i.attestation() == null ? null : i.attestation().digest(), binding, null, true);
        }
        if (event instanceof AuditEvent.Refused r) {
            if (r.agent() == null) {
                return null;   // nobody to attribute it to
            }
            return new Observation(Kind.REFUSED, time, r.agent(), null, List.of(), List.of(), null, 0, List.of(),
                    null, null, r.error(), r.authenticated());
        }
        if (event instanceof AuditEvent.Governance g && AuditEvent.OWNER_DISABLED.equals(g.type())) {
            Object owner = g.fields().get("owner");
            return owner == null ? null : new Observation(Kind.OFFBOARDED, time, "-", owner.toString(), List.of(),
                    List.of(), null, 0, List.of(), null, null, null, true);
        }
        if (event instanceof AuditEvent.AgentChanged c) {
            Kind kind = AuditEvent.AGENT_KILLED.equals(c.type()) ? Kind.KILLED
                    : AuditEvent.AGENT_RESTORED.equals(c.type()) ? Kind.RESTORED : Kind.OTHER;
            return new Observation(kind, time, c.agent(), c.owner(), List.of(), List.of(), null, 0, List.of(), null,
                    null, null, true);
        }
        return null;
    }

    /** A first-hand or delegated issuance, for tests and the traffic generator. */
    public static Observation issued(Instant time, String agent, List<String> scopes, List<String> audiences) {
        return new Observation(Kind.ISSUED, time, agent, null, scopes, audiences, null, 1, List.of(), null, null,
                null, true);
    }

    public Observation withDelegator(String delegator, int depth) {
        return new Observation(kind, time, agent, owner, scopes, audiences, delegator, depth, partners, attestation,
                binding, error, authenticated);
    }

    public Observation withAttestation(String digest) {
        return new Observation(kind, time, agent, owner, scopes, audiences, delegator, depth, partners, digest,
                binding, error, authenticated);
    }

    public Observation withBinding(String thumbprint) {
        return new Observation(kind, time, agent, owner, scopes, audiences, delegator, depth, partners, attestation,
                thumbprint, error, authenticated);
    }

    public Observation withPartners(List<String> issuers) {
        return new Observation(kind, time, agent, owner, scopes, audiences, delegator, depth, issuers, attestation,
                binding, error, authenticated);
    }

    public static Observation refused(Instant time, String agent, String error, boolean authenticated) {
        return new Observation(Kind.REFUSED, time, agent, null, List.of(), List.of(), null, 0, List.of(), null, null,
                error, authenticated);
    }

}
