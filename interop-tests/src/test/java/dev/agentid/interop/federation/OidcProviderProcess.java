package dev.agentid.interop.federation;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenID Provider: panva/oidc-provider (pinned in package-lock.json) run by node/oidc-provider.mjs on
 * 127.0.0.1. Users log in through a real authorization-code flow that the script drives over HTTP
 * ({@link #login}); the provider's id_token and RFC 9068 access token come back. Close it to stop it.
 */
public final class OidcProviderProcess implements AutoCloseable {

    private final Process process;
    private final String issuer;
    private final String clientId;
    private final Http http = new Http();
    private Map<String, Object> ready = Map.of();

    private OidcProviderProcess(Process process, String issuer, String clientId) {
        this.process = process;
        this.issuer = issuer;
        this.clientId = clientId;
    }

    public static OidcProviderProcess start() {
        Path module = Interop.baseDir();
        if (!Files.isDirectory(module.resolve("node_modules/oidc-provider"))) {
            throw new IllegalStateException("node_modules/oidc-provider is missing in " + module + ": run npm ci there");
        }
        try {
            Path logs = Files.createDirectories(Interop.targetDir().resolve("issuer-logs"));
            Process process = new ProcessBuilder(Interop.nodeExecutable(), "node/oidc-provider.mjs", "0")
                    .directory(module.toFile())
                    .redirectError(Files.createTempFile(logs, "oidc-provider-", ".stderr.log").toFile())
                    .start();
            process.getOutputStream().close();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).get(30, TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("oidc-provider.mjs exited with " + process.waitFor());
            }
            Map<String, Object> ready = JSONObjectUtils.parse(line);
            OidcProviderProcess started = new OidcProviderProcess(process, (String) ready.get("issuer"),
                    (String) ready.get("client_id"));
            started.ready = ready;
            return started;
        } catch (IOException | ParseException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            throw new AssertionError("could not start oidc-provider.mjs", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public String issuer() {
        return issuer;
    }

    /** The web console's client at this provider (ConsoleIT): its client_id. */
    public String consoleClientId() {
        return (String) ready.get("console_client_id");
    }

    /** The web console's client secret (client_secret_basic). */
    public String consoleClientSecret() {
        return (String) ready.get("console_client_secret");
    }

    /** The groups {@code user}'s next tokens carry (comma-separated, empty for none). */
    public void groups(String user, String groups) {
        http.get(URI.create(issuer + "/_test/groups?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&groups=" + URLEncoder.encode(groups, StandardCharsets.UTF_8)), null).expect(200);
    }

    /** The client_id of the relying party at this provider: the audience of its id_tokens. */
    String clientId() {
        return clientId;
    }

    /**
     * Disables {@code user} at the provider, which then pushes a Security Event Token about it ({@code event}:
     * account-disabled, session-revoked or credential-change) to {@code receiver}, as a Shared Signals transmitter;
     * answers {"status": the receiver's HTTP status, "body": its answer, "jti": the SET's id}.
     */
    Map<String, Object> disable(String user, URI receiver, String event) {
        URI uri = URI.create(issuer + "/_test/disable?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8)
                + "&receiver=" + URLEncoder.encode(receiver.toString(), StandardCharsets.UTF_8)
                + "&event=" + URLEncoder.encode(event, StandardCharsets.UTF_8));
        return http.get(uri, null).expect(200).json();
    }

    /** Logs {@code user} in (groups as given) and returns the provider's {"id_token", "access_token"}. */
    Map<String, Object> login(String user, String groups, String resource) {
        StringBuilder uri = new StringBuilder(issuer).append("/_test/login?user=")
                .append(URLEncoder.encode(user, StandardCharsets.UTF_8));
        if (groups != null) {
            uri.append("&groups=").append(URLEncoder.encode(groups, StandardCharsets.UTF_8));
        }
        if (resource != null) {
            uri.append("&resource=").append(URLEncoder.encode(resource, StandardCharsets.UTF_8));
        }
        HttpResult result = http.get(URI.create(uri.toString()), null);
        return result.expect(200).json();
    }

    String idToken(String user, String groups) {
        return (String) login(user, groups, null).get("id_token");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
