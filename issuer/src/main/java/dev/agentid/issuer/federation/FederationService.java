package dev.agentid.issuer.federation;

import dev.agentid.verifier.Jose;
import java.util.Set;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.policy.DelegationPolicy;
import dev.agentid.issuer.policy.DelegationPolicy.ScopeBound;
import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenLiveness;
import dev.agentid.issuer.token.TokenMinter;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.domain.StatusReference;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.AgentRegistry;
import dev.agentid.issuer.store.ReplayStore;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.Reason;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.proc.DefaultJOSEProcessor;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Identity chaining across organisations (draft-ietf-oauth-identity-chaining; profile section "Federation").
 *
 * <p><b>Step 1, at the agent's own issuer</b> ({@link #grant}): token exchange with {@code audience} (or
 * {@code resource}) a trusted partner's issuer yields a JWT authorization grant for that partner: {@code typ}
 * {@value #GRANT_TYPE}, {@code iss} this issuer, {@code aud} the partner (one string), {@code sub} the principal,
 * {@code act} the subject token's chain unchanged, {@code client_id} the requesting agent (the chain's current actor),
 * {@code scope}, {@code exp} at most {@link #GRANT_LIFETIME} away, {@code max_exp} the subject token's {@code exp},
 * {@code status} this issuer's status-list reference, {@code act_ev} the subject token's receipts plus this issuer's
 * receipt for the hop to the partner (profile section 6.12). The grant is recorded in the lineage as a child of the
 * subject token, so revoking any ancestor marks its status bit.
 *
 * <p><b>Step 2, at the partner</b> ({@link #redeem}): {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer}
 * with {@code assertion}, by one of the partner's agents authenticated with its own {@code private_key_jwt}. The grant
 * is verified with the issuing partner's own keys, must be for this issuer only, fresh, short-lived and unused; the
 * trust file decides which partner agents may hand work to which local agents and the most scope a partner's chain
 * may hold. Every level of the grant's chain that names another issuer must be backed by that issuer's receipt, checked
 * with that issuer's keys (ours for our own levels), and the trust file decides which subjects a chain that starts at
 * a partner may carry. The new token keeps {@code sub} and {@code act_ev}; its {@code act} is the grant's chain
 * extended by the client.
 */
public final class FederationService {

    /** RFC 8725 section 3.11 explicit typing: a grant is never an access token, and no access token is a grant. */
    public static final String GRANT_TYPE = "chain-grant+jwt";
    public static final JOSEObjectType GRANT_JOSE_TYPE = new JOSEObjectType(GRANT_TYPE);
    public static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public static final String JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
    /** Lifetime of the grants this issuer mints. */
    public static final Duration GRANT_LIFETIME = Duration.ofSeconds(120);
    /** The longest grant ({@code exp - iat}) this issuer accepts. */
    public static final Duration MAX_ACCEPTED_LIFETIME = Duration.ofMinutes(5);
    public static final String MAX_EXP = "max_exp";
    /** The deepest the chain may become at the partner (the smallest depth limit of the sender's agents in it). */
    public static final String MAX_DEPTH = "max_depth";
    private static final int MAX_CHAIN_DEPTH = 10;

    /** A minted grant, as the token endpoint answers it (RFC 8693 section 2.2.1, token_type N_A). */
    public record Grant(String assertion, List<String> scopes, long expiresIn) {
    }

    /** A grant that passed every check that needs no state. */
    private record VerifiedGrant(String issuer, Partner partner, String subject, String jwtId, Instant expiresAt,
                                 Instant maxExpiresAt, List<String> scopes, DelegationChain chain,
                                 ExternalStatus status, Integer maxDepth, List<String> evidence,
                                 String subjectProof) {

        /** The same grant, with what the tokens minted from it may live bounded by {@code bound} too. */
        VerifiedGrant expiringBy(Instant bound) {
            return bound == null || !bound.isBefore(maxExpiresAt) ? this : new VerifiedGrant(issuer, partner, subject,
                    jwtId, expiresAt, bound, scopes, chain, status, maxDepth, evidence, subjectProof);
        }
    }

    /** The grant claim that carries the IdP's id_token proving a human principal (section 6.11, F33–F37). */
    public static final String SUB_PROOF = "sub_proof";
    /** The token-exchange parameter by which an agent hands its issuer the proof to put in a grant (F38). */
    public static final String SUBJECT_PROOF_PARAMETER = "subject_proof";
    /** The longest {@code sub_proof} this issuer reads. */
    static final int MAX_PROOF_CHARS = 4096;

    private final Vertx vertx;
    private final String issuer;
    private final Clock clock;
    private final Duration clockSkew;
    private final KeyService keys;
    private final TokenService tokens;
    private final TokenLiveness liveness;
    private final DelegationPolicy policy;
    private final StatusLists statusLists;
    private final AgentRegistry agents;
    private final ReplayStore replay;
    private final TrustedPartners partners;
    private final PartnerStatusLists partnerStatus;
    private final HumanProofs humans;
    private final SecureRandom random = new SecureRandom();

    public FederationService(Vertx vertx, String issuer, Clock clock, Duration clockSkew, KeyService keys,
                             TokenService tokens, TokenLiveness liveness, DelegationPolicy policy,
                             StatusLists statusLists, AgentRegistry agents, ReplayStore replay,
                             TrustedPartners partners, PartnerStatusLists partnerStatus,
                             HumanProofs humans) {
        this.vertx = vertx;
        this.issuer = issuer;
        this.clock = clock;
        this.clockSkew = clockSkew;
        this.keys = keys;
        this.tokens = tokens;
        this.liveness = liveness;
        this.policy = policy;
        this.statusLists = statusLists;
        this.agents = agents;
        this.replay = replay;
        this.partners = partners;
        this.partnerStatus = partnerStatus;
        this.humans = humans;
    }

    public TrustedPartners partners() {
        return partners;
    }

    /** The identity providers whose id_tokens prove human principals (section 6.11, F33–F37). */
    public HumanProofs humans() {
        return humans;
    }

    public PartnerStatusLists partnerStatus() {
        return partnerStatus;
    }

    /** Whether the jwt-bearer grant is offered (a trust file is configured). */
    public boolean enabled() {
        return partners.configured();
    }

    /** Whether a token-exchange target names a trusted partner: then the exchange yields a grant. */
    public boolean isPartner(List<String> targets) {
        return targets.size() == 1 && !issuer.equals(targets.get(0)) && partners.partner(targets.get(0)) != null;
    }

    // ---- step 1: a grant for a partner ----

    /**
     * F01, F02, F24, F38 (the subject proof), then X04–X13, X17, X21 as for any exchange, then F25 (depth).
     *
     * @param subjectProof the {@code subject_proof} parameter, or null: the IdP's id_token for the human principal,
     *     copied into the grant's {@code sub_proof} for a partner that requires it
     */
    public Future<Grant> grant(Presenter presenter, String subjectToken, String actorToken,
                               List<String> requestedScope, String partner, String requestedTokenType,
                               List<String> subjectProof) {
        if (requestedTokenType != null && !JWT_TOKEN_TYPE.equals(requestedTokenType)) {
            throw OAuthException.invalidRequest("requested_token_type must be " + JWT_TOKEN_TYPE
                    + " for a partner audience");
        }
        AgentRecord client = presenter.agent();
        VerifiedAgentToken subject = tokens.verifySubjectToken(subjectToken);
        dev.agentid.issuer.service.BoundSubjectTokens.requirePossession(subject, presenter);   // D14, M05
        tokens.requireActorTokenIdentifiesClient(actorToken, client);
        if (!subject.chain().current().equals(new Actor(client.agentId(), issuer))) {
            throw OAuthException.invalidRequest("agent '" + client.agentId()
                    + "' is not the current actor of the subject_token");
        }
        requireOutboundAllowed(client, partner);                                     // F24
        String proof = subjectProof(subjectProof, subject.principal());               // F38
        return liveness.check(subject).compose(verdict -> {
            TokenService.requireLive(verdict);
            List<String> scopes = policy.narrowScope(requestedScope, List.of(new ScopeBound(subject.scopes(),
                    s -> "scope '" + s + "' exceeds the subject_token's scope")), null);
            return liveness.chainAgents(subject.chain()).compose(local -> {
                // F25: the owner's depth limit crosses the boundary. The partner adds one actor when it redeems;
                // refuse here if that is already too deep, and tell the partner the limit (max_depth)
                List<AgentRecord> chainAgents = new ArrayList<>();
                local.values().stream().filter(java.util.Objects::nonNull).forEach(chainAgents::add);
                chainAgents.add(client);
                int maxDepth = policy.depthLimit(chainAgents);
                policy.requireDepth(subject.chain().depth() + 1, chainAgents, OAuthException::invalidRequest);
                return statusLists.allocate().compose(status -> mintGrant(client, subject, verdict.lineage(), scopes,
                        partner, status, maxDepth, proof));
            });
        });
    }

    /**
     * F38: a {@code subject_proof} (not repeated: T-rows of the form) is an id_token-shaped JWS naming the subject token's principal
     * ({@code <iss>#<sub>}). Its signature is the partner's to check (F34), with the IdP it trusts; we only refuse to
     * sign a grant around a proof of somebody else.
     */
    private static String subjectProof(List<String> values, String principal) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        String refusal = "subject_proof does not name the subject_token's principal";
        if (values.size() != 1 || values.get(0).length() > MAX_PROOF_CHARS) {
            throw OAuthException.invalidRequest(refusal);
        }
        try {
            JWTClaimsSet claims = SignedJWT.parse(values.get(0)).getJWTClaimsSet();
            if (claims.getIssuer() == null || claims.getSubject() == null
                    || !principal.equals(claims.getIssuer() + "#" + claims.getSubject())) {
                throw OAuthException.invalidRequest(refusal);
            }
        } catch (ParseException e) {
            throw OAuthException.invalidRequest(refusal);
        }
        return values.get(0);
    }

    /**
     * Outbound policy (F24): leaving the organisation is this issuer's decision. A grant for partner Y only when Y is
     * among the client's registered audiences, or the trust file's entry for Y lists the client in
     * {@code outbound_agents}.
     */
    private void requireOutboundAllowed(AgentRecord client, String partner) {
        Partner entry = partners.partner(partner);
        if (client.audiences().contains(partner)
                || (entry != null && entry.outboundAgents().contains(client.agentId()))) {
            return;
        }
        throw new OAuthException("invalid_target", 400, "agent '" + client.agentId()
                + "' may not obtain grants for partner " + partner, null);
    }

    private Future<Grant> mintGrant(AgentRecord client, VerifiedAgentToken subject, Lineage subjectLineage,
                                    List<String> scopes, String partner, StatusReference status, int maxDepth,
                                    String proof) {
        Instant now = clock.instant();
        Instant exp = now.plus(GRANT_LIFETIME);
        if (subject.expiresAt().isBefore(exp)) {
            exp = subject.expiresAt();
        }
        String jti = newJti();
        // section 6.12: the receipt for this hop, signed by us over the principal and the whole chain, joins the
        // receipts of the hops before it; the partner checks them all and passes them on
        List<String> evidence = new ArrayList<>(TokenService.evidenceOf(subject));
        String previous = evidence.isEmpty() ? null : evidence.get(evidence.size() - 1);
        evidence.add(keys.sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(issuer, partner, jti, now,
                subject.principal(), subject.chain(), previous), now));
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(subject.principal())
                .audience(partner)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .jwtID(jti)
                .claim("client_id", client.agentId())
                .claim("scope", String.join(" ", scopes))
                .claim(DelegationChain.ACT, subject.chain().toActClaim())
                .claim(ChainEvidence.CLAIM, evidence)
                .claim(MAX_EXP, subject.expiresAt().getEpochSecond())
                .claim(MAX_DEPTH, maxDepth)
                .claim("status", status.claim());
        if (proof != null) {
            builder.claim(SUB_PROOF, proof);
        }
        String signed = keys.sign(GRANT_JOSE_TYPE, builder.build(), now);
        // the status lists keep the grant as long as anything the partner mints from it may live (max_exp), so that
        // its bit is still set when an ancestor is revoked after the grant itself has expired
        Lineage grant = new Lineage(jti, subjectLineage.selfAndAncestors(), Instant.ofEpochMilli(now.toEpochMilli()),
                subjectLineage.external());
        statusLists.minted(grant, liveness.localAgents(subject.chain()), status.index(), subject.expiresAt());
        long expiresIn = Math.max(0, exp.getEpochSecond() - now.getEpochSecond());
        Grant issued = new Grant(signed, scopes, expiresIn);
        return tokens.audit().durable(TokenService.issuance(TokenService.GRANT_PARTNER, client.owner(),
                subject.principal(), subject.chain(), scopes, List.of(partner), jti, grant.ancestors(), exp,
                Map.of())).map(seq -> issued);
    }

    // ---- step 2: redeem a partner's grant ----

    /** F04–F22, F26–F30, C02–C04 and F31, in that order. */
    public Future<TokenService.Issued> redeem(Presenter presenter, String assertion, List<String> requestedScope,
                                              List<String> requestedAudience) {
        return vertx.executeBlocking(() -> verify(assertion), false)   // a partner's keys may have to be fetched
                .compose(grant -> replay.firstUse("chain-grant:" + grant.issuer() + ":" + grant.jwtId(),
                                grant.expiresAt())
                        .compose(first -> {
                            if (!first) {
                                throw invalidGrant("assertion has already been used");
                            }
                            return checkPartnerStatus(grant);
                        }))
                .compose(grant -> liveness.chainAgents(grant.chain()).compose(local -> {
                    AgentRecord client = presenter.agent();
                    String partnerAgent = grant.chain().current().subject();
                    if (!grant.partner().mayActFor(partnerAgent, client.agentId())) {
                        throw invalidGrant("partner agent '" + partnerAgent + "' of " + grant.issuer()
                                + " may not act for agent '" + client.agentId() + "'");
                    }
                    String disabled = TokenLiveness.disabledAgent(local, null);   // F16
                    if (disabled != null) {
                        throw invalidGrant("agent '" + disabled + "' in the assertion's delegation chain is disabled");
                    }
                    Actor clientActor = new Actor(client.agentId(), issuer, presenter.attestation());
                    policy.requireNotInChain(grant.chain(), clientActor, FederationService::invalidGrant);   // F17
                    List<AgentRecord> newChainAgents = new ArrayList<>(local.values());
                    newChainAgents.add(client);
                    policy.requireDepth(grant.chain().depth() + 1, newChainAgents,
                            FederationService::invalidGrant);   // F18
                    if (grant.maxDepth() != null && grant.chain().depth() + 1 > grant.maxDepth()) {   // F18: sender's
                        throw invalidGrant("delegation depth " + (grant.chain().depth() + 1)
                                + " exceeds the limit of " + grant.maxDepth());
                    }
                    List<String> scopes = redeemScope(grant, client, requestedScope);
                    String audience = policy.audience(client, requestedAudience);
                    tokens.requireNoApproval(client, scopes, audience, List.of());   // P01
                    Instant now = clock.instant();
                    Instant exp = policy.remainingExpiry(now, client, grant.maxExpiresAt(),
                            invalidGrant("assertion has expired"));   // F10
                    TokenMinter.Draft draft = new TokenMinter.Draft(grant.subject(), audience, scopes,
                            grant.chain().extendedBy(clientActor), now, exp, presenter.confirmation(),
                            grant.evidence());
                    partnerStatus.follow(grant.status(), exp);
                    return tokens.mintRoot(draft, List.of(grant.status().encode()), TokenService.GRANT_JWT_BEARER,
                            presenter.agent().owner(), () -> invalidGrant(   // F31
                            "the token would be longer than " + TokenMinter.MAX_TOKEN_BYTES + " bytes"));
                }));
    }

    private Future<VerifiedGrant> checkPartnerStatus(VerifiedGrant grant) {
        partnerStatus.follow(grant.status(), grant.maxExpiresAt());
        switch (partnerStatus.status(grant.status(), clock.instant())) {
            case REVOKED:
                throw invalidGrant("assertion has been revoked");
            case UNKNOWN:
                throw invalidGrant("assertion's partner status cannot be checked");
            default:
                return Future.succeededFuture(grant);
        }
    }

    /** F19–F22: requested ⊆ grant ∩ partner ∩ registered; the default is that intersection, in grant order. */
    private List<String> redeemScope(VerifiedGrant grant, AgentRecord client, List<String> requested) {
        return policy.narrowScope(requested, List.of(
                new ScopeBound(grant.scopes(), s -> "scope '" + s + "' exceeds the assertion's scope"),
                new ScopeBound(grant.partner().scopes(),
                        s -> "scope '" + s + "' is not permitted for partner " + grant.issuer()),
                ScopeBound.registered(client)),
                "no scope remains: the assertion's scope, the partner's scopes and agent '" + client.agentId()
                        + "''s scopes do not intersect");
    }

    /**
     * Everything that needs no state, in the order of the refusal table (F04–F11, then the evidence F26–F29 and the
     * subject F30). Blocking: a worker thread.
     */
    private VerifiedGrant verify(String assertion) {
        SignedJWT jwt = parseGrant(assertion);                                       // F04, F05
        String iss = unverifiedIssuer(jwt);
        Partner partner = partners.partner(iss);
        JWTClaimsSet claims = verifySignature(jwt, keySource(iss, partner), iss);    // F06–F08
        if (claims.getAudience().size() != 1 || !issuer.equals(claims.getAudience().get(0))) {
            throw invalidGrant("assertion audience is not this issuer");             // F09
        }
        if (partner == null) {   // our own grant with our own audience: never minted, so never accepted
            throw invalidGrant("assertion issuer '" + iss + "' is not a trusted partner");
        }
        VerifiedGrant grant = grantClaims(claims, iss, partner);                     // F10, F11
        verifyEvidence(grant);                                                       // F26–F29
        return grant.expiringBy(requireSubjectAllowed(grant));                       // F30, F33–F37
    }

    /**
     * Section 6.12: every level of the grant's chain that names issuer X is backed by a receipt signed by X: our own
     * levels by our own receipts (our keys), a partner's by its receipts (its keys), the newest segment by the grant's
     * issuer, whose receipt for this hop covers the whole chain. An issuer we do not trust cannot vouch for anything.
     */
    private void verifyEvidence(VerifiedGrant grant) {
        if (grant.evidence() == null) {
            throw invalidGrant("evidence for hop 1 of the assertion's delegation chain is missing");   // F26
        }
        try {
            ChainEvidence.verify(grant.subject(), grant.chain(), issuer, grant.evidence(), this::checkReceipt);
        } catch (TokenVerificationException e) {
            int hop = e.hop();
            switch (e.reason()) {
                case CHAIN_EVIDENCE_UNTRUSTED:
                    throw invalidGrant("evidence for hop " + hop + " of the assertion's delegation chain is signed by "
                            + "an issuer that is not trusted");                      // F27
                case KEY_SOURCE_UNAVAILABLE:
                    throw unavailable(ChainEvidence.hops(grant.chain(), issuer).get(hop - 1).from());   // F07
                case CHAIN_EVIDENCE_BAD_SIGNATURE:
                    throw invalidGrant("evidence for hop " + hop + " of the assertion's delegation chain has an "
                            + "invalid signature");                                  // F28
                case CHAIN_EVIDENCE_MISMATCH:
                    throw invalidGrant("evidence for hop " + hop + " does not match the assertion's delegation "
                            + "chain");                                              // F29
                default:
                    throw invalidGrant("evidence for hop " + hop + " of the assertion's delegation chain is missing");
            }
        }
    }

    /** A receipt's signature: ES256 with the keys of its issuer, ours or a trusted partner's, never merged. */
    private void checkReceipt(String hopIssuer, JWSObject receipt) throws TokenVerificationException {
        JWKSource<SecurityContext> source;
        if (issuer.equals(hopIssuer)) {
            source = new ImmutableJWKSet<>(keys.publishedKeys());
        } else if (partners.partner(hopIssuer) == null) {
            throw new TokenVerificationException(Reason.UNTRUSTED_ISSUER, "not trusted");
        } else {
            source = partners.keys(hopIssuer);
            if (source == null) {
                throw new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE, "keys unavailable");
            }
        }
        DefaultJOSEProcessor<SecurityContext> processor = Jose.joseProcessor(source,
                Set.of(ChainEvidence.RECEIPT_JOSE_TYPE), JWSAlgorithm.ES256);
        try {
            processor.process(receipt, null);
        } catch (KeySourceException e) {
            throw new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE, "keys unavailable");
        } catch (BadJOSEException | JOSEException e) {
            throw new TokenVerificationException(Reason.BAD_SIGNATURE, "invalid signature");
        }
    }

    /**
     * Subjects a partner may assert (F30): the principal comes from the issuer of the chain's first actor (its receipt
     * binds it, F29). When that is us, our own receipt proves we put it there (the lineage record); when it is a
     * partner, the trust file's {@code subjects} for that partner must allow it: a string entry as it stands, a proof
     * entry only with the IdP's id_token for that very human in {@code sub_proof} (F33–F37).
     *
     * @return the proof's {@code exp} (nothing minted from the grant outlives it), or null without a proof
     */
    private Instant requireSubjectAllowed(VerifiedGrant grant) {
        String origin = grant.chain().first().issuer();
        if (issuer.equals(origin)) {
            return null;
        }
        Partner partner = partners.partner(origin);
        if (partner != null && partner.mayAssert(grant.subject())) {
            return null;
        }
        Partner.SubjectProof rule = partner == null ? null : partner.proofFor(grant.subject());
        if (rule == null) {
            throw invalidGrant("partner " + origin + " may not assert the assertion's subject");   // F30
        }
        if (grant.subjectProof() == null) {
            throw invalidGrant("the assertion's subject needs the proof of identity provider " + rule.idp()
                    + " in sub_proof");                                                               // F33
        }
        HumanProofs.Proven human;
        try {
            human = grant.subjectProof().length() > MAX_PROOF_CHARS ? null
                    : humans.verify(grant.subjectProof(), rule.idp(), rule.audiences(), rule.maxAge());
        } catch (HumanProofs.ProofException e) {
            switch (e.kind()) {
                case WRONG_AUDIENCE:
                    throw proofMismatch(origin);                                                      // F35
                case STALE:
                    throw invalidGrant("sub_proof has expired or is older than " + rule.maxAge().toSeconds()
                            + " seconds");                                                            // F36
                case UNAVAILABLE:
                    throw new OAuthException("temporarily_unavailable", 503, "identity provider '" + rule.idp()
                            + "' is unavailable", e.getMessage());                                    // F37
                default:
                    throw proofInvalid(rule.idp(), e.getMessage());                                   // F34
            }
        }
        if (human == null) {
            throw proofInvalid(rule.idp(), "longer than " + MAX_PROOF_CHARS + " characters");         // F34
        }
        if (!human.principal().equals(grant.subject())) {
            throw proofMismatch(origin);                                                              // F35
        }
        return human.expiresAt();
    }

    private static OAuthException proofInvalid(String idp, String detail) {
        return new OAuthException("invalid_grant", 400, "sub_proof is not a valid id_token of identity provider "
                + idp, "sub_proof refused: " + detail);
    }

    private static OAuthException proofMismatch(String origin) {
        return invalidGrant("sub_proof is not for the assertion's subject or was not issued to partner " + origin);
    }

    private static SignedJWT parseGrant(String assertion) {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(assertion);
        } catch (ParseException e) {
            throw invalidGrant("assertion is malformed");
        }
        JOSEObjectType typ = jwt.getHeader().getType();
        if (typ == null || !GRANT_TYPE.equalsIgnoreCase(typ.getType())) {
            throw invalidGrant("assertion is not a " + GRANT_TYPE + " authorization grant");
        }
        return jwt;
    }

    private static String unverifiedIssuer(SignedJWT jwt) {
        JWTClaimsSet unverified;
        try {
            unverified = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw invalidGrant("assertion is malformed");
        }
        String iss = unverified.getIssuer();
        if (iss == null || iss.isEmpty()) {
            throw invalidGrant("assertion has invalid claims");
        }
        return iss;
    }

    /** The keys that must have signed a grant of {@code iss}: a partner's, or ours for our own grant presented back. */
    private JWKSource<SecurityContext> keySource(String iss, Partner partner) {
        if (issuer.equals(iss)) {
            return new ImmutableJWKSet<>(keys.publishedKeys());
        }
        if (partner == null) {
            throw invalidGrant("assertion issuer '" + iss + "' is not a trusted partner");
        }
        JWKSource<SecurityContext> source = partners.keys(iss);
        if (source == null) {
            throw unavailable(iss);
        }
        return source;
    }

    /** The claims of a grant whose signature verified: times, then the grant's members. */
    private VerifiedGrant grantClaims(JWTClaimsSet claims, String iss, Partner partner) {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        if (exp != null && Jose.expired(exp.toInstant(), now, clockSkew)) {
            throw invalidGrant("assertion has expired");
        }
        try {
            if (exp == null || iat == null || Jose.inFuture(iat.toInstant(), now, clockSkew)
                    || Duration.between(iat.toInstant(), exp.toInstant()).compareTo(MAX_ACCEPTED_LIFETIME) > 0) {
                throw new IllegalArgumentException("times");
            }
            String sub = nonEmpty(claims.getSubject());
            String jti = nonEmpty(claims.getJWTID());
            String clientId = nonEmpty(claims.getStringClaim("client_id"));
            String scope = nonEmpty(claims.getStringClaim("scope"));
            Long maxExp = claims.getLongClaim(MAX_EXP);
            // at most the longest token lifetime from now: a partner cannot keep us following its lists for years,
            // and an absurd value (1e17) is a refusal here, never a DateTimeException
            long maxExpCap = now.plus(partnerStatus.maxFollow()).plus(clockSkew).getEpochSecond();
            if (maxExp == null || maxExp <= 0 || maxExp > maxExpCap) {
                throw new IllegalArgumentException("max_exp");
            }
            DelegationChain chain = DelegationChain.fromActClaim(claims.getClaim(DelegationChain.ACT),
                    MAX_CHAIN_DEPTH);
            if (!chain.current().equals(new Actor(clientId, iss))) {
                throw new IllegalArgumentException("client_id is not the current actor of " + iss);
            }
            ExternalStatus status = ExternalStatus.fromClaim(partner, claims.getClaim("status"));
            Integer maxDepth = null;
            if (claims.getClaim(MAX_DEPTH) != null) {
                Long value = claims.getLongClaim(MAX_DEPTH);
                if (value == null || value < 1 || value > MAX_CHAIN_DEPTH) {
                    throw new IllegalArgumentException("max_depth");
                }
                maxDepth = value.intValue();
            }
            List<String> scopes = List.of(scope.split(" "));
            List<String> evidence;
            try {
                evidence = ChainEvidence.fromClaim(claims.getClaim(ChainEvidence.CLAIM));
            } catch (TokenVerificationException e) {
                evidence = null;   // F26, after every F11 check
            }
            Object proof = claims.getClaim(SUB_PROOF);
            if (proof != null && !(proof instanceof String)) {
                throw new IllegalArgumentException(SUB_PROOF);
            }
            return new VerifiedGrant(iss, partner, sub, jti, exp.toInstant(), Instant.ofEpochSecond(maxExp), scopes,
                    chain, status, maxDepth, evidence, (String) proof);
        } catch (ParseException | TokenVerificationException | IllegalArgumentException e) {
            throw invalidGrant("assertion has invalid claims");
        }
    }

    private static JWTClaimsSet verifySignature(SignedJWT jwt, JWKSource<SecurityContext> source, String iss) {
        // typ was checked above and the claims are checked after, each with its own refusal
        DefaultJWTProcessor<SecurityContext> processor = Jose.jwtProcessor(source, Set.of(), JWSAlgorithm.ES256);
        try {
            return processor.process(jwt, null);
        } catch (KeySourceException e) {
            throw unavailable(iss);
        } catch (BadJOSEException | JOSEException e) {
            throw invalidGrant("assertion signature is invalid");
        }
    }

    private static String nonEmpty(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("missing");
        }
        return value;
    }

    private static OAuthException invalidGrant(String description) {
        return new OAuthException("invalid_grant", 400, description, null);
    }

    private static OAuthException unavailable(String partner) {
        return new OAuthException("temporarily_unavailable", 503, "the keys of partner '" + partner
                + "' cannot be obtained", null);
    }

    private String newJti() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * F04 before the SDK parses the request: an assertion that is not a signed compact JWT (an unsecured or encrypted
     * JWT included) gets this table's refusal rather than the SDK's parse message. A missing one is left to the SDK.
     */
    public static void requireWellFormed(String assertion) {
        if (assertion == null) {
            return;
        }
        try {
            SignedJWT.parse(assertion);
        } catch (ParseException e) {
            throw invalidGrant("assertion is malformed");
        }
    }
}
