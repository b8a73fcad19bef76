package dev.agentid.issuer.http;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import dev.agentid.issuer.attestation.ClientAttestationVerifier;
import dev.agentid.issuer.binding.ClientCertificates;
import dev.agentid.issuer.client.ClientAuthenticator;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** The wire side of the client-authentication stage: what a request presents, read the same way by every endpoint. */
final class ClientAuthenticationStep {

    private ClientAuthenticationStep() {
    }

    /** The request for the Nimbus parser, with the TLS connection's client certificate (tls_client_auth). */
    static HTTPRequest toNimbus(RoutingContext ctx, URI endpoint, Map<String, List<String>> params) {
        HTTPRequest http = Forms.toNimbus(ctx, endpoint, params);
        http.setClientX509Certificate(ClientCertificates.peer(ctx.request()));
        return http;
    }

    /**
     * The refusal of a request the Nimbus SDK could not parse: when it carries a client assertion that is itself what
     * does not parse, the client-authentication refusal naming the failed check (T22–T25, as at the token endpoint);
     * otherwise the parse error as it is.
     */
    static OAuthException unparsable(RoutingContext ctx, URI endpoint, ClientAuthenticator clients,
                                     Map<String, List<String>> params, ParseException e) {
        if (params.containsKey("client_assertion") || params.containsKey("client_assertion_type")) {
            try {
                ClientAuthentication.parse(toNimbus(ctx, endpoint, params));
            } catch (ParseException authentication) {
                return clients.unparsable(params, authentication.getMessage());
            }
        }
        return Forms.fromParse(e);
    }

    /** The parsed client authentication, the Authorization header and the client attestation headers. */
    static ClientAuthenticator.Presented presented(RoutingContext ctx, ClientAuthentication authentication) {
        return new ClientAuthenticator.Presented(authentication, ctx.request().getHeader("Authorization"),
                ctx.request().headers().getAll(ClientAttestationVerifier.ATTESTATION_HEADER),
                ctx.request().headers().getAll(ClientAttestationVerifier.POP_HEADER), ctx.request().remoteAddress());
    }
}
