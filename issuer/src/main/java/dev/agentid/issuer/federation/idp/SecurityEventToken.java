package dev.agentid.issuer.federation.idp;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A Security Event Token (RFC 8417) from a trusted OpenID Provider, verified: signed with the provider's keys,
 * {@code typ} {@code secevent+jwt}, {@code aud} naming us, recent {@code iat}. What it says happened is in
 * {@code events} (event type URI to its payload); who it happened to is {@link #principals()}: the subjects the
 * Shared Signals Framework's {@code sub_id} (or an event's legacy {@code subject}) names, as principals of this
 * provider ({@code <issuer>#<sub>}, the form owners are registered in). A subject of another issuer is never one of
 * them: a provider speaks only for its own users.
 *
 * @param provider the identity provider that signed it
 * @param jti the SET's id
 * @param issuedAt its {@code iat}
 * @param events its {@code events} claim, each payload a JSON object
 * @param principals the subjects it names that are this provider's users
 */
public record SecurityEventToken(IdentityProvider provider, String jti, Instant issuedAt,
                                 Map<String, Map<String, Object>> events, List<String> principals) {

    public SecurityEventToken {
        events = Map.copyOf(events);
        principals = List.copyOf(principals);
    }
}
