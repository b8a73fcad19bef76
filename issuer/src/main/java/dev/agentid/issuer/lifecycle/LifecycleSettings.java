package dev.agentid.issuer.lifecycle;

import java.time.Duration;
import java.util.Map;

/**
 * Lifecycle governance: {@code ISSUER_REVIEW_DAYS} (access review period from registration, default 90),
 * {@code ISSUER_REVIEW_POLICY} ({@code alert} or {@code suspend} when a review is overdue, default alert) and
 * {@code ISSUER_KEY_MAX_AGE_DAYS} (an agent key older than this is reported as overdue for rotation and alerted, default
 * 365), {@code ISSUER_KEY_REFUSE_AFTER_DAYS} (an agent key older than this no longer authenticates, row T26; null: off,
 * the default) and
 * {@code ISSUER_SSF_MAX_EVENT_AGE_SECONDS} (a Security Event Token pushed by an identity provider is refused when its
 * {@code iat} is older, default 3600: a transmitter may hold events back while we are unreachable).
 */
public record LifecycleSettings(Duration reviewPeriod, Policy reviewPolicy, Duration keyMaxAge,
                                Duration keyRefuseAfter, Duration securityEventMaxAge) {

    public enum Policy { ALERT, SUSPEND }

    public static final LifecycleSettings DEFAULT = new LifecycleSettings(Duration.ofDays(90), Policy.ALERT,
            Duration.ofDays(365), null, Duration.ofHours(1));

    public static LifecycleSettings fromValues(Map<String, String> v) {
        String policy = v.getOrDefault("ISSUER_REVIEW_POLICY", "alert").trim();
        if (!policy.equals("alert") && !policy.equals("suspend")) {
            throw new IllegalArgumentException("ISSUER_REVIEW_POLICY must be alert or suspend");
        }
        return new LifecycleSettings(Duration.ofDays(days(v, "ISSUER_REVIEW_DAYS", 90)),
                policy.equals("suspend") ? Policy.SUSPEND : Policy.ALERT,
                Duration.ofDays(days(v, "ISSUER_KEY_MAX_AGE_DAYS", 365)),
                v.get("ISSUER_KEY_REFUSE_AFTER_DAYS") == null || v.get("ISSUER_KEY_REFUSE_AFTER_DAYS").isBlank() ? null
                        : Duration.ofDays(days(v, "ISSUER_KEY_REFUSE_AFTER_DAYS", 0)),
                Duration.ofSeconds(seconds(v, "ISSUER_SSF_MAX_EVENT_AGE_SECONDS", 3600)));
    }

    private static int seconds(Map<String, String> v, String name, int def) {
        String raw = v.get(name);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        try {
            int n = Integer.parseInt(raw.trim());
            if (n < 60 || n > 7 * 86_400) {
                throw new IllegalArgumentException(name + " must be between 60 and 604800");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
    }

    private static int days(Map<String, String> v, String name, int def) {
        String raw = v.get(name);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        try {
            int n = Integer.parseInt(raw.trim());
            if (n < 1 || n > 36_500) {
                throw new IllegalArgumentException(name + " must be between 1 and 36500");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
    }
}
