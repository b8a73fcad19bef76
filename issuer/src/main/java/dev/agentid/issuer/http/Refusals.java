package dev.agentid.issuer.http;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.OAuthException;

/**
 * The audit record of a refusal at the introspection and revocation endpoints (the token endpoint records its own,
 * with the grant). Not waited for: the refusal is sent either way. The agent is the client_id the refusal names
 * (unproven, so {@code authenticated} is false); the reason is the public description only.
 */
final class Refusals {

    private Refusals() {
    }

    static void record(AuditLog audit, String endpoint, Throwable t) {
        if (audit == null || !(t instanceof OAuthException e) || e.status() >= 500) {
            return;   // not a refusal: an outage (503) or a bug (500, in the operations log)
        }
        audit.record(new AuditEvent.Refused(endpoint, null, e.error(), e.row(), e.client(), false, e.description()));
    }
}
