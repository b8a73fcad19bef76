package dev.agentid.issuer.console;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One signed-in console user, held in this node's memory ({@link ConsoleSessions}).
 *
 * @param id the random session id (the cookie's value)
 * @param actor who acts, as audit records name her: {@code <IdP issuer>#<sub>}, or {@link #BREAK_GLASS_ACTOR}
 * @param groups her groups, each as {@code <IdP issuer>#<group>} (empty for break-glass)
 * @param roles what she may do
 * @param breakGlass signed in with the admin token
 * @param csrf the token every state-changing call must send in {@link #CSRF_HEADER}
 * @param createdAt start of the session: it ends at {@code createdAt + absolute} whatever happens
 */
public record ConsoleSession(String id, String actor, List<String> groups, Set<Role> roles, boolean breakGlass,
                             String csrf, Instant createdAt) {

    /** The request-context key under which a console request carries the acting human's name (audit {@code by}). */
    public static final String ACTOR = "agentid.console.actor";
    /** The request-context key of the console's approver ({@code Approvals.Approver}). */
    public static final String APPROVER = "agentid.console.approver";
    /** The header that carries the session's CSRF token. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    /** The actor of a break-glass session in audit records. */
    public static final String BREAK_GLASS_ACTOR = "break-glass:admin";

    public ConsoleSession {
        groups = List.copyOf(groups);
        roles = Set.copyOf(roles);
    }

    public boolean may(Role role) {
        return roles.contains(role);
    }
}
