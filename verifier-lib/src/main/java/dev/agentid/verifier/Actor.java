package dev.agentid.verifier;

import java.util.Objects;

/**
 * One hop of a delegation chain: the agent that acted, the issuer that authenticated it and, if its
 * workload was attested when it authenticated, the attestation summary.
 *
 * <p>Two actors are the same agent when both the agent id and the issuer are equal; the same agent id
 * at two different organisations names two different agents. {@link #equals(Object)} and
 * {@link #hashCode()} compare exactly that identity, so cycle detection and {@code contains} never
 * depend on the attestation. {@link DelegationChain#equals(Object)} compares attestations as well.
 *
 * @param subject the agent id
 * @param issuer the issuer that authenticated the agent
 * @param attestation the attestation summary ({@code att}), or null when the actor was not attested
 * @param approval the human approval of this actor's request ({@code apv}), or null when none was needed
 */
public record Actor(String subject, String issuer, Attestation attestation, Approval approval) {

    public Actor {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(issuer, "issuer");
        if (subject.isEmpty() || issuer.isEmpty()) {
            throw new IllegalArgumentException("actor subject and issuer must not be empty");
        }
    }

    /** An actor without an approval. */
    public Actor(String subject, String issuer, Attestation attestation) {
        this(subject, issuer, attestation, null);
    }

    /** This actor with {@code approval} recorded ({@code apv}). */
    public Actor withApproval(Approval approval) {
        return new Actor(subject, issuer, attestation, approval);
    }

    /** An actor without an attestation summary. */
    public Actor(String subject, String issuer) {
        this(subject, issuer, null);
    }

    public static Actor of(String subject, String issuer) {
        return new Actor(subject, issuer);
    }

    /** An attested actor. */
    public static Actor attested(String subject, String issuer, Attestation attestation) {
        return new Actor(subject, issuer, Objects.requireNonNull(attestation, "attestation"));
    }

    /** True when the actor carries an attestation summary. */
    public boolean isAttested() {
        return attestation != null;
    }

    /** Identity only: agent id and issuer. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Actor && ((Actor) o).subject.equals(subject) && ((Actor) o).issuer.equals(issuer);
    }

    @Override
    public int hashCode() {
        return 31 * subject.hashCode() + issuer.hashCode();
    }
}
