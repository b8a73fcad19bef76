package dev.agentid.issuer.federation.idp;

/** Why a human's token was refused; {@link HumanPrincipals#refusal} turns it into the table's error. */
public final class HumanTokenException extends Exception {

    /** The refusal rows H02–H11 of spec/refusals/token-endpoint.json. */
    public enum Reason {
        UNTRUSTED_ISSUER, MALFORMED, BAD_SIGNATURE, WRONG_TYPE, WRONG_AUDIENCE, EXPIRED, NOT_YET_VALID,
        INVALID_CLAIMS, UNAVAILABLE
    }

    private final Reason reason;
    private final String issuer;

    HumanTokenException(Reason reason, String issuer, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
        this.issuer = issuer;
    }

    public Reason reason() {
        return reason;
    }

    /** The token's {@code iss} (as it claims it; not yet trusted for UNTRUSTED_ISSUER and MALFORMED). */
    public String issuer() {
        return issuer;
    }
}
