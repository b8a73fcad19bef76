package dev.agentid.interop;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.net.http.HttpHeaders;
import java.text.ParseException;
import java.util.Map;

/** A status, the headers and the body of one HTTP response. */
public record HttpResult(int status, HttpHeaders headers, String body) {

    /** The body as a JSON object; fails the test if it is not one. */
    public Map<String, Object> json() {
        try {
            return JSONObjectUtils.parse(body);
        } catch (ParseException e) {
            throw new AssertionError("response " + status + " is not a JSON object: " + body, e);
        }
    }

    public String header(String name) {
        return headers.firstValue(name).orElse(null);
    }

    /** Fails unless the status is the expected one; the message shows the body with JWTs masked ({@link #describe()}). */
    public HttpResult expect(int expectedStatus) {
        if (status != expectedStatus) {
            throw new AssertionError("expected HTTP " + expectedStatus + " but got " + describe());
        }
        return this;
    }

    /** Status and body, with anything that looks like a JWT masked, for assertion messages. */
    public String describe() {
        return status + " " + body.replaceAll("ey[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*", "<jwt>");
    }
}
