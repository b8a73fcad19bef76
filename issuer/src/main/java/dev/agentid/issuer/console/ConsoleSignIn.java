package dev.agentid.issuer.console;

import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationErrorResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.AuthenticationSuccessResponse;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.idp.HumanToken;
import dev.agentid.issuer.federation.idp.HumanTokenException;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Set;

/**
 * The console's sign-in at the trusted OpenID Provider: OpenID Connect authorization code flow with PKCE (S256),
 * state and nonce, built and parsed with the Nimbus SDK; the id_token is verified as every IdP token is
 * ({@link HumanPrincipals#verifyProof}: the provider's keys and algorithms, {@code aud} = the console's client_id,
 * unexpired, issued at most {@link #MAX_ID_TOKEN_AGE} ago), then its nonce is compared with the one sent.
 */
final class ConsoleSignIn {

    static final Duration MAX_ID_TOKEN_AGE = Duration.ofMinutes(10);
    private static final int TIMEOUT_MILLIS = 5_000;

    private final ConsoleSettings settings;
    private final HumanPrincipals humans;
    private final URI redirectUri;

    ConsoleSignIn(ConsoleSettings settings, HumanPrincipals humans, URI redirectUri) {
        this.settings = settings;
        this.humans = humans;
        this.redirectUri = redirectUri;
    }

    private OIDCProviderMetadata metadata() {
        OIDCProviderMetadata metadata = humans.metadata(settings.idp());
        if (metadata == null || metadata.getAuthorizationEndpointURI() == null
                || metadata.getTokenEndpointURI() == null) {
            throw new OAuthException("temporarily_unavailable", 503, "identity provider '" + settings.idp()
                    + "' is unavailable", null);
        }
        return metadata;
    }

    /** Where the browser goes to sign in. */
    URI authorizationRequest(ConsoleSessions.SignIn signIn, String loginHint) {
        AuthenticationRequest.Builder request = new AuthenticationRequest.Builder(ResponseType.CODE,
                new Scope(settings.scopes().toArray(String[]::new)), new ClientID(settings.clientId()), redirectUri)
                .endpointURI(metadata().getAuthorizationEndpointURI())
                .state(new State(signIn.state()))
                .nonce(new Nonce(signIn.nonce()))
                .codeChallenge(new CodeVerifier(signIn.codeVerifier()), CodeChallengeMethod.S256);
        if (loginHint != null && !loginHint.isBlank()) {
            request.loginHint(loginHint);
        }
        return request.build().toURI();
    }

    /** The state of a callback (null if it carries none or does not parse). */
    static String state(URI callback) {
        try {
            AuthenticationResponse response = AuthenticationResponseParser.parse(callback);
            return response.getState() == null ? null : response.getState().getValue();
        } catch (ParseException e) {
            return null;
        }
    }

    /**
     * Completes a sign-in from the callback: the code is redeemed at the provider's token endpoint and the id_token
     * verified. Blocking (two HTTP calls at most): call it on a worker.
     *
     * @throws OAuthException with a public description of what was refused
     */
    HumanToken complete(URI callback, ConsoleSessions.SignIn signIn) {
        AuthenticationResponse response;
        try {
            response = AuthenticationResponseParser.parse(callback);
        } catch (ParseException e) {
            throw OAuthException.invalidRequest("the sign-in callback is malformed");
        }
        if (!response.indicatesSuccess()) {
            AuthenticationErrorResponse error = response.toErrorResponse();
            throw new OAuthException("access_denied", 403, "the identity provider refused the sign-in ("
                    + error.getErrorObject().getCode() + ")", null);
        }
        AuthenticationSuccessResponse success = response.toSuccessResponse();
        if (success.getIssuer() != null && !settings.idp().equals(success.getIssuer().getValue())) {
            // RFC 9207: the response names another issuer (a mix-up)
            throw OAuthException.invalidRequest("the sign-in response comes from another issuer");
        }
        AuthorizationCode code = success.getAuthorizationCode();
        if (code == null) {
            throw OAuthException.invalidRequest("the sign-in callback carries no code");
        }
        URI tokenEndpoint = metadata().getTokenEndpointURI();
        requireSecure(tokenEndpoint);
        TokenRequest request = new TokenRequest.Builder(tokenEndpoint,
                new ClientSecretBasic(new ClientID(settings.clientId()), new Secret(settings.clientSecret())),
                new AuthorizationCodeGrant(code, redirectUri, new CodeVerifier(signIn.codeVerifier()))).build();
        String idToken;
        try {
            HTTPRequest http = request.toHTTPRequest();
            http.setConnectTimeout(TIMEOUT_MILLIS);
            http.setReadTimeout(TIMEOUT_MILLIS);
            TokenResponse tokens = OIDCTokenResponseParser.parse(http.send());
            if (!tokens.indicatesSuccess()) {
                throw new OAuthException("access_denied", 403, "the identity provider refused the code ("
                        + tokens.toErrorResponse().getErrorObject().getCode() + ")", null);
            }
            idToken = ((OIDCTokenResponse) tokens.toSuccessResponse()).getOIDCTokens().getIDTokenString();
        } catch (IOException | ParseException | ClassCastException e) {
            throw new OAuthException("temporarily_unavailable", 503, "the identity provider's token endpoint did"
                    + " not answer with tokens", e.getMessage());
        }
        if (idToken == null) {
            throw new OAuthException("access_denied", 403, "the identity provider returned no id_token", null);
        }
        HumanToken human;
        try {
            human = humans.verifyProof(idToken, settings.idp(), Set.of(settings.clientId()), MAX_ID_TOKEN_AGE);
        } catch (HumanTokenException e) {
            throw new OAuthException("access_denied", 403, "the id_token was refused (" + e.reason() + ")",
                    e.getMessage());
        }
        String nonce;
        try {
            nonce = SignedJWT.parse(idToken).getJWTClaimsSet().getStringClaim("nonce");
        } catch (java.text.ParseException e) {
            nonce = null;
        }
        if (nonce == null || !MessageDigest.isEqual(nonce.getBytes(StandardCharsets.UTF_8),
                signIn.nonce().getBytes(StandardCharsets.UTF_8))) {
            throw new OAuthException("access_denied", 403, "the id_token's nonce is not this sign-in's", null);
        }
        return human;
    }

    /** https, or http to a loopback host (tests, a local provider) as the rest of the federation code allows. */
    private static void requireSecure(URI uri) {
        String host = uri.getHost();
        boolean loopback = "127.0.0.1".equals(host) || "localhost".equalsIgnoreCase(host) || "[::1]".equals(host)
                || "::1".equals(host);
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !("http".equalsIgnoreCase(uri.getScheme()) && loopback)) {
            throw new OAuthException("temporarily_unavailable", 503, "the identity provider's token endpoint is not"
                    + " https", null);
        }
    }
}
