package dev.agentid.interop.sidebyside;

import java.net.URI;
import java.util.Map;

/**
 * A token server under test, running as its own process on 127.0.0.1, with two registered clients that authenticate
 * with private_key_jwt (ES256): {@link #holder()} takes tokens with client_credentials, {@link #actor()} exchanges
 * them (RFC 8693). Each implementation writes the request parameters its server needs for the same operation.
 */
interface Server extends AutoCloseable {

    /** Short name for tables ("agentid", "Keycloak", "Spring AS"). */
    String name();

    /** Product, version and JDK ("Keycloak 26.7.3 on Temurin 25.0.1"). */
    String describe();

    /** The JVM that does the work (its CPU and RSS are measured). */
    long pid();

    URI tokenEndpoint();

    URI introspectionEndpoint();

    /** The {@code aud} of client assertions (the issuer identifier). */
    String assertionAudience();

    Client holder();

    Client actor();

    /** {@code params} with {@code client}'s private_key_jwt authentication (a fresh assertion). */
    default Map<String, String> authenticate(Client client, Map<String, String> params) {
        return client.authenticated(params, assertionAudience());
    }

    /** The client that introspects the holder's token: one the server lets see it. */
    default Client introspector() {
        return holder();
    }

    /** client_credentials parameters (without client authentication). */
    Map<String, String> clientCredentials();

    /** Token exchange parameters for {@code subjectToken}, a token of the holder (without client authentication). */
    Map<String, String> exchange(String subjectToken);

    @Override
    void close();
}
