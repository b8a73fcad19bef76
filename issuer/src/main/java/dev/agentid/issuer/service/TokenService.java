package dev.agentid.issuer.service;

import dev.agentid.issuer.token.KeyService;
import dev.agentid.issuer.token.TokenMinter;

import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.policy.DelegationPolicy;
import dev.agentid.issuer.status.StatusLists;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.Lineage;
import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.domain.AuthorizationDetails;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.Approval;
import dev.agentid.verifier.Attestation;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TokenVerificationException;
import dev.agentid.verifier.VerifiedAgentToken;
import io.vertx.core.Future;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issues agent tokens: with the agent's own credentials (client_credentials) and by RFC 8693 token
 * exchange. Speaks domain types only; the token endpoint translates the wire.
 */
public final class TokenService {

    /** A granted token, as the token endpoint answers it. */
    public record Issued(String accessToken, List<String> scopes, long expiresIn) {
    }

    private final Clock clock;
    private final TokenMinter minter;
    private final KeyService keys;
    private final TokenLiveness liveness;
    private final DelegationPolicy policy;
    private final StatusLists statusLists;
    private final AuditLog audit;

    public TokenService(Clock clock, TokenMinter minter, KeyService keys, TokenLiveness liveness,
                        DelegationPolicy policy, StatusLists statusLists, AuditLog audit) {
        this.audit = audit;
        this.clock = clock;
        this.minter = minter;
        this.keys = keys;
        this.liveness = liveness;
        this.policy = policy;
        this.statusLists = statusLists;
    }

    /** client_credentials: sub = owner, act = {sub: agent, iss: issuer}. */
    public Future<Issued> clientCredentials(Presenter presenter, List<String> requestedScope,
                                            List<String> requestedAudience) {
        return clientCredentials(presenter, requestedScope, requestedAudience, List.of());
    }

    /** client_credentials with RFC 9396 {@code authorization_details}, which a root token takes as requested. */
    public Future<Issued> clientCredentials(Presenter presenter, List<String> requestedScope,
                                            List<String> requestedAudience, List<Map<String, Object>> details) {
        AgentRecord agent = presenter.agent();
        List<String> scopes = policy.clientCredentialsScope(agent, requestedScope);
        String audience = policy.audience(agent, requestedAudience);
        requireNoApproval(agent, scopes, audience, details);   // P01
        Instant now = clock.instant();
        DelegationChain chain = DelegationChain.of(new Actor(agent.agentId(), minter.issuer(), presenter.attestation()));
        TokenMinter.Draft draft = new TokenMinter.Draft(agent.owner(), audience, scopes, chain, now,
                policy.expiry(now, agent, null), presenter.confirmation(), List.of(), details);
        return mintAndRecord(draft, null, List.of(), GRANT_CLIENT_CREDENTIALS, agent.owner());
    }

    /** Where a request that needs approval starts (profile section 6.13); the http layer serves it. */
    public static final String BACKCHANNEL_PATH = "/oauth2/bc-authorize";

    /**
     * P01: a request that the client's approval policy (profile section 6.13) holds for a human is refused at the
     * token endpoint, pointing to the backchannel authentication endpoint where it can be started.
     */
    public void requireNoApproval(AgentRecord client, List<String> scopes, String audience,
                                  List<Map<String, Object>> details) {
        List<String> reasons = approvalReasons(client, scopes, audience, details);
        if (!reasons.isEmpty()) {
            throw new OAuthException("approval_required", 400, "this request needs a human's approval ("
                    + String.join(", ", reasons) + "): start it at " + minter.issuer() + BACKCHANNEL_PATH, null);
        }
    }

    /** Why the client's approval policy holds this request for a human; empty when it does not. */
    public static List<String> approvalReasons(AgentRecord client, List<String> scopes, String audience,
                                               List<Map<String, Object>> details) {
        return client.approval() == null ? List.of() : client.approval().reasons(scopes, audience, details);
    }

    /** The {@code grant} of issuance audit records. */
    public static final String GRANT_CLIENT_CREDENTIALS = "client_credentials";
    public static final String GRANT_TOKEN_EXCHANGE = "token-exchange";
    public static final String GRANT_HUMAN_EXCHANGE = "human-exchange";
    public static final String GRANT_JWT_BEARER = "jwt-bearer";
    public static final String GRANT_PARTNER = "partner-grant";

    /** The audit log: the token endpoint answers only once a token's issuance record is durable. */
    public AuditLog audit() {
        return audit;
    }

    /**
     * Token exchange, top to bottom: verify the subject token, identify the actor, check the whole
     * lineage, apply the delegation policy, extend the chain, hold for approval, mint.
     */
    public Future<Issued> exchange(Presenter presenter, String subjectToken, String actorToken,
                                   List<String> requestedScope, List<String> requestedAudience) {
        return exchange(presenter, subjectToken, actorToken, requestedScope, requestedAudience, null);
    }

    /** {@link #exchange(Presenter, String, String, List, List)} with RFC 9396 {@code authorization_details}. */
    public Future<Issued> exchange(Presenter presenter, String subjectToken, String actorToken,
                                   List<String> requestedScope, List<String> requestedAudience,
                                   List<Map<String, Object>> details) {
        return prepareExchange(presenter, subjectToken, actorToken, requestedScope, requestedAudience, details)
                .compose(d -> {
                    if (!d.reasons().isEmpty()) {
                        requireNoApproval(d.client(), d.draft().scopes(), d.draft().audience(),
                                d.draft().authorizationDetails());   // P01
                    }
                    return mintExchange(d, null);
                });
    }

    /**
     * A token exchange checked and drafted, not minted: the client, the draft, the subject token's lineage and why
     * the client's approval policy holds it for a human (empty: it does not).
     */
    public record Prepared(AgentRecord client, TokenMinter.Draft draft, Lineage parent, List<String> reasons) {
    }

    /**
     * Every check of a token exchange, up to the draft of the new token (nothing is minted or recorded): what the
     * backchannel endpoint runs before it holds a request for approval, and again when the approved request is
     * redeemed, so that a revocation, a kill or a policy change meanwhile still refuses it.
     */
    public Future<Prepared> prepareExchange(Presenter presenter, String subjectToken, String actorToken,
                                            List<String> requestedScope, List<String> requestedAudience,
                                            List<Map<String, Object>> details) {
        AgentRecord client = presenter.agent();
        VerifiedAgentToken subject = verifySubjectToken(subjectToken);
        BoundSubjectTokens.requirePossession(subject, presenter);   // D14, M05
        requireActorTokenIdentifiesClient(actorToken, client);
        return liveness.chainAgents(subject).compose(chainAgents ->
                liveness.check(subject, chainAgents).map(verdict -> {
                    requireLive(verdict);
                    return delegate(presenter, subject, chainAgents, verdict.lineage(), requestedScope,
                            requestedAudience, details);
                }));
    }

    /**
     * Mints a prepared exchange. With {@code approval}, the new current actor's {@code act} level records it
     * ({@code apv}) and the token lives no longer than {@code approvalExpiry}.
     */
    public Future<Issued> mintExchange(Prepared d, Approval approval, Instant approvalExpiry) {
        DelegationChain chain = d.draft().chain();
        List<Actor> actors = new ArrayList<>(chain.actors());
        actors.set(0, actors.get(0).withApproval(approval));
        Instant exp = d.draft().expiresAt().isAfter(approvalExpiry) ? approvalExpiry : d.draft().expiresAt();
        return mintExchange(new Prepared(d.client(), d.draft().approved(DelegationChain.ofCurrentFirst(actors), exp),
                d.parent(), d.reasons()), approval.id());
    }

    private Future<Issued> mintExchange(Prepared d, String approvalId) {
        return mintAndRecord(d.draft(), d.parent(), d.parent().external(), GRANT_TOKEN_EXCHANGE,
                d.client().owner(),
                // F32: one more actor on a chain that came from a partner near the cap (section 2.3)
                () -> OAuthException.invalidRequest("the token would be longer than "
                        + TokenMinter.MAX_TOKEN_BYTES + " bytes"), approvalId);
    }

    private Prepared delegate(Presenter presenter, VerifiedAgentToken subject, Map<String, AgentRecord> chainAgents,
                              Lineage subjectLineage, List<String> requestedScope,
                              List<String> requestedAudience, List<Map<String, Object>> requestedDetails) {
        AgentRecord client = presenter.agent();
        Actor clientActor = new Actor(client.agentId(), minter.issuer(), presenter.attestation());
        AgentRecord current = chainAgents.get(subject.chain().current().subject());
        if (current == null || !minter.issuer().equals(subject.chain().current().issuer())) {
            throw OAuthException.invalidRequest("agent '" + client.agentId() + "' may not act for agent '"
                    + subject.chain().current().subject() + "'");
        }
        policy.requireMayAct(current, client);
        policy.requireNotInChain(subject.chain(), clientActor, OAuthException::invalidRequest);   // X15
        List<AgentRecord> newChainAgents = new ArrayList<>(chainAgents.values());
        newChainAgents.add(client);
        policy.requireDepth(subject.chain().depth() + 1, newChainAgents, OAuthException::invalidRequest);   // X16
        List<String> scopes = policy.exchangeScope(subject.scopes(), client, requestedScope);
        String audience = policy.audience(client, requestedAudience);
        Approval held = approvalIn(subject.chain());
        if (held != null && !subject.audience().contains(audience)) {   // P02: an approval covers its audience only
            throw OAuthException.invalidTarget("the subject_token carries approval '" + held.id()
                    + "' for audience '" + String.join(" ", subject.audience()) + "' only");
        }
        List<Map<String, Object>> heldDetails;
        try {
            heldDetails = AuthorizationDetails.fromClaim(subject.claims().getClaim(AuthorizationDetails.CLAIM));
        } catch (IllegalArgumentException e) {
            throw OAuthException.invalidRequest("subject_token has invalid claims");
        }
        List<Map<String, Object>> details = AuthorizationDetails.narrow(requestedDetails, heldDetails);
        if (details == null) {   // P03: details only narrow along a chain
            throw OAuthException.invalidRequest("authorization_details exceed the subject_token's");
        }
        Instant now = clock.instant();
        TokenMinter.Draft draft = new TokenMinter.Draft(subject.principal(), audience, scopes,
                subject.chain().extendedBy(clientActor), now, policy.expiry(now, client, subject.expiresAt()),
                presenter.confirmation(), evidenceOf(subject), details);
        return new Prepared(client, draft, subjectLineage, approvalReasons(client, scopes, audience, details));
    }

    /** The approval an actor of the chain carries (the outermost one), or null. */
    public static Approval approvalIn(DelegationChain chain) {
        for (Actor a : chain.actors()) {
            if (a.approval() != null) {
                return a.approval();
            }
        }
        return null;
    }

    /**
     * The chain evidence ({@code act_ev}, profile section 6.12) of one of our own tokens: it travels on unchanged to
     * every token derived from it. Our signature covers it; a token of ours with a malformed claim was never minted.
     */
    public static List<String> evidenceOf(VerifiedAgentToken token) {
        try {
            return dev.agentid.verifier.ChainEvidence.fromClaim(token.claims().getClaim(
                    dev.agentid.verifier.ChainEvidence.CLAIM));
        } catch (dev.agentid.verifier.TokenVerificationException e) {
            throw OAuthException.invalidRequest(subjectTokenRefusal(e.reason()));
        }
    }

    /**
     * Mints a root of our lineage (no parent of ours): a human principal's first token, or one whose chain continues
     * one from a partner organisation (identity chaining, jwt-bearer grant), with {@code externalStatus} the
     * partner-issued ancestors' status references.
     */
    public Future<Issued> mintRoot(TokenMinter.Draft draft, List<String> externalStatus, String grant, String owner) {
        return mintAndRecord(draft, null, externalStatus, grant, owner, null, null);
    }

    /**
     * {@link #mintRoot(TokenMinter.Draft, List, String, String)}, refusing with {@code tooLarge} (and recording
     * nothing) a token longer than the profile's cap of {@value TokenMinter#MAX_TOKEN_BYTES} bytes (section 2.3): a
     * partner's chain brings its receipts, and no verifier would accept the token.
     */
    public Future<Issued> mintRoot(TokenMinter.Draft draft, List<String> externalStatus, String grant, String owner,
                                   java.util.function.Supplier<OAuthException> tooLarge) {
        return mintAndRecord(draft, null, externalStatus, grant, owner, tooLarge, null);
    }

    /**
     * Allocates a status index, mints with the lineage claims ({@code parent}: null for a root), and hands the new
     * token to this node's status lists (a queue, no write): nothing is stored per token. The token is handed back
     * only once its issuance record is on disk (the audit log's group commit).
     */
    private Future<Issued> mintAndRecord(TokenMinter.Draft draft, Lineage parent, List<String> externalStatus,
                                         String grant, String owner) {
        return mintAndRecord(draft, parent, externalStatus, grant, owner, null, null);
    }

    private Future<Issued> mintAndRecord(TokenMinter.Draft draft, Lineage parent, List<String> externalStatus,
                                         String grant, String owner,
                                         java.util.function.Supplier<OAuthException> tooLarge, String approvalId) {
        return statusLists.allocate().compose(status -> {
            TokenMinter.Minted minted = minter.mint(draft, status, parent, externalStatus);
            if (tooLarge != null && minted.serialized().length() > TokenMinter.MAX_TOKEN_BYTES) {
                throw tooLarge.get();
            }
            statusLists.minted(minted.lineage(), liveness.localAgents(draft.chain()), status.index(),
                    minted.expiresAt());
            long expiresIn = Math.max(0, minted.expiresAt().getEpochSecond() - draft.issuedAt().getEpochSecond());
            Issued issued = new Issued(minted.serialized(), draft.scopes(), expiresIn);
            return audit.durable(issuance(grant, owner, draft.subject(), draft.chain(), draft.scopes(),
                    List.of(draft.audience()), minted.jti(), minted.lineage().ancestors(), minted.expiresAt(),
                    draft.confirmation()).withApproval(approvalId)).map(seq -> issued);
        });
    }

    /** The issuance record, from the values at hand (no token is parsed again). */
    public static AuditEvent.Issued issuance(String grant, String owner, String principal, DelegationChain chain,
                                             List<String> scopes, List<String> audiences, String jti,
                                             List<String> ancestors, Instant expiresAt,
                                             Map<String, Object> confirmation) {
        List<AuditEvent.ChainActor> actors = new ArrayList<>(chain.depth());
        for (Actor actor : chain.actors()) {
            actors.add(new AuditEvent.ChainActor(actor.subject(), actor.issuer()));
        }
        Attestation att = chain.current().attestation();
        return new AuditEvent.Issued(grant, chain.current().subject(), owner, principal, actors, scopes, audiences,
                jti, ancestors, expiresAt.getEpochSecond(), att == null ? null : new AuditEvent.AttestationSummary(
                att.attester(), att.digest(), att.attestedAt().getEpochSecond()), confirmation);
    }

    /** Verifies a token this issuer signed; every failure is the exact invalid_request of the table. */
    public VerifiedAgentToken verifySubjectToken(String token) {
        try {
            return keys.verifyOwn(token);
        } catch (TokenVerificationException e) {
            throw OAuthException.invalidRequest(subjectTokenRefusal(e.reason()));
        }
    }

    /** The refusal-table description for a subject token refused with this reason. */
    public static String subjectTokenRefusal(Reason reason) {
        switch (reason) {
            case MALFORMED:
            case TOKEN_TOO_LARGE:
                return "subject_token is malformed";
            case BAD_SIGNATURE:
            case UNKNOWN_KEY:
            case UNSUPPORTED_ALGORITHM:
                return "subject_token signature is invalid";
            case WRONG_TYPE:
                return "subject_token is not an at+jwt access token";
            case UNTRUSTED_ISSUER:
                return "subject_token was not issued by this issuer";
            case EXPIRED:
                return "subject_token has expired";
            case ISSUED_IN_FUTURE:
            case NOT_YET_VALID:
                return "subject_token is not yet valid";
            case REVOKED:
                return "subject_token has been revoked";
            default:
                return "subject_token has invalid claims";
        }
    }

    /** X10–X13 and F13: the subject token's liveness verdict as the refusal of the table. */
    public static void requireLive(TokenLiveness.Verdict verdict) {
        switch (verdict.state()) {
            case ACTIVE:
                return;
            case MALFORMED_LINEAGE:
                throw OAuthException.invalidRequest("subject_token has a malformed lineage");
            case REVOKED:
                throw OAuthException.invalidRequest("subject_token has been revoked");
            case ANCESTOR_REVOKED:
                throw OAuthException.invalidRequest("subject_token derives from a revoked token");
            case AGENT_DISABLED:
                throw OAuthException.invalidRequest(
                        "agent '" + verdict.agent() + "' in the subject_token's delegation chain is disabled");
            case PARTNER_STATUS_UNKNOWN:
                throw OAuthException.invalidRequest("subject_token's partner status cannot be checked");
            default:
                throw new IllegalStateException(verdict.state().name());
        }
    }

    /**
     * X21: an actor_token, when given, must be a live token of ours whose current actor is the
     * authenticated client.
     */
    public void requireActorTokenIdentifiesClient(String actorToken, AgentRecord client) {
        if (actorToken == null) {
            return;
        }
        try {
            VerifiedAgentToken actor = keys.verifyOwn(actorToken);
            if (actor.chain().current().subject().equals(client.agentId())
                    && actor.chain().current().issuer().equals(minter.issuer())) {
                return;
            }
        } catch (TokenVerificationException e) {
            // falls through to the refusal: an invalid actor_token identifies nobody
        }
        throw OAuthException.invalidRequest("actor_token does not identify the authenticated client");
    }
}
