package dev.agentid.issuer.fuzz;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A seeded generator of hostile requests for every endpoint of the issuer: random bytes, and grammar-based mutations
 * of valid requests (form parameters, JSON admin bodies, the JOSE headers and payloads of client assertions, subject
 * and actor tokens and DPoP proofs, paths, methods and headers). The same seed gives the same sequence of mutations
 * (valid JWTs inside them are fresh: they carry new jti and times). Not thread-safe: one per thread.
 */
final class RequestFuzzer {

    /** One request to send: method, path, headers, body (null: none); raw requests bypass the HTTP client. */
    record Request(String kind, String method, String path, Map<String, List<String>> headers, byte[] body,
                   boolean raw) {
    }

    /** What the fuzzer may build valid requests from. */
    record Material(String issuer, String agentId, ECKey agentKey, String delegateId, ECKey delegateKey,
                    String subjectToken, String adminToken) {
    }

    static final String FORM = "application/x-www-form-urlencoded";
    static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
    static final String JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    static final List<String> PATHS = List.of("/oauth2/token", "/oauth2/introspect", "/oauth2/revoke", "/oauth2/jwks",
            "/.well-known/oauth-authorization-server", "/oauth2/status", "/oauth2/status/0", "/admin/agents",
            "/admin/agents/x", "/admin/agents/x/kill", "/admin/agents/x/restore", "/admin/keys/rotate");
    static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
    static final List<String> CONTENT_TYPES = List.of(FORM, FORM + "; charset=UTF-8", "application/json",
            "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded;;;", "", "*/*",
            "application/jwt");
    static final List<String> TOKEN_PARAMETERS = List.of("grant_type", "scope", "audience", "resource",
            "subject_token", "subject_token_type", "actor_token", "actor_token_type", "requested_token_type",
            "assertion", "client_id", "client_secret", "client_assertion", "client_assertion_type", "token",
            "token_type_hint");
    static final List<String> NASTY = List.of("", " ", "%", "%zz", "%%%%", "%E0%A4%A", "%00", "\u0000", "\uFFFF",
            "\uD800", "null", "[]", "{}", "-1", "0", "1e309", "99999999999999999999", "true", "..", "../../etc/passwd",
            "<script>", "'; drop table", "\r\nX-Injected: 1", "a&b=c", "=", "==", "&&&", "+", "é", "😀",
            "urn:ietf:params:oauth:token-type:id_token", "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_credentials", EXCHANGE, "eyJ", "a.b.c", "a.b", "....", "ey.ey.ey.ey.ey");
    static final List<String> ALGS = List.of("none", "HS256", "RS256", "ES256", "ES384", "EdDSA", "PS256", "", "ES256K",
            "xx");

    private final Random random;
    private final Material m;
    private int serial;

    RequestFuzzer(long seed, Material material) {
        this.random = new Random(seed);
        this.m = material;
    }

    Request next() {
        int dice = random.nextInt(100);
        if (dice < 12) {
            return randomBytes();
        }
        if (dice < 40) {
            return tokenForm();
        }
        if (dice < 52) {
            return introspectOrRevoke();
        }
        if (dice < 67) {
            return joseMutation();
        }
        if (dice < 79) {
            return adminJson();
        }
        if (dice < 90) {
            return pathsMethodsHeaders();
        }
        if (dice < 95) {
            return raw();
        }
        return valid();
    }

    // ---- kinds ----

    private Request randomBytes() {
        byte[] body = new byte[random.nextInt(4) == 0 ? random.nextInt(20_000) : random.nextInt(600)];
        random.nextBytes(body);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of(pick(CONTENT_TYPES.subList(0, 5))));
        if (random.nextBoolean()) {
            headers.put("Authorization", List.of("Bearer " + m.adminToken()));
        }
        return new Request("random-bytes", "POST", pick(PATHS), headers, body, false);
    }

    private Request tokenForm() {
        Map<String, List<String>> params = new LinkedHashMap<>();
        int base = random.nextInt(3);
        if (base == 0) {
            put(params, "grant_type", "client_credentials");
        } else if (base == 1) {
            put(params, "grant_type", EXCHANGE);
            put(params, "subject_token", m.subjectToken());
            put(params, "subject_token_type", ACCESS_TOKEN_TYPE);
        } else {
            put(params, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
            put(params, "assertion", jwt(m.delegateKey(), claimsOf(m.delegateId())));
        }
        authenticate(params, base == 1);
        if (random.nextBoolean()) {
            put(params, pick(List.of("scope", "audience", "resource")), pick(List.of("read", "write",
                    "https://api.example", "read write admin", "x".repeat(random.nextInt(3000)))));
        }
        mutateForm(params, 1 + random.nextInt(3));
        Map<String, List<String>> headers = formHeaders();
        if (random.nextInt(4) == 0) {
            headers.put("DPoP", dpopHeaders());
        }
        return form("token-form", "/oauth2/token", params, headers);
    }

    private Request introspectOrRevoke() {
        Map<String, List<String>> params = new LinkedHashMap<>();
        put(params, "token", random.nextBoolean() ? m.subjectToken() : mutateJwt(m.subjectToken()));
        Map<String, List<String>> headers = formHeaders();
        if (random.nextBoolean()) {
            authenticate(params, random.nextBoolean());
        } else {
            headers.put("Authorization", List.of(pick(List.of("Bearer " + m.adminToken(), "Bearer ", "Bearer x",
                    "Basic Zm9vOmJhcg==", "bearer " + m.adminToken(), "DPoP " + m.subjectToken(), ""))));
        }
        if (random.nextBoolean()) {
            put(params, "token_type_hint", pick(List.of("access_token", "refresh_token", "x", "")));
        }
        mutateForm(params, random.nextInt(3));
        return form("introspect-revoke", random.nextBoolean() ? "/oauth2/introspect" : "/oauth2/revoke", params,
                headers);
    }

    private Request joseMutation() {
        Map<String, List<String>> params = new LinkedHashMap<>();
        int target = random.nextInt(4);
        put(params, "grant_type", target == 0 ? "client_credentials" : EXCHANGE);
        if (target != 0) {
            put(params, "subject_token", target == 1 ? mutateJwt(m.subjectToken()) : forgedSubjectToken());
            put(params, "subject_token_type", ACCESS_TOKEN_TYPE);
        }
        if (target == 3) {
            put(params, "actor_token", mutateJwt(m.subjectToken()));
            put(params, "actor_token_type", ACCESS_TOKEN_TYPE);
        }
        String id = target == 0 ? m.agentId() : m.delegateId();
        ECKey key = target == 0 ? m.agentKey() : m.delegateKey();
        put(params, "client_assertion_type", JWT_BEARER_ASSERTION);
        put(params, "client_assertion", random.nextInt(3) == 0 ? mutateJwt(jwt(key, claimsOf(id)))
                : jwt(key, mutateClaims(claimsOf(id))));
        Map<String, List<String>> headers = formHeaders();
        if (random.nextInt(3) == 0) {
            headers.put("DPoP", dpopHeaders());
        }
        if (random.nextInt(8) == 0) {
            headers.put("OAuth-Client-Attestation", List.of(mutateJwt(jwt(key, claimsOf(id)))));
            headers.put("OAuth-Client-Attestation-PoP", List.of(mutateJwt(jwt(key, claimsOf(id)))));
        }
        return form("jose", "/oauth2/token", params, headers);
    }

    private Request adminJson() {
        JsonObject registration = new JsonObject()
                .put("agent_id", "fz-" + (serial++) + "-" + random.nextInt(1000))
                .put("owner", "user:fuzz")
                .put("jwks", new JsonObject().put("keys", new JsonArray().add(
                        new JsonObject(m.agentKey().toPublicJWK().toJSONObject()))))
                .put("scopes", new JsonArray().add("read"))
                .put("audiences", new JsonArray().add("https://api.example"))
                .put("delegates", new JsonArray())
                .put("max_delegation_depth", 3)
                .put("token_ttl_seconds", 300);
        String body;
        int how = random.nextInt(10);
        if (how < 6) {
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                List<String> fields = new ArrayList<>(registration.fieldNames());
                String field = random.nextInt(6) == 0 ? pick(List.of("dpop_bound_access_tokens",
                        "tls_client_certificate_bound_access_tokens", "tls_client_auth_san_uri", "attestation",
                        "acts_for", "unknown", "__proto__")) : pick(fields);
                registration.put(field, jsonValue(2));
                if (random.nextInt(5) == 0) {
                    registration.remove(pick(fields));
                }
            }
            body = registration.encode();
        } else if (how < 8) {
            body = deepJson(random.nextInt(4) == 0 ? 5000 : random.nextInt(200));
        } else {
            body = registration.encode();
            int cut = random.nextInt(body.length());
            body = body.substring(0, cut) + pick(NASTY) + body.substring(cut + random.nextInt(body.length() - cut));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Authorization", List.of("Bearer " + m.adminToken()));
        headers.put("Content-Type", List.of(pick(List.of("application/json", "application/json; charset=utf-8",
                "text/plain", FORM))));
        // registrations, and kills and restores of agents that do not exist (a kill of a real agent is an intended
        // change that would end every later valid request); key rotation is left out for the same reason
        String path = random.nextInt(4) == 0 ? pick(List.of("/admin/agents/" + enc(pick(NASTY)) + "/kill",
                "/admin/agents/" + enc(pick(NASTY)) + "/restore")) : "/admin/agents";
        return new Request("admin-json", "POST", path, headers, body.getBytes(StandardCharsets.UTF_8), false);
    }

    private Request pathsMethodsHeaders() {
        String path = pick(PATHS);
        int how = random.nextInt(6);
        if (how == 0) {
            path = path + "/" + enc(pick(NASTY));
        } else if (how == 1) {
            path = "/admin/agents/" + enc(pick(NASTY) + random.nextInt());
        } else if (how == 2) {
            path = path + "?" + enc(pick(NASTY)) + "=" + enc(pick(NASTY)) + "&token=" + enc(m.subjectToken());
        } else if (how == 3) {
            path = "/" + "a/".repeat(random.nextInt(300));
        } else if (how == 4) {
            path = "/oauth2/status/" + pick(List.of("-1", "99999999999999999999", "0x10", "%2e%2e", "1", "abc"));
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (random.nextBoolean()) {
            headers.put("Authorization", List.of(pick(List.of("Bearer " + m.adminToken(), "Bearer " + m.subjectToken(),
                    "Bearer", "x"))));
        }
        if (random.nextBoolean()) {
            headers.put("Content-Type", List.of(pick(CONTENT_TYPES)));
        }
        if (random.nextInt(4) == 0) {
            headers.put("Accept", List.of(pick(List.of("application/statuslist+jwt", "application/json", "*/*",
                    "text/html", "application/statuslist+cwt"))));
        }
        byte[] body = random.nextBoolean() ? null : pick(NASTY).getBytes(StandardCharsets.UTF_8);
        return new Request("paths", pick(METHODS), path, headers, body, false);
    }

    private Request raw() {
        String requestLine = pick(List.of("GET /%zz HTTP/1.1", "POST /oauth2/token HTTP/1.0", "GET " + "/x".repeat(5000)
                        + " HTTP/1.1", "BREW /oauth2/token HTTP/1.1", "GET /oauth2/jwks HTTP/9.9", "\u0000\u0001 / x",
                "POST /oauth2/token HTTP/1.1", "GET /../../ HTTP/1.1", "GET http://evil/oauth2/jwks HTTP/1.1"));
        StringBuilder b = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        byte[] body = pick(NASTY).getBytes(StandardCharsets.UTF_8);
        int how = random.nextInt(5);
        if (how == 0) {
            b.append("Content-Length: ").append(body.length + random.nextInt(3) - 1).append("\r\n");
        } else if (how == 1) {
            b.append("Transfer-Encoding: chunked\r\n");
            body = (pick(List.of("zz", "4", "FFFFFFFF", "-1", "0")) + "\r\nabcd\r\n0\r\n\r\n").getBytes(
                    StandardCharsets.US_ASCII);
        } else if (how == 2) {
            b.append("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
        } else if (how == 3) {
            b.append("X-Long: ").append("a".repeat(20_000)).append("\r\n");
        } else {
            b.append("Content-Type: ").append(FORM).append("\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        b.append("\r\n");
        byte[] head = b.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        // RFC 9110 section 15.6.6: a version the server does not speak is answered 5xx by definition (Vert.x: 501,
        // before the application sees the request); the fuzzer labels it so that only this case may be a 5xx
        return new Request(requestLine.contains("HTTP/9.9") ? "raw-http-version" : "raw", "", "", Map.of(), all,
                true);
    }

    /** A well-formed request that must succeed (the fuzzer checks the happy path keeps working). */
    private Request valid() {
        Map<String, List<String>> params = new LinkedHashMap<>();
        put(params, "grant_type", "client_credentials");
        authenticate(params, false);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of(FORM));
        StringBuilder body = new StringBuilder();
        params.forEach((name, values) -> body.append(body.length() == 0 ? "" : "&").append(enc(name)).append('=')
                .append(enc(values.get(0))));
        return new Request("valid", "POST", "/oauth2/token", headers, body.toString().getBytes(StandardCharsets.UTF_8),
                false);
    }

    // ---- building blocks ----

    private void authenticate(Map<String, List<String>> params, boolean asDelegate) {
        put(params, "client_assertion_type", JWT_BEARER_ASSERTION);
        put(params, "client_assertion", asDelegate ? jwt(m.delegateKey(), claimsOf(m.delegateId()))
                : jwt(m.agentKey(), claimsOf(m.agentId())));
    }

    private Map<String, Object> claimsOf(String id) {
        long now = System.currentTimeMillis() / 1000;
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", id);
        claims.put("sub", id);
        claims.put("aud", m.issuer());
        claims.put("iat", now);
        claims.put("exp", now + 60);
        claims.put("jti", UUID.randomUUID().toString());
        return claims;
    }

    private Map<String, Object> mutateClaims(Map<String, Object> claims) {
        List<String> names = new ArrayList<>(claims.keySet());
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            int how = random.nextInt(4);
            if (how == 0) {
                claims.remove(pick(names));
            } else if (how == 1) {
                claims.put(pick(names), jsonValue(2));
            } else if (how == 2) {
                claims.put(pick(List.of("act", "cnf", "scope", "client_id", "nbf", "may_act", "status", "att")),
                        jsonValue(3));
            } else {
                claims.put("act", deepAct(random.nextInt(40)));
            }
        }
        return claims;
    }

    private String forgedSubjectToken() {
        Map<String, Object> claims = claimsOf(m.agentId());
        claims.put("iss", m.issuer());
        claims.put("client_id", m.agentId());
        claims.put("scope", "read");
        claims.put("act", deepAct(random.nextInt(12)));
        return jwt(m.agentKey(), mutateClaims(claims));
    }

    private Map<String, Object> deepAct(int depth) {
        Map<String, Object> act = new LinkedHashMap<>();
        act.put("sub", random.nextBoolean() ? m.agentId() : pick(NASTY));
        act.put("iss", m.issuer());
        if (depth > 0) {
            act.put("act", deepAct(depth - 1));
        }
        return act;
    }

    /** A compact JWS over the claims, signed with the key (ES256, the key's kid). */
    private static String jwt(ECKey key, Map<String, Object> claims) {
        try {
            com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(
                    new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                    new com.nimbusds.jose.Payload(new JsonObject(claims).encode()));
            jws.sign(new ECDSASigner(key));
            return jws.serialize();
        } catch (JOSEException | RuntimeException e) {
            return "eyJhbGciOiJFUzI1NiJ9.e30.AA";
        }
    }

    /** A grammar-level mutation of a compact JWS: its header, payload, signature or segment structure. */
    private String mutateJwt(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            return jwt + pick(NASTY);
        }
        int how = random.nextInt(9);
        switch (how) {
            case 0:   // header members
                JsonObject header = new JsonObject().put("alg", pick(ALGS));
                if (random.nextBoolean()) {
                    header.put("typ", pick(List.of("at+jwt", "JWT", "dpop+jwt", "chain-grant+jwt", "", "x")));
                }
                if (random.nextBoolean()) {
                    header.put("kid", random.nextBoolean() ? "k".repeat(random.nextInt(5000)) : pick(NASTY));
                }
                if (random.nextInt(3) == 0) {
                    header.put("crit", new JsonArray().add("exp"));
                }
                if (random.nextInt(3) == 0) {
                    header.put("jwk", jsonValue(2));
                }
                if (random.nextInt(4) == 0) {
                    header.put("x5c", new JsonArray().add(pick(NASTY)));
                }
                return b64(header.encode()) + "." + parts[1] + "." + parts[2];
            case 1:   // payload replaced, signature kept
                return parts[0] + "." + b64(new JsonObject(mutateClaims(claimsOf(m.agentId()))).encode()) + "."
                        + parts[2];
            case 2:   // payload not JSON
                return parts[0] + "." + b64(pick(NASTY) + "{") + "." + parts[2];
            case 3:   // signature garbage
                return parts[0] + "." + parts[1] + "." + pick(List.of("", "AA", "!!!!", parts[2].isEmpty() ? "" : parts[2].substring(1),
                        "A".repeat(random.nextInt(400))));
            case 4:   // segment structure
                return pick(List.of(parts[0] + "." + parts[1], jwt + ".", "." + jwt, parts[0] + ".." + parts[2],
                        jwt + "." + parts[1] + "." + parts[2]));
            case 5:   // invalid base64url
                return parts[0].replace('A', '+') + "." + parts[1] + "=" + "." + parts[2];
            case 6:   // a byte flipped
                char[] chars = jwt.toCharArray();
                int i = random.nextInt(Math.max(1, chars.length));
                if (chars.length == 0) {
                    return pick(NASTY);
                }
                chars[i] = (char) (chars[i] ^ (1 + random.nextInt(60)));
                return new String(chars);
            case 7:   // huge
                return jwt + "A".repeat(random.nextInt(15_000));
            default:  // unsecured
                return b64("{\"alg\":\"none\"}") + "." + parts[1] + ".";
        }
    }

    private List<String> dpopHeaders() {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("htm", pick(List.of("POST", "GET", "post", "")));
        claims.put("htu", pick(List.of(m.issuer() + "/oauth2/token", m.issuer() + "/oauth2/token?x", "http://x",
                "")));
        claims.put("iat", System.currentTimeMillis() / 1000 + random.nextInt(600) - 300);
        claims.put("jti", UUID.randomUUID().toString());
        String proof;
        try {
            ECKey key = m.delegateKey();
            com.nimbusds.jose.JWSObject jws = new com.nimbusds.jose.JWSObject(
                    new JWSHeader.Builder(JWSAlgorithm.ES256).type(new com.nimbusds.jose.JOSEObjectType("dpop+jwt"))
                            .jwk(key.toPublicJWK()).build(),
                    new com.nimbusds.jose.Payload(new JsonObject(random.nextBoolean() ? claims : mutateClaims(claims))
                            .encode()));
            jws.sign(new ECDSASigner(key));
            proof = jws.serialize();
        } catch (JOSEException e) {
            proof = "x";
        }
        int how = random.nextInt(4);
        if (how == 0) {
            return List.of(proof, proof);
        }
        if (how == 1) {
            return List.of(mutateJwt(proof));
        }
        return List.of(proof);
    }

    private void mutateForm(Map<String, List<String>> params, int times) {
        for (int i = 0; i < times; i++) {
            List<String> names = new ArrayList<>(params.keySet());
            int how = random.nextInt(7);
            if (how == 0 && !names.isEmpty()) {
                params.remove(pick(names));
            } else if (how == 1 && !names.isEmpty()) {
                params.computeIfAbsent(pick(names), k -> new ArrayList<>()).add(pick(NASTY));
            } else if (how == 2 && !names.isEmpty()) {
                params.put(pick(names), new ArrayList<>(List.of(pick(NASTY))));
            } else if (how == 3) {
                put(params, pick(TOKEN_PARAMETERS), pick(NASTY));
            } else if (how == 4) {
                put(params, pick(NASTY) + random.nextInt(10), pick(NASTY));
            } else if (how == 5) {
                put(params, pick(TOKEN_PARAMETERS), "v".repeat(random.nextInt(17_000)));
            } else if (!names.isEmpty()) {
                String name = pick(names);
                List<String> values = params.get(name);
                if (!values.isEmpty()) {
                    values.set(0, mutateJwt(values.get(0)));
                }
            }
        }
    }

    private Request form(String kind, String path, Map<String, List<String>> params,
                         Map<String, List<String>> headers) {
        StringBuilder body = new StringBuilder();
        boolean raw = random.nextInt(6) == 0;   // sometimes unescaped, so nasty values reach the decoder as they are
        params.forEach((name, values) -> values.forEach(value -> {
            if (body.length() > 0) {
                body.append('&');
            }
            body.append(raw ? name : enc(name)).append('=').append(raw ? value : enc(value));
        }));
        String method = random.nextInt(25) == 0 ? pick(METHODS) : "POST";
        return new Request(kind, method, path, headers, body.toString().getBytes(StandardCharsets.UTF_8), false);
    }

    private Map<String, List<String>> formHeaders() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of(random.nextInt(12) == 0 ? pick(CONTENT_TYPES) : FORM));
        return headers;
    }

    private Object jsonValue(int depth) {
        switch (random.nextInt(depth > 0 ? 9 : 7)) {
            case 0: return null;
            case 1: return random.nextBoolean();
            case 2: return random.nextLong();
            case 3: return random.nextDouble() * 1e300;
            case 4: return pick(NASTY);
            case 5: return "s".repeat(random.nextInt(3000));
            case 6: return -random.nextInt(1000);
            case 7: {
                JsonArray a = new JsonArray();
                for (int i = 0, n = random.nextInt(5); i < n; i++) {
                    a.add(jsonValue(depth - 1));
                }
                return a;
            }
            default: {
                JsonObject o = new JsonObject();
                for (int i = 0, n = random.nextInt(4); i < n; i++) {
                    o.put(pick(NASTY) + i, jsonValue(depth - 1));
                }
                return o;
            }
        }
    }

    private static String deepJson(int depth) {
        return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    }

    private static void put(Map<String, List<String>> params, String name, String value) {
        params.put(name, new ArrayList<>(List.of(value)));
    }

    private <T> T pick(List<T> options) {
        return options.get(random.nextInt(options.size()));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return Base64URL.encode(s.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
