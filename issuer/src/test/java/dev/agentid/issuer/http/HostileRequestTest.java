package dev.agentid.issuer.http;

import dev.agentid.issuer.LogCapture;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.agentid.issuer.TestIssuer.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, "500s from hostile bodies": every body that the form decoder or the body handler rejects is a clean 4xx
 * with the OAuth error JSON and no-store, on the token, introspection and revocation endpoints, and nothing SEVERE or
 * stack-trace-like reaches the log.
 */
class HostileRequestTest {

    static final List<String> FORM_ENDPOINTS = List.of(Routes.TOKEN_PATH, Routes.INTROSPECTION_PATH,
            Routes.REVOCATION_PATH);
    static final String FORM = "application/x-www-form-urlencoded";

    @TempDir
    static Path dir;
    static TestIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    @Test
    void malformedPercentEncodingIsInvalidRequestNotServerError() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                for (String body : List.of("%", "%zz", "grant_type=%%%%", "scope=%E0%A4%A", "token=%4",
                        "grant_type=client_credentials&scope=%G1", "%=x", "x=%")) {
                    assertError(issuer.post(path, FORM, body), 400, "invalid_request", FormEncoding.MALFORMED);
                }
            }
            log.assertNoFaults();
        }
    }

    @Test
    void percentEncodedInvalidUtf8IsInvalidRequest() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                // a truncated three-byte sequence, a lone continuation byte, an overlong encoding of '/'
                for (String body : List.of("scope=%E0%A4", "token=%80", "grant_type=%C0%AF")) {
                    assertError(issuer.post(path, FORM, body), 400, "invalid_request", FormEncoding.MALFORMED);
                }
            }
            log.assertNoFaults();
        }
    }

    @Test
    void moreThan256FormFieldsIsInvalidRequestNotServerError() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                assertError(issuer.post(path, FORM, fields(BodyLimits.MAX_FORM_FIELDS + 1)), 400, "invalid_request",
                        BodyLimits.TOO_MANY_FIELDS);
            }
            log.assertNoFaults();
        }
    }

    @Test
    void chunkedBodyOverLimitIs413WithoutStackTrace() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                for (byte[] body : List.of(new byte[Routes.MAX_BODY_BYTES + 1],
                        ("token=" + "a".repeat(Routes.MAX_BODY_BYTES - 5)).getBytes(StandardCharsets.US_ASCII))) {
                    assertError(issuer.send(chunked(path, body)), 413, "invalid_request", BodyLimits.TOO_LARGE);
                }
            }
            log.assertNoFaults();
        }
    }

    @Test
    void bodyOverLimitWithContentLengthIs413WithoutStackTrace() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                assertError(issuer.post(path, FORM, "token=" + "a".repeat(Routes.MAX_BODY_BYTES - 5)), 413,
                        "invalid_request", BodyLimits.TOO_LARGE);
            }
            log.assertNoFaults();
        }
    }

    /** Regression: the form decoder buffered at most 1024 bytes of one field, so a long field sent chunked failed. */
    @Test
    void longFieldSentInChunksIsReadLikeAnyOther() {
        try (LogCapture log = LogCapture.start()) {
            byte[] body = ("token=" + "a".repeat(8000)).getBytes(StandardCharsets.US_ASCII);
            TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                            + Routes.INTROSPECTION_PATH))
                    .header("Content-Type", FORM)
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SlowStream(body))).build());
            assertEquals(200, r.status(), r.body());
            assertEquals(new JsonObject().put("active", false), r.json());
            assertEquals("no-store", r.header("Cache-Control"));
            log.assertNoFaults();
        }
    }

    /** The form endpoints read their own bodies (FormBody): Expect: 100-continue is answered, the body then read. */
    @Test
    void expectContinueIsAnsweredAndTheBodyRead() {
        try (LogCapture log = LogCapture.start()) {
            TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                            + Routes.INTROSPECTION_PATH))
                    .expectContinue(true)
                    .header("Content-Type", FORM)
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("token=abc")).build());
            assertEquals(200, r.status(), r.body());
            assertEquals(new JsonObject().put("active", false), r.json());
            log.assertNoFaults();
        }
    }

    // ---- regressions found by the fuzzer (fuzz/EndpointFuzzTest) ----

    @Test
    void getWithFormContentTypeIs405NotServerError() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                for (String method : List.of("GET", "OPTIONS")) {
                    TestIssuer.Response r = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + path))
                            .header("Content-Type", FORM)
                            .method(method, HttpRequest.BodyPublishers.ofString("token=x")).build());
                    assertEquals(405, r.status(), r.body());
                    assertEquals("invalid_request", r.json().getString("error"));
                    assertEquals("no-store", r.header("Cache-Control"));
                }
            }
            TestIssuer.Response admin = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/admin/agents/none"))
                    .header("Content-Type", FORM).header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .method("GET", HttpRequest.BodyPublishers.ofString("a=b")).build());
            assertError(admin, 404, "not_found", "agent 'none' is not registered");
            log.assertNoFaults();
        }
    }

    @Test
    void pathWithMalformedPercentEncodingIsInvalidRequestNotRouterFailure() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : List.of("/%zz", "/oauth2/token%", "/admin/agents/%E0%A")) {
                String response = raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assertTrue(response.startsWith("HTTP/1.1 400"), response);
                assertTrue(response.contains("no-store"), response);
                assertTrue(response.endsWith(new JsonObject().put("error", "invalid_request")
                        .put("error_description", BodyLimits.MALFORMED_PATH).encode()), response);
            }
            log.assertNoFaults();
        }
    }

    @Test
    void malformedChunkSizeIsInvalidRequestWithoutStackTrace() {
        try (LogCapture log = LogCapture.start()) {
            for (String size : List.of("zz", "FFFFFFFFFFFFFFFF")) {
                String response = raw("POST /oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        + "Content-Type: " + FORM + "\r\nTransfer-Encoding: chunked\r\n\r\n" + size
                        + "\r\nabcd\r\n0\r\n\r\n");
                assertTrue(response.isEmpty() || response.startsWith("HTTP/1.1 400"), response);
            }
            log.assertNoFaults();
        }
    }

    @Test
    void clientClosingMidBodyLeavesNoStackTrace() {
        try (LogCapture log = LogCapture.start()) {
            raw("POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM
                    + "\r\nContent-Length: 100\r\n\r\ngrant_type=");
            // the close reaches the server asynchronously: a request afterwards proves it was handled
            assertEquals(405, issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + Routes.TOKEN_PATH)).GET()
                    .build()).status());
            log.assertNoFaults();
        }
    }

    @Test
    void oversizedHeadersAre431WithOAuthErrorJson() {
        try (LogCapture log = LogCapture.start()) {
            String response = raw("POST /oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nDPoP: "
                    + "a".repeat(20_000) + "\r\n\r\n");
            assertTrue(response.startsWith("HTTP/1.1 431"), response);
            assertTrue(response.contains("no-store"), response);
            assertTrue(response.endsWith(new JsonObject().put("error", "invalid_request")
                    .put("error_description", "the request headers are too large").encode()), response);
            log.assertNoFaults();
        }
    }

    /** Found by the long fuzz run: a raw multi-byte character before an escape overflowed the decoding buffer. */
    @Test
    void rawMultibyteCharactersBeforeAnEscapeAreDecodedWithoutOverflow() {
        try (LogCapture log = LogCapture.start()) {
            for (String path : FORM_ENDPOINTS) {
                TestIssuer.Response r = issuer.post(path, FORM, "grant_type=client_credentials&scope=\u20ac\u20aca%41");
                assertTrue(r.status() == 400 || r.status() == 401, r.body());
                assertEquals("no-store", r.header("Cache-Control"));
            }
            assertError(issuer.post(Routes.TOKEN_PATH, FORM, "grant_type=client_credentials&scope=\u20ac\u20ac%E0%A4"),
                    400, "invalid_request", FormEncoding.MALFORMED);
            log.assertNoFaults();
        }
    }

    /** Found by the long fuzz run: the SDK throws IllegalArgumentException for a value it cannot quote. */
    @Test
    void unquotableClientAssertionIsInvalidRequestNotServerError() {
        try (LogCapture log = LogCapture.start()) {
            // a client assertion whose alg the SDK names in its error description: a character RFC 6749 forbids there
            String assertion = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"\u00e9\"}") + "."
                    + com.nimbusds.jose.util.Base64URL.encode("{}") + ".AA";
            for (String path : List.of(Routes.INTROSPECTION_PATH, Routes.REVOCATION_PATH)) {
                assertError(issuer.post(path, FORM, TestIssuer.form(java.util.Map.of("token", "x",
                        "client_assertion_type", TestIssuer.JWT_BEARER, "client_assertion", assertion))), 400,
                        "invalid_request", Forms.MALFORMED_PARAMETER);
            }
            log.assertNoFaults();
        }
    }

    /** Found by the long fuzz run: a subject token whose payload is the JSON text null made the verifier throw. */
    @Test
    void subjectTokenWithNullPayloadIsMalformedNotServerError() {
        try (LogCapture log = LogCapture.start()) {
            dev.agentid.issuer.TestAgent a = issuer.register(dev.agentid.issuer.TestAgent.agent("null-payload"));
            String[] parts = issuer.tokenFor(a).split("\\.");
            String forged = parts[0] + "." + com.nimbusds.jose.util.Base64URL.encode("null") + "." + parts[2];
            assertError(issuer.exchange(a, forged), 400, "invalid_request", "subject_token is malformed");
            log.assertNoFaults();
        }
    }

    /** Writes the bytes on a fresh connection, half-closes it and returns everything the server answered. */
    static String raw(String request) {
        URI uri = URI.create(issuer.url);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            return "";   // reset by the server: it refused to read on
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HttpRequest chunked(String path, byte[] body) {
        return HttpRequest.newBuilder(URI.create(issuer.url + path))
                .header("Content-Type", FORM)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SlowStream(body))).build();
    }

    static String fields(int n) {
        StringBuilder b = new StringBuilder("grant_type=client_credentials");
        for (int i = 1; i < n; i++) {
            b.append("&f").append(i).append("=1");
        }
        return b.toString();
    }

    /** Hands out at most 512 bytes per read, so the body goes out in many chunks. */
    static final class SlowStream extends ByteArrayInputStream {
        SlowStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 512));
        }
    }
}
