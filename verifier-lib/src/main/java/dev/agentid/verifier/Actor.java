package dev.agentid.verifier;

import java.util.Objects;

/**
 * One hop of a delegation chain: the agent that acted, and the issuer that authenticated it.
 *
 * <p>Two actors are the same agent when both the agent id and the issuer are equal; the same agent id
 * at two different organisations names two different agents.
 */
public record Actor(String subject, String issuer) {

    public Actor {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(issuer, "issuer");
        if (subject.isEmpty() || issuer.isEmpty()) {
            throw new IllegalArgumentException("actor subject and issuer must not be empty");
        }
    }

    public static Actor of(String subject, String issuer) {
        return new Actor(subject, issuer);
    }
}
