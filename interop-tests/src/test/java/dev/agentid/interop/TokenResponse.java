package dev.agentid.interop;

import java.util.Map;

/** A successful RFC 8693 section 2.2.1 token response. */
public record TokenResponse(String accessToken, String issuedTokenType, String tokenType, long expiresIn, String scope) {

    /** Parses a 200 response; fails the test on any other status or a missing member. */
    public static TokenResponse of(HttpResult result) {
        result.expect(200);
        if (!"no-store".equals(result.header("Cache-Control"))) {
            throw new AssertionError("token response without Cache-Control: no-store (RFC 6749 section 5.1)");
        }
        Map<String, Object> json = result.json();
        Object expiresIn = json.get("expires_in");
        if (!(json.get("access_token") instanceof String) || !(expiresIn instanceof Number)) {
            throw new AssertionError("token response lacks access_token or expires_in: " + json.keySet());
        }
        return new TokenResponse((String) json.get("access_token"), (String) json.get("issued_token_type"),
                (String) json.get("token_type"), ((Number) expiresIn).longValue(), (String) json.get("scope"));
    }
}
