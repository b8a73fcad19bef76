package dev.agentid.issuer.domain;

import java.util.List;

/**
 * What an agent's registration demands of its client attestations: whether one is required on every
 * token request, and the measurements it pins. An empty pin list accepts any value; a non-empty list
 * accepts only its values (a pinned model or runtime also requires the attestation to state one).
 *
 * @param required every token request of the agent must carry a valid client attestation
 * @param digests accepted workload digests ({@code sha256:<hex>} ...)
 * @param models accepted model identifiers
 * @param runtimes accepted runtime identifiers
 */
public record AttestationRequirement(boolean required, List<String> digests, List<String> models,
                                     List<String> runtimes) {

    /** No attestation required, nothing pinned. */
    public static final AttestationRequirement NONE = new AttestationRequirement(false, List.of(), List.of(), List.of());

    public AttestationRequirement {
        digests = digests == null ? List.of() : List.copyOf(digests);
        models = models == null ? List.of() : List.copyOf(models);
        runtimes = runtimes == null ? List.of() : List.copyOf(runtimes);
    }

    /** True when nothing is required and nothing is pinned (the default registration). */
    public boolean isNone() {
        return !required && digests.isEmpty() && models.isEmpty() && runtimes.isEmpty();
    }

    /**
     * The first pinned measurement the workload does not satisfy ({@code "digest"}, {@code "model"} or
     * {@code "runtime"}), or null when it satisfies every pin.
     */
    public String unmetPin(Workload workload) {
        if (!digests.isEmpty() && !digests.contains(workload.digest())) {
            return "digest";
        }
        if (!models.isEmpty() && (workload.model() == null || !models.contains(workload.model()))) {
            return "model";
        }
        if (!runtimes.isEmpty() && (workload.runtime() == null || !runtimes.contains(workload.runtime()))) {
            return "runtime";
        }
        return null;
    }
}
