package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.client.ClientAuthenticator;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;

/** The wire side of the client-authentication stage: what a request presents, read the same way by every endpoint. */
final class ClientAuthenticationStep {

    private ClientAuthenticationStep() {
    }

    /** The request for the Nimbus parser, with the TLS connection's client certificate (tls_client_auth). */
    static HTTPRequest toNimbus(RoutingContext ctx, URI endpoint) {
        HTTPRequest http = Forms.toNimbus(ctx, endpoint);
        http.setClientX509Certificate(ClientCertificates.peer(ctx.request()));
        return http;
    }

    /** The parsed client authentication, the Authorization header and the client attestation headers. */
    static ClientAuthenticator.Presented presented(RoutingContext ctx, ClientAuthentication authentication) {
        return new ClientAuthenticator.Presented(authentication, ctx.request().getHeader("Authorization"),
                ctx.request().headers().getAll(ClientAttestationVerifier.ATTESTATION_HEADER),
                ctx.request().headers().getAll(ClientAttestationVerifier.POP_HEADER));
    }
}
