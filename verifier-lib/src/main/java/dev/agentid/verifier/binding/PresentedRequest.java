package dev.agentid.verifier.binding;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Objects;

/**
 * What a request presented to a resource server, as far as sender-constrained tokens are concerned: the
 * {@code Authorization} scheme and access token, the {@code DPoP} header, the method and target URI, and
 * the client certificate of the TLS connection. Immutable.
 *
 * <pre>{@code
 * PresentedRequest request = PresentedRequest.fromAuthorization(req.getHeader("Authorization"))
 *         .dpopProof(req.getHeader("DPoP"))                 // null when absent
 *         .request(req.getMethod(), URI.create("https://api.example" + req.getRequestURI()))
 *         .clientCertificate(peerCertificateOrNull);
 * }</pre>
 */
public final class PresentedRequest {

    /** The {@code Authorization} scheme the token came with. */
    public enum Scheme {
        /** {@code Authorization: Bearer} (RFC 6750); also mTLS-bound tokens (RFC 8705). */
        BEARER,
        /** {@code Authorization: DPoP} (RFC 9449 section 7.1). */
        DPOP
    }

    private final Scheme scheme;
    private final String accessToken;
    private final String dpopProof;
    private final String method;
    private final URI uri;
    private final X509Certificate clientCertificate;

    private PresentedRequest(Scheme scheme, String accessToken, String dpopProof, String method, URI uri,
                             X509Certificate clientCertificate) {
        this.scheme = scheme;
        this.accessToken = accessToken;
        this.dpopProof = dpopProof;
        this.method = method;
        this.uri = uri;
        this.clientCertificate = clientCertificate;
    }

    /** A token sent with {@code Authorization: Bearer}. */
    public static PresentedRequest bearer(String accessToken) {
        return new PresentedRequest(Scheme.BEARER, requireToken(accessToken), null, null, null, null);
    }

    /** A token sent with {@code Authorization: DPoP} and the given {@code DPoP} header value (null if absent). */
    public static PresentedRequest dpop(String accessToken, String dpopProof) {
        return new PresentedRequest(Scheme.DPOP, requireToken(accessToken), dpopProof, null, null, null);
    }

    /**
     * Parses an {@code Authorization} header value: scheme {@code Bearer} or {@code DPoP} (case-insensitive,
     * RFC 9110 section 11.1), one space, the token.
     *
     * @throws IllegalArgumentException for another scheme or a malformed value; a resource server answers
     *         that with 401 and a challenge, not as a verification failure
     */
    public static PresentedRequest fromAuthorization(String authorization) {
        if (authorization == null) {
            throw new IllegalArgumentException("no Authorization header");
        }
        int space = authorization.indexOf(' ');
        if (space < 1) {
            throw new IllegalArgumentException("the Authorization header is not '<scheme> <token>'");
        }
        String scheme = authorization.substring(0, space).toLowerCase(Locale.ROOT);
        String token = authorization.substring(space + 1);
        return switch (scheme) {
            case "bearer" -> bearer(token);
            case "dpop" -> dpop(token, null);
            default -> throw new IllegalArgumentException("unsupported Authorization scheme");
        };
    }

    /** This request with the {@code DPoP} header value (null if the request had none). */
    public PresentedRequest dpopProof(String proof) {
        return new PresentedRequest(scheme, accessToken, proof, method, uri, clientCertificate);
    }

    /** This request with its method and absolute target URI (needed for DPoP {@code htm}/{@code htu}). */
    public PresentedRequest request(String method, URI uri) {
        return new PresentedRequest(scheme, accessToken, dpopProof, Objects.requireNonNull(method, "method"),
                Objects.requireNonNull(uri, "uri"), clientCertificate);
    }

    /** This request with the client certificate the TLS connection presented (null if none). */
    public PresentedRequest clientCertificate(X509Certificate certificate) {
        return new PresentedRequest(scheme, accessToken, dpopProof, method, uri, certificate);
    }

    public Scheme scheme() {
        return scheme;
    }

    /** The access token as presented (never logged by this library). */
    public String accessToken() {
        return accessToken;
    }

    /** The {@code DPoP} header value, or null. */
    public String dpopProof() {
        return dpopProof;
    }

    /** The request method, or null if not given. */
    public String method() {
        return method;
    }

    /** The absolute target URI, or null if not given. */
    public URI uri() {
        return uri;
    }

    /** The TLS client certificate, or null. */
    public X509Certificate clientCertificate() {
        return clientCertificate;
    }

    private static String requireToken(String accessToken) {
        Objects.requireNonNull(accessToken, "accessToken");
        if (accessToken.isEmpty() || accessToken.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("the access token must be one non-empty token68 value");
        }
        return accessToken;
    }

    @Override
    public String toString() {
        return "PresentedRequest[" + scheme + ", " + method + " " + uri + ", proof=" + (dpopProof != null)
                + ", certificate=" + (clientCertificate != null) + "]";
    }
}
