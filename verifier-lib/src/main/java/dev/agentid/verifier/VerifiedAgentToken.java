package dev.agentid.verifier;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.verifier.binding.Confirmation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A token that passed {@link AgentTokenVerifier#verify(String)}: its signature, type, issuer, lifetime,
 * audience and delegation chain were checked. Immutable and thread-safe.
 */
public final class VerifiedAgentToken {

    private final String principal;
    private final String issuer;
    private final List<String> audience;
    private final Set<String> scopes;
    private final DelegationChain chain;
    private final String clientId;
    private final String jwtId;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final String keyId;
    /** The payload as parsed; {@link #claims} builds a Nimbus claims set from it on first use. */
    private final Map<String, Object> payload;
    private volatile JWTClaimsSet claims;
    private final Map<String, String> organisations;

    /**
     * @param payload the verified payload; its registered claims were type-checked by the verifier, so the Nimbus
     *     claims set built from it on demand cannot fail
     */
    VerifiedAgentToken(String principal, String issuer, List<String> audience, Set<String> scopes,
                       DelegationChain chain, String clientId, String jwtId, Instant issuedAt,
                       Instant expiresAt, String keyId, Map<String, Object> payload,
                       Map<String, String> organisations) {
        this.organisations = organisations;
        this.principal = principal;
        this.issuer = issuer;
        this.audience = audience;
        this.scopes = scopes;
        this.chain = chain;
        this.clientId = clientId;
        this.jwtId = jwtId;
        this.issuedAt = issuedAt;
        this.expiresAt = expiresAt;
        this.keyId = keyId;
        this.payload = payload;
    }

    /** The principal on whose behalf the agents act: the {@code sub} claim. */
    public String principal() {
        return principal;
    }

    /** The {@code iss} claim, one of the verifier's trusted issuers. */
    public String issuer() {
        return issuer;
    }

    /** The {@code aud} claim as a list (a single string becomes a list of one). */
    public List<String> audience() {
        return audience;
    }

    /** The scopes of the space-separated {@code scope} claim, in claim order, without duplicates. */
    public Set<String> scopes() {
        return scopes;
    }

    /** The delegation chain from the {@code act} claim, current actor first. */
    public DelegationChain chain() {
        return chain;
    }

    /** The {@code client_id} claim; always equal to {@code chain().current().subject()}. */
    public String clientId() {
        return clientId;
    }

    /** The {@code jti} claim. */
    public String jwtId() {
        return jwtId;
    }

    /** The {@code iat} claim. */
    public Instant issuedAt() {
        return issuedAt;
    }

    /** The {@code exp} claim. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The {@code kid} of the JWS header: the issuer's signing key. */
    public String keyId() {
        return keyId;
    }

    /**
     * The organisation an actor of the chain came from: the label the verifier was configured with for the actor's
     * issuer ({@link AgentTokenVerifier.Builder#trustIssuer(String, java.net.URL, String)},
     * {@link AgentTokenVerifier.Builder#organisation(String, String)}), or null when its issuer has no label. Across
     * organisations (identity chaining) every actor names the issuer that authenticated it, so an A → B chain reports
     * A for A's agents and B for B's.
     */
    public String organisationOf(Actor actor) {
        Objects.requireNonNull(actor, "actor");
        return organisations.get(actor.issuer());
    }

    /** The organisation of each actor, current actor first (null where the actor's issuer has no label). */
    public List<String> organisations() {
        List<String> list = new ArrayList<>(chain.depth());
        for (Actor actor : chain.actors()) {
            list.add(organisations.get(actor.issuer()));
        }
        return java.util.Collections.unmodifiableList(list);
    }

    /**
     * All claims as parsed, including those the profile does not check ({@code status}, {@code cnf}, ...). Built on
     * first use (a verification that only reads the typed accessors never pays for it).
     */
    public JWTClaimsSet claims() {
        JWTClaimsSet built = claims;
        if (built == null) {
            try {
                built = JWTClaimsSet.parse(payload);
            } catch (java.text.ParseException e) {
                // the verifier type-checked every registered claim before building this token
                throw new IllegalStateException("verified claims do not parse: " + e.getMessage(), e);
            }
            claims = built;   // a race builds it twice, the same
        }
        return built;
    }

    /** One claim as parsed, or null: without building {@link #claims()}. */
    public Object claim(String name) {
        return payload.get(name);
    }

    /**
     * The {@code cnf} claim: the key the token is bound to, or {@link Confirmation#NONE} for a bearer
     * token. Checking the binding takes a {@link dev.agentid.verifier.binding.BindingVerifier}.
     *
     * @throws TokenVerificationException {@link Reason#INVALID_CLAIM} if {@code cnf} is not an object or a
     *         thumbprint in it is malformed
     */
    public Confirmation confirmation() throws TokenVerificationException {
        return Confirmation.fromClaim(payload.get("cnf"));
    }

    /**
     * Checks the invariants between this token and the token it was exchanged from: the same principal,
     * no new scope, no later expiry, and this chain equal to the parent's chain with exactly one new
     * current actor.
     *
     * @throws TokenVerificationException with {@link Reason#SUBJECT_CHANGED}, {@link Reason#SCOPE_WIDENED},
     *         {@link Reason#LIFETIME_EXTENDED} or {@link Reason#CHAIN_NOT_EXTENDED}, checked in that order
     */
    public void checkDerivedFrom(VerifiedAgentToken parent) throws TokenVerificationException {
        Objects.requireNonNull(parent, "parent");
        if (!principal.equals(parent.principal)) {
            throw new TokenVerificationException(Reason.SUBJECT_CHANGED,
                    "the derived token names principal '" + principal + "', its parent '" + parent.principal + "'");
        }
        if (!parent.scopes.containsAll(scopes)) {
            List<String> added = new ArrayList<>(scopes);
            added.removeAll(parent.scopes);
            throw new TokenVerificationException(Reason.SCOPE_WIDENED,
                    "the derived token holds scopes its parent does not hold: " + added);
        }
        if (expiresAt.isAfter(parent.expiresAt)) {
            throw new TokenVerificationException(Reason.LIFETIME_EXTENDED,
                    "the derived token expires at " + expiresAt + ", after its parent (" + parent.expiresAt + ")");
        }
        DelegationChain previous = chain.parent();
        if (previous == null || !previous.equals(parent.chain)) {
            throw new TokenVerificationException(Reason.CHAIN_NOT_EXTENDED,
                    "the derived chain " + chain + " is not the parent chain " + parent.chain
                            + " extended by one new current actor");
        }
    }

    @Override
    public String toString() {
        return "VerifiedAgentToken[principal=" + principal + ", issuer=" + issuer + ", jti=" + jwtId
                + ", chain=" + chain + ", scopes=" + scopes + ", exp=" + expiresAt + "]";
    }
}
