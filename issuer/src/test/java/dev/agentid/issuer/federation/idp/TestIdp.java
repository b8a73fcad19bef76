package dev.agentid.issuer.federation.idp;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * A minimal OpenID Provider for the issuer's unit tests: discovery document and JWK set over loopback HTTP (JDK
 * server), tokens signed in-test with Nimbus. The real provider (panva/oidc-provider) runs in interop-tests'
 * HumanPrincipalIT.
 */
public final class TestIdp implements AutoCloseable {

    public static final String AUDIENCE = "agentid";

    public final String issuer;
    final RSAKey rsa;
    public final ECKey ec;
    private final HttpServer server;

    private TestIdp(HttpServer server, String issuer, RSAKey rsa, ECKey ec) {
        this.server = server;
        this.issuer = issuer;
        this.rsa = rsa;
        this.ec = ec;
    }

    public static TestIdp start() {
        try {
            RSAKey rsa = new RSAKeyGenerator(2048).keyID("rs-" + UUID.randomUUID()).algorithm(JWSAlgorithm.RS256)
                    .generate();
            ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("es-" + UUID.randomUUID()).algorithm(JWSAlgorithm.ES256)
                    .generate();
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            String issuer = "http://127.0.0.1:" + server.getAddress().getPort();
            String discovery = new JsonObject().put("issuer", issuer)
                    .put("authorization_endpoint", issuer + "/auth").put("token_endpoint", issuer + "/token")
                    .put("jwks_uri", issuer + "/jwks").put("response_types_supported", new JsonArray().add("code"))
                    .put("subject_types_supported", new JsonArray().add("public"))
                    .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256").add("ES256"))
                    .encode();
            String jwks = new JWKSet(List.<JWK>of(rsa.toPublicJWK(), ec.toPublicJWK())).toString();
            server.createContext("/.well-known/openid-configuration", x -> answer(x, discovery));
            server.createContext("/jwks", x -> answer(x, jwks));
            server.start();
            return new TestIdp(server, issuer, rsa, ec);
        } catch (IOException | JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Serves {@code path} too (the authorization and token endpoints of a test that plays a full sign-in). */
    public void serve(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** The trust file entry for this IdP. */
    public JsonObject trustEntry() {
        return new JsonObject().put("issuer", issuer).put("audience", AUDIENCE).put("groups_claim", "groups");
    }

    public String principal(String sub) {
        return issuer + "#" + sub;
    }

    /** Valid id_token claims for {@code sub}, 10 minutes left. */
    public JWTClaimsSet.Builder claims(String sub) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer).subject(sub).audience(AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)))
                .claim("nonce", UUID.randomUUID().toString());
    }

    /** An id_token as an IdP signs it: RS256, no typ. */
    public String idToken(JWTClaimsSet claims) {
        return sign(claims, JWSAlgorithm.RS256, null);
    }

    /** An RFC 9068 access token: ES256, typ at+jwt. */
    public String accessToken(JWTClaimsSet claims) {
        return sign(claims, JWSAlgorithm.ES256, new JOSEObjectType("at+jwt"));
    }

    public String sign(JWTClaimsSet claims, JWSAlgorithm alg, JOSEObjectType typ) {
        try {
            JWSSigner signer;
            String kid;
            if (JWSAlgorithm.ES256.equals(alg)) {
                signer = new ECDSASigner(ec);
                kid = ec.getKeyID();
            } else if (JWSAlgorithm.HS256.equals(alg)) {
                signer = new MACSigner(new byte[32]);
                kid = rsa.getKeyID();
            } else {
                signer = new RSASSASigner(rsa);
                kid = rsa.getKeyID();
            }
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(typ).keyID(kid).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
