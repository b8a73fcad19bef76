package dev.agentid.issuer.lifecycle;

import dev.agentid.issuer.audit.AuditEvent;
import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.federation.idp.SecurityEventToken;
import dev.agentid.issuer.store.SharedMap;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The receiving side of the OpenID Shared Signals Framework for owner offboarding (issue 15): a trusted OpenID
 * Provider says that one of its users lost their session (CAEP {@code session-revoked}), their credentials
 * (CAEP {@code credential-change}) or their account (RISC {@code account-disabled}, {@code account-purged}), and every
 * agent that user owns is suspended through the kill switch ({@link OwnerOffboarding}, policy suspend), so every chain
 * rooted in or passing through those agents dies on every node.
 *
 * <p>Delivery may repeat (RFC 8935 lets a transmitter retry a push whose answer it did not see): a SET acted on is
 * remembered by its issuer and {@code jti} (replicated and persisted, for as long as its {@code iat} is accepted), so a
 * repeated or replayed SET changes nothing, even after an operator restored the agents, while a new event suspends them
 * again. A SET is remembered only once what it caused is durable, so a failed attempt is retried in full; two copies
 * racing both offboard, which is the same end state. Every SET received is a
 * {@code security.event} audit record, with what it caused; other event types are recorded and otherwise ignored, as
 * the framework asks of a receiver.
 */
public final class SharedSignalsReceiver {

    public static final String SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
    public static final String CREDENTIAL_CHANGE =
            "https://schemas.openid.net/secevent/caep/event-type/credential-change";
    public static final String ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled";
    public static final String ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged";

    /** The events that offboard the owner they name. */
    public static final Set<String> OFFBOARDING = Set.of(SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_DISABLED,
            ACCOUNT_PURGED);

    /** What one SET caused: the owners offboarded and their agents; nothing for a SET seen before. */
    public record Outcome(boolean duplicate, List<String> offboarded, List<String> agents) {
    }

    private static final String SEEN_KEY = "ssf ";

    private final OwnerOffboarding offboarding;
    private final SharedMap<String, String> governance;
    private final AuditLog audit;
    private final Duration remembered;

    /**
     * @param remembered how long a SET is remembered: at least as long as its iat is accepted, plus the clock skew
     */
    public SharedSignalsReceiver(OwnerOffboarding offboarding, SharedMap<String, String> governance, AuditLog audit,
                                 Duration remembered) {
        this.offboarding = offboarding;
        this.governance = governance;
        this.audit = audit;
        this.remembered = remembered;
    }

    /** Acts on a verified SET; completes once every offboarding it caused, and its audit record, are durable. */
    public Future<Outcome> receive(SecurityEventToken set) {
        String seen = SEEN_KEY + set.provider().issuer() + " " + set.jti();
        return governance.getAsync(seen).compose(before -> {
            if (before != null) {
                return record(set, true, List.of(), List.of()).map(new Outcome(true, List.of(), List.of()));
            }
            return act(set).compose(outcome -> governance.putIfAbsentAsync(seen, set.issuedAt().toString(), remembered)
                    .map(outcome));
        });
    }

    private Future<Outcome> act(SecurityEventToken set) {
        List<String> offboardingEvents = set.events().keySet().stream().filter(OFFBOARDING::contains).toList();
        List<String> offboarded = new ArrayList<>();
        List<String> agents = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        if (!offboardingEvents.isEmpty()) {
            String by = "ssf:" + set.provider().issuer();
            String reason = String.join(", ", offboardingEvents.stream().map(SharedSignalsReceiver::shortName)
                    .toList()) + " from " + set.provider().issuer() + " (SET " + set.jti() + ")";
            for (String owner : set.principals()) {
                chain = chain.compose(v -> offboarding.disable(owner, OwnerOffboarding.Policy.SUSPEND, null, by, reason))
                        .map(result -> {
                            offboarded.add(owner);
                            agents.addAll(result.agents());
                            return null;
                        });
            }
        }
        return chain.compose(v -> record(set, false, offboarded, agents))
                .map(seq -> new Outcome(false, List.copyOf(offboarded), List.copyOf(agents)));
    }

    private Future<Long> record(SecurityEventToken set, boolean duplicate, List<String> offboarded,
                                List<String> agents) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("iss", set.provider().issuer());
        f.put("jti", set.jti());
        f.put("iat", set.issuedAt().toString());
        f.put("events", List.copyOf(set.events().keySet()));
        f.put("subjects", set.principals());
        f.put("duplicate", duplicate);
        f.put("offboarded", offboarded);
        f.put("agents", agents);
        return audit.durable(new AuditEvent.Governance(AuditEvent.SECURITY_EVENT, f));
    }

    private static String shortName(String eventType) {
        return eventType.substring(eventType.lastIndexOf('/') + 1);
    }
}
