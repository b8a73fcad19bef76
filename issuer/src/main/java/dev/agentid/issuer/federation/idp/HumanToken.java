package dev.agentid.issuer.federation.idp;

import java.time.Instant;
import java.util.List;

/**
 * A human's token from a trusted OpenID Provider, verified.
 *
 * @param provider the IdP that issued it
 * @param subject the IdP's {@code sub}
 * @param principal {@code <idp issuer>#<sub>}: the {@code sub} of the tokens we mint for the human
 * @param groups the human's groups, each as {@code <idp issuer>#<group>} (empty without a groups claim)
 * @param expiresAt the token's {@code exp}: no token we mint from it outlives it
 * @param kind an OpenID Connect id_token or an RFC 9068 access token
 */
public record HumanToken(IdentityProvider provider, String subject, String principal, List<String> groups,
                         Instant expiresAt, Kind kind) {

    public HumanToken {
        groups = List.copyOf(groups);
    }

    /** What was presented: the subject_token_type decides which rules apply. */
    public enum Kind {
        /** {@code urn:ietf:params:oauth:token-type:id_token}: {@code typ} absent or {@code JWT}. */
        ID_TOKEN,
        /** {@code ...:access_token} or {@code ...:jwt} from an IdP: an RFC 9068 {@code at+jwt}. */
        ACCESS_TOKEN
    }
}
