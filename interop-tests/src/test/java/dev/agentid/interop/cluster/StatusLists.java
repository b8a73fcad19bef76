package dev.agentid.interop.cluster;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.verifier.status.StatusList;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.Map;

/**
 * Token Status Lists (draft-ietf-oauth-status-list) as a relying party sees them: the {@code status.status_list}
 * reference in a token, and the {@code statuslist+jwt} a node serves at that reference's {@code uri}, verified
 * against that node's JWKS and decoded with verifier-lib's {@link StatusList}.
 */
public final class StatusLists {

    public static final String MEDIA_TYPE = "application/statuslist+jwt";
    /** The largest decompressed list accepted here (16 MiB: 128 M one-bit statuses). */
    private static final int MAX_BYTES = 16 << 20;

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    private static final Http HTTP = new Http();

    private StatusLists() {
    }

    /** A token's {@code status.status_list}: its index and the list's uri. */
    public record Reference(long idx, String uri) {
    }

    /** A fetched status list: its statuses, its {@code ttl} (seconds, or -1 if absent) and the raw JWT's size. */
    public record Fetched(StatusList list, long ttlSeconds, int jwtBytes, String jwt) {
        public int status(long idx) {
            return list.status(idx);
        }
    }

    /** The reference in an access token; fails if the token has none. */
    public static Reference reference(String accessToken) {
        try {
            Object status = SignedJWT.parse(accessToken).getJWTClaimsSet().getClaim("status");
            if (!(status instanceof Map<?, ?> statusClaim)
                    || !(statusClaim.get("status_list") instanceof Map<?, ?> list)
                    || !(list.get("idx") instanceof Number idx) || !(list.get("uri") instanceof String uri)) {
                throw new AssertionError("the token has no status.status_list {idx, uri}: " + status);
            }
            return new Reference(idx.longValue(), uri);
        } catch (ParseException e) {
            throw new AssertionError("not a JWT", e);
        }
    }

    /** GETs the list at {@code uri} from {@code node} (its own port), checks type, signature and sub, and decodes it. */
    public static Fetched fetch(IssuerProcess node, String uri) {
        HttpResponse<String> response;
        try {
            response = CLIENT.send(HttpRequest.newBuilder(node.local(uri)).timeout(Duration.ofSeconds(20))
                    .header("Accept", MEDIA_TYPE).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + uri + " from " + node, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + uri + " from " + node + ": " + response.statusCode() + " "
                    + response.body());
        }
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (!contentType.startsWith(MEDIA_TYPE)) {
            throw new AssertionError("status list served as " + contentType + ", expected " + MEDIA_TYPE);
        }
        return decode(node, uri, response.body());
    }

    static Fetched decode(IssuerProcess node, String uri, String jwt) {
        try {
            SignedJWT signed = SignedJWT.parse(jwt);
            if (!new JOSEObjectType("statuslist+jwt").equals(signed.getHeader().getType())) {
                throw new AssertionError("status list typ is " + signed.getHeader().getType());
            }
            JWKSet keys = JWKSet.parse(HTTP.get(node.jwksUri(), null).expect(200).body());
            JWK key = keys.getKeyByKeyId(signed.getHeader().getKeyID());
            if (!(key instanceof ECKey ec)) {
                throw new AssertionError("the status list's kid " + signed.getHeader().getKeyID()
                        + " is not in the JWKS of " + node);
            }
            ECDSAVerifier verifier = new ECDSAVerifier(ec);
            verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            if (!signed.verify(verifier)) {
                throw new AssertionError("the status list's signature does not verify");
            }
            JWTClaimsSet claims = signed.getJWTClaimsSet();
            if (!uri.equals(claims.getSubject())) {
                throw new AssertionError("status list sub " + claims.getSubject() + " is not its uri " + uri);
            }
            Map<String, Object> list = claims.getJSONObjectClaim("status_list");
            if (list == null || !(list.get("bits") instanceof Number bits) || !(list.get("lst") instanceof String lst)) {
                throw new AssertionError("status list without status_list {bits, lst}: " + claims.getClaims().keySet());
            }
            Object ttl = claims.getClaim("ttl");
            long ttlSeconds = ttl instanceof Number n ? n.longValue() : -1;
            return new Fetched(StatusList.decode(lst, bits.intValue(), MAX_BYTES), ttlSeconds, jwt.length(), jwt);
        } catch (ParseException | JOSEException e) {
            throw new AssertionError("status list from " + node + " is not a valid statuslist+jwt", e);
        }
    }
}
