package dev.agentid.issuer.federation;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A partner organisation as the trust file names it: its issuer, where its RFC 8414 metadata is, which of its
 * agents may hand work to which of ours, and the most scope any chain from it may hold here.
 *
 * @param issuer the partner's pinned issuer identifier; its metadata's {@code issuer} must equal it
 * @param metadataUrl its RFC 8414 metadata (default: {@code <issuer>/.well-known/oauth-authorization-server},
 *     with the path insertion of RFC 8414 section 3 for an issuer with a path)
 * @param agents partner agent id to the local agent ids it may hand work to
 * @param scopes the most scope a chain from this partner may hold here
 */
public record Partner(String issuer, URI metadataUrl, Map<String, Set<String>> agents, List<String> scopes) {

    public Partner {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(metadataUrl, "metadataUrl");
        agents = Map.copyOf(agents);
        scopes = List.copyOf(scopes);
    }

    /** Whether the partner's agent {@code partnerAgent} may hand work to our agent {@code localAgent}. */
    public boolean mayActFor(String partnerAgent, String localAgent) {
        Set<String> locals = agents.get(partnerAgent);
        return locals != null && locals.contains(localAgent);
    }

    /** RFC 8414 section 3: the well-known suffix goes between the host and the issuer's path. */
    static URI defaultMetadataUrl(String issuer) {
        URI uri = URI.create(issuer);
        String path = uri.getRawPath() == null || uri.getRawPath().equals("/") ? "" : uri.getRawPath();
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + "/.well-known/oauth-authorization-server"
                + path);
    }
}
