package dev.agentid.issuer.federation.idp;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.policy.DelegationPolicy;
import dev.agentid.issuer.service.Presenter;
import dev.agentid.issuer.service.TokenService;
import dev.agentid.issuer.token.TokenMinter;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;
import io.vertx.core.Future;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Token exchange whose subject token is a human's token from a trusted OpenID Provider (H01–H11): verify it (off
 * the event loop: the IdP's keys may have to be fetched), the client must act for the human (H01), then sub = the
 * human ({@code <idp issuer>#<sub>}), act = {sub: client, iss: this issuer}, scope within the client's registered
 * scopes, lifetime within the client's ttl and the human token's exp. The new token is a root of our lineage: the
 * human's token is not ours and is not recorded as a revocable ancestor.
 */
public final class HumanExchange {

    private final Clock clock;
    private final String issuer;
    private final TokenService tokens;
    private final DelegationPolicy policy;
    private final HumanPrincipals humans;

    public HumanExchange(Clock clock, String issuer, TokenService tokens, DelegationPolicy policy,
                         HumanPrincipals humans) {
        this.clock = clock;
        this.issuer = issuer;
        this.tokens = tokens;
        this.policy = policy;
        this.humans = humans;
    }

    /** Whether an access token names a trusted OpenID Provider as its {@code iss}. */
    public boolean issuedByIdentityProvider(String token) {
        return humans.issuedByIdentityProvider(token);
    }

    public Future<TokenService.Issued> exchange(Presenter presenter, String subjectToken, HumanToken.Kind kind,
                                                String actorToken, List<String> requestedScope,
                                                List<String> requestedAudience,
                                                List<java.util.Map<String, Object>> details) {
        AgentRecord client = presenter.agent();
        tokens.requireActorTokenIdentifiesClient(actorToken, client);
        return humans.verifyOffLoop(subjectToken, kind).compose(human -> {
            HumanPrincipals.requireMayActFor(client, human);
            List<String> scopes = policy.clientCredentialsScope(client, requestedScope);
            String audience = policy.audience(client, requestedAudience);
            tokens.requireNoApproval(client, scopes, audience, details);   // P01
            Instant now = clock.instant();
            Instant exp = policy.remainingExpiry(now, client, human.expiresAt(),
                    OAuthException.invalidRequest("subject_token has expired"));   // H08
            DelegationChain chain = DelegationChain.of(new Actor(client.agentId(), issuer, presenter.attestation()));
            return tokens.mintRoot(new TokenMinter.Draft(human.principal(), audience, scopes, chain, now, exp,
                    presenter.confirmation(), List.of(), details), List.of(), TokenService.GRANT_HUMAN_EXCHANGE, client.owner());
        });
    }
}
