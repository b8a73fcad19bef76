package dev.agentid.issuer.monitor;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How behavioural monitoring judges and responds (docs/MONITORING.md): each detector's severity and thresholds,
 * globally and per agent, the response to each severity, the learning period, the throttle and the webhook. Read from
 * the JSON file {@code ISSUER_MONITOR_FILE} (optional; every member optional); {@code ISSUER_MONITOR=off} turns
 * monitoring off.
 *
 * @param learning how long an agent is watched before first-time-seen detectors may fire and rate detectors use its
 *     baseline (until then they use the hard ceiling {@code factor x floor})
 * @param detectors each detector's global settings, by name
 * @param agents per agent, the detectors' settings that differ from the global ones
 * @param responses the response to each severity
 * @param throttlePerSecond and {@code throttleFor}: the rate a throttled agent is held to, and for how long
 * @param webhook where each alert is POSTed as JSON, or null
 * @param queue the most observations waiting for the monitor thread; beyond it they are dropped and counted
 */
public record MonitorSettings(boolean enabled, Duration learning, Map<String, Detector> detectors,
                              Map<String, Map<String, Detector>> agents, Map<Severity, Response> responses,
                              double throttlePerSecond, Duration throttleFor, URI webhook, int queue) {

    public static final String BURST = "burst";
    public static final String REFUSAL_STORM = "refusal_storm";
    public static final String UNAUTHENTICATED_REFUSALS = "unauthenticated_refusal_storm";
    public static final String SCOPE_PROBE = "scope_probe";
    public static final String FAN_OUT = "fan_out_spike";
    public static final String NEW_SCOPE = "new_scope";
    public static final String NEW_AUDIENCE = "new_audience";
    public static final String NEW_ATTESTATION = "new_attestation";
    public static final String NEW_BINDING_KEY = "new_binding_key";
    public static final String NEW_PARTNER = "new_partner";
    public static final String DEEPER_CHAIN = "deeper_chain";
    public static final String OWNER_OFFBOARDED = "use_after_offboarding";

    /**
     * One detector's settings.
     *
     * @param factor rate detectors: how many times the baseline is abnormal
     * @param floor rate detectors: the smallest count (in the window; burst: per minute) that can fire
     * @param windowSeconds rate detectors: the sliding window the count is taken over
     */
    public record Detector(boolean enabled, Severity severity, double factor, double floor, int windowSeconds) {

        public Detector {
            if (factor < 0 || floor < 0 || windowSeconds < 1 || windowSeconds > 60) {
                throw new IllegalArgumentException("detector settings: factor and floor >= 0, window 1..60 s");
            }
        }

        static Detector of(Severity severity) {
            return new Detector(true, severity, 0, 0, 10);
        }

        Detector with(JsonObject json, String where) {
            for (String name : json.fieldNames()) {
                if (!Set.of("enabled", "severity", "factor", "floor", "window_seconds").contains(name)) {
                    throw new IllegalArgumentException(where + ": unknown field '" + name + "'");
                }
            }
            return new Detector(json.getBoolean("enabled", enabled),
                    json.containsKey("severity") ? Severity.parse(json.getString("severity"), where) : severity,
                    number(json, "factor", factor, where), number(json, "floor", floor, where),
                    (int) number(json, "window_seconds", windowSeconds, where));
        }
    }

    public static final MonitorSettings DEFAULT = new MonitorSettings(true, Duration.ofMinutes(60), defaults(),
            Map.of(), defaultResponses(), 1, Duration.ofMinutes(15), null, 65_536);

    public static final MonitorSettings OFF = new MonitorSettings(false, DEFAULT.learning, DEFAULT.detectors,
            Map.of(), DEFAULT.responses, 1, DEFAULT.throttleFor, null, 1);

    public MonitorSettings {
        detectors = Map.copyOf(detectors);
        agents = Map.copyOf(agents);
        responses = Map.copyOf(responses);
    }

    private static Map<String, Detector> defaults() {
        Map<String, Detector> d = new LinkedHashMap<>();
        d.put(BURST, new Detector(true, Severity.HIGH, 20, 120, 10));
        d.put(REFUSAL_STORM, new Detector(true, Severity.HIGH, 20, 10, 10));
        d.put(UNAUTHENTICATED_REFUSALS, new Detector(true, Severity.LOW, 20, 10, 10));
        d.put(SCOPE_PROBE, new Detector(true, Severity.MEDIUM, 0, 3, 60));
        d.put(FAN_OUT, new Detector(true, Severity.HIGH, 3, 5, 60));
        d.put(NEW_SCOPE, Detector.of(Severity.MEDIUM));
        d.put(NEW_AUDIENCE, Detector.of(Severity.MEDIUM));
        d.put(NEW_ATTESTATION, Detector.of(Severity.HIGH));
        d.put(NEW_BINDING_KEY, Detector.of(Severity.LOW));
        d.put(NEW_PARTNER, Detector.of(Severity.MEDIUM));
        d.put(DEEPER_CHAIN, Detector.of(Severity.LOW));
        d.put(OWNER_OFFBOARDED, Detector.of(Severity.CRITICAL));
        return d;
    }

    private static Map<Severity, Response> defaultResponses() {
        Map<Severity, Response> r = new EnumMap<>(Severity.class);
        r.put(Severity.LOW, Response.ALERT);
        r.put(Severity.MEDIUM, Response.THROTTLE);
        r.put(Severity.HIGH, Response.SUSPEND);
        r.put(Severity.CRITICAL, Response.SUSPEND);
        return r;
    }

    /** The detector's settings for this agent (its overrides, else the global ones). */
    public Detector detector(String name, String agent) {
        Map<String, Detector> own = agents.get(agent);
        Detector d = own == null ? null : own.get(name);
        return d != null ? d : detectors.get(name);
    }

    public Response response(Severity severity) {
        return responses.getOrDefault(severity, Response.ALERT);
    }

    /** From {@code ISSUER_MONITOR} (on/off) and {@code ISSUER_MONITOR_FILE} (JSON). */
    public static MonitorSettings fromValues(Map<String, String> v) {
        String on = v.getOrDefault("ISSUER_MONITOR", "on").trim();
        if (!on.equals("on") && !on.equals("off")) {
            throw new IllegalArgumentException("ISSUER_MONITOR must be on or off");
        }
        if (on.equals("off")) {
            return OFF;
        }
        String file = v.get("ISSUER_MONITOR_FILE");
        if (file == null || file.isBlank()) {
            return DEFAULT;
        }
        Path path = Path.of(file.trim());
        try {
            return parse(new JsonObject(Files.readString(path)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ISSUER_MONITOR_FILE " + path, e);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("ISSUER_MONITOR_FILE " + path + " is not valid JSON: "
                    + e.getMessage());
        }
    }

    /**
     * {@code {"learning_minutes": 30, "throttle_per_second": 1, "throttle_minutes": 15, "webhook": "https://...",
     * "responses": {"low": "alert", "medium": "throttle", "high": "suspend", "critical": "suspend"},
     * "detectors": {"burst": {"factor": 20, "floor": 120, "window_seconds": 10, "severity": "high"}, ...},
     * "agents": {"<agent id>": {"burst": {"factor": 50}, "new_audience": {"enabled": false}}}}}
     */
    public static MonitorSettings parse(JsonObject json) {
        for (String name : json.fieldNames()) {
            if (!Set.of("learning_minutes", "throttle_per_second", "throttle_minutes", "webhook", "responses",
                    "detectors", "agents", "queue").contains(name)) {
                throw new IllegalArgumentException("monitor settings: unknown field '" + name + "'");
            }
        }
        Map<String, Detector> detectors = new LinkedHashMap<>(DEFAULT.detectors);
        JsonObject d = json.getJsonObject("detectors", new JsonObject());
        for (String name : d.fieldNames()) {
            Detector base = detectors.get(name);
            if (base == null) {
                throw new IllegalArgumentException("monitor settings: unknown detector '" + name + "'");
            }
            detectors.put(name, base.with(d.getJsonObject(name), "detectors." + name));
        }
        Map<String, Map<String, Detector>> agents = new LinkedHashMap<>();
        JsonObject a = json.getJsonObject("agents", new JsonObject());
        for (String agent : a.fieldNames()) {
            Map<String, Detector> own = new LinkedHashMap<>();
            JsonObject overrides = a.getJsonObject(agent);
            for (String name : overrides.fieldNames()) {
                Detector base = detectors.get(name);
                if (base == null) {
                    throw new IllegalArgumentException("monitor settings: unknown detector '" + name + "' for agent '"
                            + agent + "'");
                }
                own.put(name, base.with(overrides.getJsonObject(name), "agents." + agent + "." + name));
            }
            agents.put(agent, own);
        }
        Map<Severity, Response> responses = new EnumMap<>(DEFAULT.responses);
        JsonObject r = json.getJsonObject("responses", new JsonObject());
        for (String name : r.fieldNames()) {
            responses.put(Severity.parse(name, "responses"), Response.parse(r.getString(name), "responses." + name));
        }
        String webhook = json.getString("webhook");
        URI hook = null;
        if (webhook != null) {
            hook = URI.create(webhook);
            if (!("https".equals(hook.getScheme()) || "http".equals(hook.getScheme())) || hook.getHost() == null) {
                throw new IllegalArgumentException("monitor settings: webhook must be an http(s) URL");
            }
        }
        return new MonitorSettings(true,
                Duration.ofMinutes((long) number(json, "learning_minutes", DEFAULT.learning.toMinutes(), "monitor")),
                detectors, agents, responses, number(json, "throttle_per_second", DEFAULT.throttlePerSecond, "monitor"),
                Duration.ofMinutes((long) number(json, "throttle_minutes", DEFAULT.throttleFor.toMinutes(), "monitor")),
                hook, (int) number(json, "queue", DEFAULT.queue, "monitor"));
    }

    private static double number(JsonObject json, String field, double def, String where) {
        Object value = json.getValue(field);
        if (value == null) {
            return def;
        }
        if (!(value instanceof Number n) || n.doubleValue() < 0) {
            throw new IllegalArgumentException(where + ": " + field + " must be a non-negative number");
        }
        return n.doubleValue();
    }
}
