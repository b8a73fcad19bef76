package dev.agentid.issuer.federation;

import java.net.URI;
import java.time.Duration;
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
 * @param statusListPrefix the one URI prefix under which this partner's status lists may be (default
 *     {@code <issuer>/oauth2/status/}); a grant whose status list is elsewhere is refused (F11)
 * @param outboundAgents our agents that may obtain grants for this partner even though it is not among their
 *     registered audiences ({@code outbound_agents}; outbound policy, F24)
 * @param subjects the principals ({@code sub}) a chain that starts at this partner may carry here: each entry is
 *     one subject, or a prefix ending in {@code *} (a namespace: {@code "user:*"}, {@code "https://idp.example#*"});
 *     {@code "*"} is any subject. Empty: none (F30)
 * @param proofs the human principals a chain that starts at this partner may carry only with the IdP's proof: the
 *     object entries of {@code subjects} ({@code {"idp": ..., "proof": "required", "audience": [...]}}); a subject
 *     that a string entry allows needs no proof (F33–F37)
 */
public record Partner(String issuer, URI metadataUrl, Map<String, Set<String>> agents, List<String> scopes,
                      String statusListPrefix, Set<String> outboundAgents, List<String> subjects,
                      List<SubjectProof> proofs) {

    /** The longest {@code max_age} a trust file may give a proof entry. */
    public static final Duration MAX_PROOF_AGE = Duration.ofHours(24);
    /** A proof entry's {@code max_age} when the trust file gives none. */
    public static final Duration DEFAULT_PROOF_AGE = Duration.ofHours(1);

    /**
     * "Only human principals of this IdP, with proof": a subject {@code <idp>#<sub>} is accepted only with the IdP's
     * id_token for {@code sub} in the grant's {@code sub_proof}, issued to one of the partner's clients at the IdP
     * ({@code audiences}: its {@code aud} must contain one), at most {@code maxAge} old ({@code iat}) and unexpired.
     */
    public record SubjectProof(String idp, Set<String> audiences, Duration maxAge) {
        public SubjectProof {
            Objects.requireNonNull(idp, "idp");
            audiences = Set.copyOf(audiences);
            Objects.requireNonNull(maxAge, "maxAge");
        }

        /** Whether {@code subject} is one of this IdP's principals ({@code <idp>#<sub>}). */
        public boolean covers(String subject) {
            return subject.startsWith(idp + "#") && subject.length() > idp.length() + 1;
        }
    }

    public Partner(String issuer, URI metadataUrl, Map<String, Set<String>> agents, List<String> scopes) {
        this(issuer, metadataUrl, agents, scopes, defaultStatusListPrefix(issuer), Set.of(), List.of(), List.of());
    }

    public Partner(String issuer, URI metadataUrl, Map<String, Set<String>> agents, List<String> scopes,
                   String statusListPrefix, Set<String> outboundAgents, List<String> subjects) {
        this(issuer, metadataUrl, agents, scopes, statusListPrefix, outboundAgents, subjects, List.of());
    }

    public Partner {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(metadataUrl, "metadataUrl");
        Objects.requireNonNull(statusListPrefix, "statusListPrefix");
        agents = Map.copyOf(agents);
        outboundAgents = Set.copyOf(outboundAgents);
        scopes = List.copyOf(scopes);
        subjects = List.copyOf(subjects);
        proofs = List.copyOf(proofs);
    }

    /** The proof entry that covers {@code subject}, or null (F30 when no string entry allows it either). */
    public SubjectProof proofFor(String subject) {
        for (SubjectProof proof : proofs) {
            if (proof.covers(subject)) {
                return proof;
            }
        }
        return null;
    }

    /** Whether a chain that starts at this partner may carry the principal {@code subject} here (F30). */
    public boolean mayAssert(String subject) {
        for (String pattern : subjects) {
            if (pattern.endsWith("*") ? subject.startsWith(pattern.substring(0, pattern.length() - 1))
                    : pattern.equals(subject)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the partner's agent {@code partnerAgent} may hand work to our agent {@code localAgent}. */
    public boolean mayActFor(String partnerAgent, String localAgent) {
        Set<String> locals = agents.get(partnerAgent);
        return locals != null && locals.contains(localAgent);
    }

    /** {@code <issuer>/oauth2/status/}: where this implementation serves its lists. */
    static String defaultStatusListPrefix(String issuer) {
        return (issuer.endsWith("/") ? issuer : issuer + "/") + "oauth2/status/";
    }

    /** Whether a status-list URI is one this partner may name: under its prefix, no query, fragment or dot segment. */
    public boolean statusListAllowed(String uri) {
        return uri.startsWith(statusListPrefix) && uri.length() > statusListPrefix.length() && uri.length() <= 512
                && !uri.contains("?") && !uri.contains("#") && !uri.contains("/../") && !uri.contains("/./")
                && !uri.contains(" ") && !uri.endsWith("/..") && !uri.contains("%");
    }

    /** RFC 8414 section 3: the well-known suffix goes between the host and the issuer's path. */
    static URI defaultMetadataUrl(String issuer) {
        URI uri = URI.create(issuer);
        String path = uri.getRawPath() == null || uri.getRawPath().equals("/") ? "" : uri.getRawPath();
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + "/.well-known/oauth-authorization-server"
                + path);
    }
}
