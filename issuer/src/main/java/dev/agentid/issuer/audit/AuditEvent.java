package dev.agentid.issuer.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decisions the issuer records (docs/AUDIT.md lists every type and its fields). Each event is built from values
 * the deciding code already holds; the writer thread encodes and hashes it. No event carries a token, a key or a
 * secret: tokens appear by {@code jti}, keys by {@code kid}, sender bindings by thumbprint.
 */
public sealed interface AuditEvent {

    String TOKEN_ISSUED = "token.issued";
    String TOKEN_REFUSED = "token.refused";
    String TOKEN_REVOKED = "token.revoked";
    String AGENT_REGISTERED = "agent.registered";
    String AGENT_UPDATED = "agent.updated";
    String AGENT_DEREGISTERED = "agent.deregistered";
    String AGENT_KILLED = "agent.killed";
    String AGENT_RESTORED = "agent.restored";
    String KEYS_ROTATED = "keys.rotated";
    /** The trust file was reloaded with a change (federation partners). */
    String TRUST_CHANGED = "trust.changed";
    /** Human approval (profile section 6.13). */
    String APPROVAL_REQUESTED = "approval.requested";
    String APPROVAL_APPROVED = "approval.approved";
    String APPROVAL_DENIED = "approval.denied";
    String APPROVAL_EXPIRED = "approval.expired";
    /** Behavioural monitoring (docs/MONITORING.md): an alert, and each automatic response with its evidence. */
    String MONITOR_ALERT = "monitor.alert";
    String MONITOR_ACTION = "monitor.action";
    /** Lifecycle governance (README "Lifecycle governance"): an owner offboarded, an access review certified. */
    String OWNER_DISABLED = "owner.disabled";
    /** A Security Event Token an identity provider pushed (Shared Signals), and what it caused. */
    String SECURITY_EVENT = "security.event";
    /** An agent's key older than ISSUER_KEY_MAX_AGE_DAYS, alerted once. */
    String KEY_OVERDUE = "agent.key_overdue";
    String AGENT_RECERTIFIED = "agent.recertified";
    /** The web console (docs/CONSOLE.md): a sign-in (through the identity provider, or break-glass) and a sign-out. */
    String CONSOLE_SIGNED_IN = "console.signed_in";
    String CONSOLE_SIGNED_OUT = "console.signed_out";
    /** The log's own records. */
    String AUDIT_STARTED = "audit.started";
    String AUDIT_CHECKPOINT = "audit.checkpoint";
    String AUDIT_RETENTION = "audit.retention";

    /** The stable type name. */
    String type();

    /** The fields, in the order they are listed (the log sorts them). */
    Map<String, Object> fields();

    /** One actor of a delegation chain: its {@code sub} and {@code iss}. */
    record ChainActor(String agent, String issuer) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>(2);
            m.put("sub", agent);
            m.put("iss", issuer);
            return m;
        }
    }

    /** What the client attestation showed: attester, workload digest, attestation time (epoch seconds). */
    record AttestationSummary(String attester, String digest, long attestedAt) {
    }

    /**
     * A token was issued.
     *
     * @param grant the grant: client_credentials, token-exchange, human-exchange, jwt-bearer, partner-grant
     * @param agent the client agent (the new token's current actor)
     * @param owner the client agent's owner
     * @param principal the token's {@code sub}
     * @param chain every actor of the new token's chain, current first
     * @param jti the new token's {@code jti}
     * @param ancestors the {@code anc} lineage claim: ancestors' {@code jti}s minted here, root first (the last one
     *     is the parent)
     * @param attestation the presenter's client attestation, or null
     * @param binding the {@code cnf} confirmation: {"jkt": ...} or {"x5t#S256": ...}; empty for a bearer token
     * @param approval the id of the human approval this issuance redeemed (profile section 6.13), or null
     */
    record Issued(String grant, String agent, String owner, String principal, List<ChainActor> chain,
                  List<String> scopes, List<String> audiences, String jti, List<String> ancestors, long expiresAt,
                  AttestationSummary attestation, Map<String, Object> binding, String approval)
            implements AuditEvent {

        /** An issuance that redeemed no approval. */
        public Issued(String grant, String agent, String owner, String principal, List<ChainActor> chain,
                      List<String> scopes, List<String> audiences, String jti, List<String> ancestors, long expiresAt,
                      AttestationSummary attestation, Map<String, Object> binding) {
            this(grant, agent, owner, principal, chain, scopes, audiences, jti, ancestors, expiresAt, attestation,
                    binding, null);
        }

        /** This record, naming the approval it redeemed. */
        public Issued withApproval(String approvalId) {
            return new Issued(grant, agent, owner, principal, chain, scopes, audiences, jti, ancestors, expiresAt,
                    attestation, binding, approvalId);
        }

        @Override
        public String type() {
            return TOKEN_ISSUED;
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(16);
            f.put("grant", grant);
            f.put("agent", agent);
            f.put("owner", owner);
            f.put("principal", principal);
            List<Object> actors = new ArrayList<>(chain.size());
            chain.forEach(a -> actors.add(a.toMap()));
            f.put("chain", actors);
            f.put("scopes", scopes);
            f.put("audiences", audiences);
            f.put("jti", jti);
            f.put("parent_jti", ancestors.isEmpty() ? null : ancestors.get(ancestors.size() - 1));
            f.put("anc", ancestors);
            f.put("exp", expiresAt);
            if (attestation != null) {
                Map<String, Object> att = new LinkedHashMap<>(3);
                att.put("attester", attestation.attester());
                att.put("digest", attestation.digest());
                att.put("attested_at", attestation.attestedAt());
                f.put("attestation", att);
            }
            f.put("binding", binding.isEmpty() ? "bearer" : binding);
            if (approval != null) {
                f.put("approval", approval);
            }
            return f;
        }
    }

    /**
     * A token request was refused.
     *
     * @param endpoint token or revocation
     * @param error the OAuth error code
     * @param row the refusal-table row when the refusal names one, else null
     * @param agent the authenticated agent, else the client_id the request named (unproven), else null
     * @param authenticated whether {@code agent} was authenticated
     * @param reason the public error_description (what the client was told; never the private detail)
     */
    record Refused(String endpoint, String grant, String error, String row, String agent, boolean authenticated,
                   String reason) implements AuditEvent {

        @Override
        public String type() {
            return TOKEN_REFUSED;
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(8);
            f.put("endpoint", endpoint);
            f.put("grant", grant);
            f.put("error", error);
            f.put("row", row);
            f.put("agent", agent);
            f.put("authenticated", agent == null ? null : authenticated);
            f.put("reason", reason);
            return f;
        }
    }

    /**
     * A token (and with it its whole subtree) was revoked.
     *
     * @param by "admin" or the revoking agent's id
     * @param jti the revoked token
     * @param root the root of its lineage
     * @param agent the token's current actor
     * @param principal the token's {@code sub}
     * @param descendants how many descendants this node knows of, or -1 when not known
     */
    record Revoked(String by, String jti, String root, String agent, String principal, long descendants)
            implements AuditEvent {

        @Override
        public String type() {
            return TOKEN_REVOKED;
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(6);
            f.put("by", by);
            f.put("jti", jti);
            f.put("root", root);
            f.put("agent", agent);
            f.put("principal", principal);
            f.put("descendants", descendants < 0 ? null : descendants);
            return f;
        }
    }

    /**
     * A registration changed: registered, updated (PATCH), deregistered, killed or restored.
     *
     * @param type one of the agent.* types
     * @param by who: "admin" (the admin token)
     * @param agent the agent
     * @param owner its owner
     * @param changes what changed: for a registration every field; for an update each changed field as
     *     {"from": ..., "to": ...}; JWK sets appear as their key ids
     * @param reason why (kill and restore: the admin's {@code reason}), or null
     */
    record AgentChanged(String type, String by, String agent, String owner, Map<String, Object> changes,
                        String reason) implements AuditEvent {

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(5);
            f.put("by", by);
            f.put("agent", agent);
            f.put("owner", owner);
            f.put("changes", changes.isEmpty() ? null : changes);
            f.put("reason", reason);
            return f;
        }
    }

    /**
     * The trust file was reloaded after a change: the partner issuers trusted now, those added and those removed (an
     * edited entry of a partner that stays is in neither list). Who edited the file is outside the issuer's view.
     */
    record TrustChanged(List<String> partners, List<String> added, List<String> removed) implements AuditEvent {

        @Override
        public String type() {
            return TRUST_CHANGED;
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(4);
            f.put("by", "trust-file");
            f.put("partners", partners);
            f.put("added", added);
            f.put("removed", removed);
            return f;
        }
    }

    /**
     * The signing keys were rotated: who ({@code admin} through the admin API, {@code key-file} when the issuer found
     * a changed key file, a {@code keys.jar rotate}), the signing key now, the new key and when it activates.
     */
    record KeysRotated(String by, String signingKid, String newKid, String activatesAt) implements AuditEvent {

        /** From the ring after the change: the key signing now, and the newest key with its activation. */
        public static KeysRotated of(String by, dev.agentid.keys.KeyRing ring, java.time.Instant now) {
            dev.agentid.keys.ManagedKey newest = ring.keys().stream()
                    .max(java.util.Comparator.comparing(dev.agentid.keys.ManagedKey::createdAt)).orElseThrow();
            return new KeysRotated(by, ring.signingKeyId(now), newest.privateJwk().getKeyID(),
                    newest.activatesAt().toString());
        }

        @Override
        public String type() {
            return KEYS_ROTATED;
        }

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(4);
            f.put("by", by);
            f.put("signing_kid", signingKid);
            f.put("new_kid", newKid);
            f.put("activates_at", activatesAt);
            return f;
        }
    }

    /**
     * A request held for a human's approval, and what became of it (requested, approved, denied, expired). Linked to
     * its lineage by {@code parent_jti} (the subject token) and to the token it became by the issuance record's
     * {@code approval}.
     *
     * @param type one of the approval.* types
     * @param approval the approval's id (the CIBA {@code auth_req_id})
     * @param agent the requesting client agent
     * @param owner its owner
     * @param principal the principal the token would be for
     * @param chain the chain of the token it would become, current first
     * @param details the RFC 9396 authorization details, each as its canonical JSON text
     * @param reasons why the policy holds the request
     * @param ancestors the subject token's {@code jti} and its ancestors', root first (the last one is the parent)
     * @param approver who decided ({@code <idp>#<sub>}, or break-glass:admin); null for requested and expired
     */
    record Approval(String type, String approval, String agent, String owner, String principal,
                    List<ChainActor> chain, List<String> scopes, List<String> audiences, List<String> details,
                    List<String> reasons, List<String> ancestors, String approver, String decisionReason)
            implements AuditEvent {

        @Override
        public Map<String, Object> fields() {
            Map<String, Object> f = new LinkedHashMap<>(16);
            f.put("approval", approval);
            f.put("agent", agent);
            f.put("owner", owner);
            f.put("principal", principal);
            List<Object> actors = new ArrayList<>(chain.size());
            chain.forEach(a -> actors.add(a.toMap()));
            f.put("chain", actors);
            f.put("scopes", scopes);
            f.put("audiences", audiences);
            f.put("authorization_details", details.isEmpty() ? null : details);
            f.put("reasons", reasons);
            f.put("parent_jti", ancestors.isEmpty() ? null : ancestors.get(ancestors.size() - 1));
            f.put("anc", ancestors);
            f.put("approver", approver);
            f.put("break_glass", approver == null ? null : dev.agentid.verifier.Approval.BREAK_GLASS.equals(approver));
            if (decisionReason != null) {
                f.put("decision_reason", decisionReason);   // the approver's own words, when given
            }
            return f;
        }
    }

    /**
     * A record of behavioural monitoring ({@link #MONITOR_ALERT}, {@link #MONITOR_ACTION}) or lifecycle governance
     * ({@link #OWNER_DISABLED}, {@link #AGENT_RECERTIFIED}); fields as built there.
     */
    record Governance(String type, Map<String, Object> fields) implements AuditEvent {
    }

    /**
     * A console sign-in or sign-out: {@code by} (the human, {@code <IdP issuer>#<sub>}, or {@code break-glass:admin}),
     * {@code method} ({@code oidc} or {@code break_glass}) and the session's {@code roles}.
     */
    record ConsoleAccess(String type, Map<String, Object> fields) implements AuditEvent {
    }

    /** The log's own records (start, checkpoint, retention): written by the writer thread only. */
    record Internal(String type, Map<String, Object> fields) implements AuditEvent {
    }
}
