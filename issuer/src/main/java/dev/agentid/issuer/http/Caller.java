package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import dev.agentid.issuer.OAuthException;
import dev.agentid.issuer.service.ClientAuthenticator;
import dev.agentid.issuer.store.AgentRecord;
import io.vertx.core.Future;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Who calls introspection or revocation: the admin (bearer admin token) or an authenticated agent. */
record Caller(AgentRecord agent) {

    static final Caller ADMIN = new Caller(null);

    boolean admin() {
        return agent == null;
    }

    /** Authenticates a caller from the parsed request's client authentication or bearer authorization. */
    static Future<Caller> authenticate(ClientAuthentication auth, String authorizationHeader, AdminToken adminToken,
                                       ClientAuthenticator clients) {
        if (auth == null && authorizationHeader != null) {
            return adminToken.matchesHeader(authorizationHeader)
                    ? Future.succeededFuture(ADMIN)
                    : Future.failedFuture(OAuthException.invalidClient("client authentication failed"));
        }
        if (auth == null) {
            return Future.failedFuture(OAuthException.invalidClient("client authentication failed"));
        }
        return clients.authenticate(auth).map(Caller::new);
    }

    /** The admin bearer token, compared in constant time. */
    static final class AdminToken {
        private final byte[] token;

        AdminToken(String token) {
            this.token = token.getBytes(StandardCharsets.UTF_8);
        }

        boolean matches(String presented) {
            return presented != null
                    && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
        }

        /** From an {@code Authorization: Bearer} header value. */
        boolean matchesHeader(String header) {
            if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return false;
            }
            return matches(header.substring(7).trim());
        }
    }
}
