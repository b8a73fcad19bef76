package dev.agentid.issuer.http;

import com.nimbusds.common.contenttype.ContentType;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.util.URLUtils;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Wire checks shared by the form-encoded OAuth endpoints, and the hand-over to the Nimbus SDK. */
final class Forms {

    /** When the SDK's parser fails on a value that it cannot even quote in its error description. */
    static final String MALFORMED_PARAMETER = "the request has a malformed parameter";

    /** Parameters that RFC 8707 / RFC 8693 allow to repeat. */
    private static final Set<String> REPEATABLE = Set.of("resource", "audience");

    private Forms() {
    }

    /** T01: POST only. */
    static void requirePost(RoutingContext ctx, String endpointName) {
        if (!"POST".equals(ctx.request().method().name())) {
            throw new OAuthException("invalid_request", 405, "the " + endpointName + " accepts only POST", null);
        }
    }

    /** The parameters of introspection (RFC 7662) and revocation (RFC 7009) requests. */
    static final Set<String> TOKEN_PARAMETERS = Set.of("token", "token_type_hint");

    /** Client authentication parameters every form endpoint reads (a client_secret is then refused as T08). */
    static final Set<String> CLIENT_AUTHENTICATION = Set.of("client_id", "client_secret", "client_assertion",
            "client_assertion_type");

    /**
     * T02–T04 and T12–T14: form content type, at most 256 fields, well-formed encoding, parameters that parse, none repeated, none unknown.
     * Returns the parameters.
     */
    static Map<String, List<String>> requireForm(RoutingContext ctx, Set<String> known) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !type.toLowerCase().split(";", 2)[0].trim().equals("application/x-www-form-urlencoded")) {
            throw OAuthException.invalidRequest("Content-Type must be application/x-www-form-urlencoded");
        }
        String body = ctx.body().asString();
        BodyLimits.requireFieldCount(body == null ? "" : body);     // T14
        FormEncoding.requireWellFormed(body == null ? "" : body);   // T13
        Map<String, List<String>> params;
        try {
            params = URLUtils.parseParameters(body == null ? "" : body);
        } catch (IllegalArgumentException e) {   // the SDK's decoder; T13 leaves nothing it should refuse
            throw OAuthException.invalidRequest(FormEncoding.MALFORMED);
        }
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (!known.contains(e.getKey()) && !CLIENT_AUTHENTICATION.contains(e.getKey())) {
                throw OAuthException.invalidRequest("unknown parameter '" + e.getKey() + "'");
            }
            if (e.getValue().size() > 1 && !REPEATABLE.contains(e.getKey())) {
                throw OAuthException.invalidRequest("parameter '" + e.getKey() + "' must not be repeated");
            }
        }
        return params;
    }

    static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
    }

    /**
     * The request as the Nimbus SDK parses it, with the form {@link #requireForm} decoded: the SDK's parsers read the
     * form parameters several times (every client-authentication candidate, then the grant), and each read would
     * decode the body again.
     */
    static HTTPRequest toNimbus(RoutingContext ctx, URI endpoint, Map<String, List<String>> params) {
        HTTPRequest request = new DecodedForm(endpoint, params);
        request.setHeader("Content-Type", ctx.request().getHeader("Content-Type"));
        String authorization = ctx.request().getHeader("Authorization");
        if (authorization != null) {
            request.setHeader("Authorization", authorization);
        }
        String body = ctx.body().asString();
        request.setBody(body == null ? "" : body);
        return request;
    }

    /** A form POST whose parameters were decoded once; each read gets its own copy of the map, as from the SDK. */
    private static final class DecodedForm extends HTTPRequest {
        private final Map<String, List<String>> params;

        DecodedForm(URI endpoint, Map<String, List<String>> params) {
            super(HTTPRequest.Method.POST, endpoint);
            this.params = params;
        }

        @Override
        public Map<String, List<String>> getBodyAsFormParameters() throws ParseException {
            ensureEntityContentType(ContentType.APPLICATION_URLENCODED);
            return new HashMap<>(params);
        }
    }

    /** A Nimbus parse failure as our invalid_request (or the SDK's own code), with the SDK's description. */
    static OAuthException fromParse(ParseException e) {
        if (e.getErrorObject() != null && e.getErrorObject().getCode() != null) {
            String code = e.getErrorObject().getCode();
            int status = e.getErrorObject().getHTTPStatusCode() > 0 ? e.getErrorObject().getHTTPStatusCode() : 400;
            String description = e.getErrorObject().getDescription() != null
                    ? e.getErrorObject().getDescription() : e.getMessage();
            return new OAuthException(code, status, description, null);
        }
        return OAuthException.invalidRequest(e.getMessage());
    }
}
