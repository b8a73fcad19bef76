package dev.agentid.issuer.monitor;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A detector's finding about one agent, readable on its own: which statistic, the agent's baseline, the value observed,
 * the threshold it crossed, and a sentence that says all of it.
 *
 * @param statistic what was measured, e.g. "token requests per minute over the last 10 s"
 * @param baseline the agent's normal value of it (NaN for first-time-seen detectors)
 * @param observed the value observed
 * @param threshold the value that fires the detector (NaN for first-time-seen detectors)
 * @param evidence the values behind it (counts, the new item, the window)
 * @param response what the issuer does about it
 */
public record Alert(String id, Instant time, String agent, String detector, Severity severity, String statistic,
                    double baseline, double observed, double threshold, String explanation,
                    Map<String, Object> evidence, Response response) {

    /** The audit record's and the webhook's fields. */
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("alert", id);
        f.put("agent", agent);
        f.put("detector", detector);
        f.put("severity", severity.label());
        f.put("statistic", statistic);
        if (!Double.isNaN(baseline)) {
            f.put("baseline", round(baseline));
        }
        f.put("observed", round(observed));
        if (!Double.isNaN(threshold)) {
            f.put("threshold", round(threshold));
        }
        f.put("explanation", explanation);
        f.put("evidence", evidence);
        f.put("response", response.label());
        return f;
    }

    public JsonObject toJson() {
        return new JsonObject(fields()).put("time", time.toString());
    }

    /** Two decimals as an integer count of hundredths is not readable; the audit log takes integers only. */
    static Object round(double v) {
        return v == Math.rint(v) ? (Object) (long) v : (Object) String.format(java.util.Locale.ROOT, "%.2f", v);
    }
}
