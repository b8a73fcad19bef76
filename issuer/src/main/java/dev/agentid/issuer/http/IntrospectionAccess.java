package dev.agentid.issuer.http;

import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.client.AuthenticatedClient;
import dev.agentid.verifier.VerifiedAgentToken;

import java.util.Objects;

/**
 * Who may learn what a token says at the introspection endpoint (RFC 7662 section 4: the server limits which
 * protected resources may introspect which tokens). An authenticated agent sees an active token only if
 *
 * <ul>
 *   <li>it is an actor of the token's delegation chain (of this issuer): it holds, held or derived the token; or</li>
 *   <li>it is the resource server the token is for: one of the token's {@code aud} values is its {@code agent_id},
 *       or its agent URI {@code urn:agentid:agent:<agent_id>} (a resource server registers as an agent to
 *       introspect, under the name its tokens are addressed to).</li>
 * </ul>
 *
 * The admin sees every token. Anyone else gets exactly the answer for an invalid token, {@code {"active":false}}, so
 * the endpoint is no oracle for whether a foreign token is live. Pure and thread-safe.
 */
final class IntrospectionAccess {

    private final String issuer;

    IntrospectionAccess(String issuer) {
        this.issuer = Objects.requireNonNull(issuer);
    }

    boolean maySee(AuthenticatedClient caller, VerifiedAgentToken token) {
        if (caller.admin()) {
            return true;
        }
        String agentId = caller.agent().agentId();
        if (token.chain().containsAgent(agentId, issuer)) {
            return true;
        }
        for (String audience : token.audience()) {
            if (audience.equals(agentId) || audience.equals(ClientCertificates.AGENT_URI_PREFIX + agentId)) {
                return true;
            }
        }
        return false;
    }
}
