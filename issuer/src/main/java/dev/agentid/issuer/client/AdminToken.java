package dev.agentid.issuer.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The admin bearer token, compared in constant time. */
public final class AdminToken {

    private final byte[] token;

    public AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The {@code Authorization} header value that presents this token: for a node that asks its peers on behalf of a
     * caller who proved herself otherwise (a web console session). Never log it.
     */
    public String bearerHeader() {
        return "Bearer " + new String(token, StandardCharsets.UTF_8);
    }

    /** From an {@code Authorization: Bearer} header value. */
    public boolean matchesHeader(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return matches(header.substring(7).trim());
    }
}
