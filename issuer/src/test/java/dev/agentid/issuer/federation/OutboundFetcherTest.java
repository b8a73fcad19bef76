package dev.agentid.issuer.federation;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the issuer may fetch from: https, and http to loopback only with the development flag. */
class OutboundFetcherTest {

    @Test
    void plainHttpIsRefusedUnlessTheDevelopmentFlagAllowsItToLoopback() throws Exception {
        try (OutboundFetcher production = new OutboundFetcher(Duration.ofSeconds(1), false);
             OutboundFetcher development = new OutboundFetcher(Duration.ofSeconds(1), true)) {
            production.requireAllowed(URI.create("https://idp.example/jwks"));
            assertThrows(IOException.class, () -> production.requireAllowed(URI.create("http://127.0.0.1:8080/jwks")));
            assertThrows(IOException.class, () -> production.requireAllowed(URI.create("http://idp.example/jwks")));
            development.requireAllowed(URI.create("http://127.0.0.1:8080/jwks"));
            development.requireAllowed(URI.create("http://[::1]:8080/jwks"));
            assertThrows(IOException.class, () -> development.requireAllowed(URI.create("http://10.0.0.1/jwks")));
            assertThrows(IOException.class, () -> development.requireAllowed(URI.create("ftp://127.0.0.1/jwks")));
            // refused before any connection: the future fails at once
            assertTrue(production.fetch(URI.create("http://127.0.0.1:9/x"), "application/json", 10)
                    .isCompletedExceptionally());
        }
    }
}
