package dev.agentid.issuer.console;

import java.util.Locale;

/**
 * What a console user may do. Each role adds to reading: a viewer reads, an operator also kills and restores agents,
 * an approver also approves and denies pending requests. A user holds every role one of her groups (or she herself)
 * maps to; a break-glass session holds them all.
 */
public enum Role {
    VIEWER, OPERATOR, APPROVER;

    /** The name in the trust file and in the session's JSON. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Role fromWire(String name) {
        for (Role r : values()) {
            if (r.wire().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("console.roles: unknown role '" + name + "' (viewer, operator, approver)");
    }
}
