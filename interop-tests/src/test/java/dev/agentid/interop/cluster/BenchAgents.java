package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents.Agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/** What the benchmarks share: pre-built request bodies, token endpoints, heap histograms of a node. */
final class BenchAgents {

    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    private BenchAgents() {
    }

    /**
     * {@code n} token-exchange bodies, each with its own client assertion (valid 60 s), signed on two threads before
     * any request is sent.
     */
    static List<String> exchangeBodies(Agent actor, String subjectToken, String scope, int n) {
        return IntStream.range(0, n).parallel()
                .mapToObj(i -> Http.form(actor.exchangeForm(subjectToken, scope, null)))
                .toList();
    }

    /** A client_credentials body (scope files:read, audience API) with its own fresh client assertion. */
    static String clientCredentialsBody(Agent agent) {
        Map<String, String> form = new java.util.LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("scope", "files:read");
        form.put("audience", ClusterAssertions.API);
        form.put("client_assertion_type", dev.agentid.interop.TestAgents.JWT_BEARER);
        form.put("client_assertion", agent.clientAssertion());
        return Http.form(form);
    }

    static List<URI> tokenEndpoints(List<IssuerProcess> nodes) {
        return nodes.stream().map(IssuerProcess::tokenEndpoint).toList();
    }

    static String accessToken(String responseBody) {
        Matcher m = ACCESS_TOKEN.matcher(responseBody);
        if (!m.find()) {
            throw new AssertionError("no access_token in the response");
        }
        return m.group(1);
    }

    /** Live bytes on the node's heap after a full GC ({@code jcmd PID GC.class_histogram}, which collects first). */
    static long liveHeapBytes(IssuerProcess node) {
        return totalBytes(histogram(node));
    }

    /** The live bytes of a class histogram (its Total line). */
    static long totalBytes(String histogram) {
        Matcher m = TOTAL.matcher(histogram);
        if (!m.find()) {
            throw new AssertionError("no Total line in the class histogram");
        }
        return Long.parseLong(m.group(2));
    }

    /** The {@code n} classes that grew most from one histogram to the next, in bytes per {@code per} (per entry). */
    static String topGrowth(String before, String after, int n, int per) {
        Map<String, Long> was = bytesByClass(before);
        return bytesByClass(after).entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - was.getOrDefault(e.getKey(), 0L)))
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .map(e -> String.format(java.util.Locale.ROOT, "%s %.0f B", e.getKey(), e.getValue() / (double) per))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    static String histogram(IssuerProcess node) {
        try {
            Process jcmd = new ProcessBuilder("jcmd", Long.toString(node.pid()), "GC.class_histogram")
                    .redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes());
            if (!jcmd.waitFor(120, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
                throw new AssertionError("jcmd failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Bytes per class name in a histogram. */
    static Map<String, Long> bytesByClass(String histogram) {
        Map<String, Long> out = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)").matcher(histogram);
        while (m.find()) {
            out.merge(m.group(3), Long.parseLong(m.group(2)), Long::sum);
        }
        return out;
    }

    static long statusIndexOf(String token) {
        return StatusLists.reference(token).idx();
    }

    static String kid(String token) {
        try {
            return com.nimbusds.jwt.SignedJWT.parse(token).getHeader().getKeyID();
        } catch (ParseException e) {
            throw new AssertionError(e);
        }
    }
}
