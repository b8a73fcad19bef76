package dev.agentid.issuer.monitor;

import java.util.Locale;

/**
 * What the issuer does about an alert. Each one includes the ones before it: every alert is an audit record, a metric
 * and a webhook call; a throttle also slows the agent's token requests down for a while; a suspension also kills the
 * agent (its tokens stop verifying, it gets no new ones) until an operator restores it.
 */
public enum Response {
    ALERT, THROTTLE, SUSPEND;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Response parse(String value, String where) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": response must be alert, throttle or suspend");
        }
    }
}
