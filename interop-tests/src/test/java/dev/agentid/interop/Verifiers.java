package dev.agentid.interop;

import dev.agentid.verifier.AgentTokenVerifier;

import java.net.MalformedURLException;

/** verifier-lib verifiers that trust a running issuer through its discovered jwks_uri. */
final class Verifiers {

    private Verifiers() {
    }

    /** Trusts {@code issuer} with the keys fetched from its jwks_uri, and accepts {@code audience}. */
    static AgentTokenVerifier remote(IssuerProcess issuer, String audience) {
        try {
            return AgentTokenVerifier.builder()
                    .trustIssuer(issuer.issuer(), issuer.jwksUri().toURL())
                    .audience(audience)
                    .build();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
