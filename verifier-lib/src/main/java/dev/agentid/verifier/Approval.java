package dev.agentid.verifier;

import java.time.Instant;
import java.util.Objects;

/**
 * The human approval of one actor's request (the {@code apv} member of its {@code act} level, profile section 6.13):
 * which approval, who gave it, and when. A resource server that requires approval for an action checks that the actor
 * it cares about carries one; derived tokens keep it unchanged, like the rest of the chain.
 *
 * <pre>
 * "apv": {"id": "Zk3...", "approver": "https://idp.example#bob", "iat": 1767225500}
 * </pre>
 *
 * @param id the approval's identifier (the CIBA {@code auth_req_id} it answered)
 * @param approver who approved: {@code <OpenID Provider issuer>#<sub>}, {@code break-glass:admin} when the
 *     issuer's admin token approved without a human identity, or {@code auto:graduated-autonomy} when the policy
 *     approved automatically after enough human approvals of the same kind
 * @param approvedAt when it was approved, whole seconds
 */
public record Approval(String id, String approver, Instant approvedAt) {

    /** The approver recorded when the admin token approved (break-glass). */
    public static final String BREAK_GLASS = "break-glass:admin";
    /** The approver recorded when the agent's policy approved automatically (graduated autonomy). */
    public static final String AUTONOMY = "auto:graduated-autonomy";

    /**
     * @throws IllegalArgumentException if the id or the approver is empty or longer than 512 characters, or the time is
     *     negative, beyond year 9999 or not a whole second
     */
    public Approval {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(approver, "approver");
        Objects.requireNonNull(approvedAt, "approvedAt");
        if (id.isEmpty() || id.length() > 512 || approver.isEmpty() || approver.length() > 512) {
            throw new IllegalArgumentException("approval id and approver must be non-empty, at most 512 characters");
        }
        if (approvedAt.getNano() != 0 || approvedAt.getEpochSecond() < 0
                || approvedAt.getEpochSecond() > Attestation.MAX_EPOCH_SECOND) {
            throw new IllegalArgumentException("approval time must be a whole second between 1970 and 9999");
        }
    }

    /** True when the policy approved automatically (graduated autonomy), not a human. */
    public boolean automatic() {
        return AUTONOMY.equals(approver);
    }

    /** True when the admin token approved (break-glass), not a human of the OpenID Provider. */
    public boolean breakGlass() {
        return BREAK_GLASS.equals(approver);
    }
}
