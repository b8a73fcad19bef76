package dev.agentid.issuer.token;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.domain.StatusReference;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.DelegationChain;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Builds and signs agent tokens (spec/agent-token-profile.md). Thread-safe. */
public final class TokenMinter {

    public static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");
    /** The profile's size cap (section 2.3); verifiers refuse a longer token. */
    public static final int MAX_TOKEN_BYTES = 8192;

    private final String issuer;
    private final KeyService keys;
    private final SecureRandom random = new SecureRandom();

    public TokenMinter(String issuer, KeyService keys) {
        this.issuer = issuer;
        this.keys = keys;
    }

    /**
     * A token about to be minted.
     *
     * @param evidence the chain's receipts ({@link ChainEvidence#CLAIM}), oldest hop first; empty for a chain that
     *     never left this issuer
     * @param authorizationDetails RFC 9396 {@code authorization_details} (section 9.1 claim); empty for none
     */
    public record Draft(String subject, String audience, List<String> scopes, DelegationChain chain,
                        Instant issuedAt, Instant expiresAt, Map<String, Object> confirmation, List<String> evidence,
                        List<Map<String, Object>> authorizationDetails) {

        public Draft {
            evidence = List.copyOf(evidence);
            authorizationDetails = List.copyOf(authorizationDetails);
        }

        /** A draft without authorization details. */
        public Draft(String subject, String audience, List<String> scopes, DelegationChain chain, Instant issuedAt,
                     Instant expiresAt, Map<String, Object> confirmation, List<String> evidence) {
            this(subject, audience, scopes, chain, issuedAt, expiresAt, confirmation, evidence, List.of());
        }

        /** This draft with another chain and expiry (an approved request: the approval in the chain, its window). */
        public Draft approved(DelegationChain approvedChain, Instant approvedExpiry) {
            return new Draft(subject, audience, scopes, approvedChain, issuedAt, approvedExpiry, confirmation,
                    evidence, authorizationDetails);
        }

        /** A draft whose chain carries no evidence (it never crossed an organisation boundary). */
        public Draft(String subject, String audience, List<String> scopes, DelegationChain chain, Instant issuedAt,
                     Instant expiresAt, Map<String, Object> confirmation) {
            this(subject, audience, scopes, chain, issuedAt, expiresAt, confirmation, List.of());
        }
    }

    /** A minted token and the facts the status lists need. */
    public record Minted(String serialized, String jti, Instant expiresAt, Draft draft, Lineage lineage) {
    }

    public String issuer() {
        return issuer;
    }

    /**
     * Mints with a {@code status} claim (draft-ietf-oauth-status-list) when {@code status} is not null, and the
     * lineage claims ({@link Lineage}): {@code parent} is the subject token's lineage (null for a root of ours),
     * {@code external} the partner status references of its ancestors at partner organisations.
     */
    public Minted mint(Draft draft, StatusReference status, Lineage parent, List<String> external) {
        String jti = newJti();
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(draft.subject())
                .audience(draft.audience())
                .expirationTime(Date.from(draft.expiresAt()))
                .issueTime(Date.from(draft.issuedAt()))
                .jwtID(jti)
                .claim("client_id", draft.chain().current().subject())
                .claim("scope", String.join(" ", draft.scopes()))
                .claim(DelegationChain.ACT, draft.chain().toActClaim())
                .claim(ChainEvidence.CLAIM, draft.evidence().isEmpty() ? null : draft.evidence())
                .claim("authorization_details", draft.authorizationDetails().isEmpty() ? null
                        : draft.authorizationDetails())
                .claim("cnf", draft.confirmation().isEmpty() ? null : draft.confirmation())
                .claim("status", status == null ? null : status.claim());
        Lineage.claimsFor(parent, draft.issuedAt(), external).forEach(builder::claim);
        JWTClaimsSet claims = builder.build();
        Lineage lineage = new Lineage(jti, parent == null ? List.of() : parent.selfAndAncestors(),
                Instant.ofEpochMilli(draft.issuedAt().toEpochMilli()), external);
        return new Minted(keys.sign(AT_JWT, claims, draft.issuedAt()), jti, draft.expiresAt(), draft, lineage);
    }

    private String newJti() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
