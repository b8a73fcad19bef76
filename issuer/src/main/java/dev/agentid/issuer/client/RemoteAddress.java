package dev.agentid.issuer.client;

import io.vertx.core.net.SocketAddress;

/** The key that per-address limits ({@code http.RateLimiter}, {@link AdminToken}'s lockout) file a caller under. */
public final class RemoteAddress {

    private RemoteAddress() {
    }

    /** The caller's IP address as text; {@code "-"} when the connection has none (a Unix socket, a closed peer). */
    public static String key(SocketAddress remote) {
        return remote == null || remote.hostAddress() == null ? "-" : remote.hostAddress();
    }
}
