package dev.agentid.issuer.domain;

import dev.agentid.verifier.Attestation;

import java.util.Map;

/**
 * The workload measurements a client attestation carries in its {@code workload} claim:
 * <pre>
 * "workload": {"digest": "sha256:&lt;hex&gt;", "model": "example-model-1", "runtime": "python-3.12"}
 * </pre>
 * {@code digest} (image or code digest) is required; {@code model} and {@code runtime} are optional
 * strings. Other members are ignored.
 */
public record Workload(String digest, String model, String runtime) {

    public static final String CLAIM = "workload";
    static final int MAX_VALUE_LENGTH = 256;

    /** Parses the claim value; null when it is absent or not of the documented shape. */
    public static Workload parse(Object claim) {
        if (!(claim instanceof Map)) {
            return null;
        }
        Map<?, ?> map = (Map<?, ?>) claim;
        Object digest = map.get("digest");
        if (!(digest instanceof String) || !Attestation.DIGEST.matcher((String) digest).matches()) {
            return null;
        }
        Object model = map.get("model");
        Object runtime = map.get("runtime");
        if (!optionalString(model) || !optionalString(runtime)) {
            return null;
        }
        return new Workload((String) digest, (String) model, (String) runtime);
    }

    private static boolean optionalString(Object value) {
        return value == null || value instanceof String && !((String) value).isEmpty()
                && ((String) value).length() <= MAX_VALUE_LENGTH;
    }
}
