package dev.agentid.issuer.monitor;

import java.util.Locale;

/** How bad an alert is; the response to each severity is configured ({@link MonitorSettings#responses()}). */
public enum Severity {
    LOW, MEDIUM, HIGH, CRITICAL;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Severity parse(String value, String where) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": severity must be low, medium, high or critical");
        }
    }
}
