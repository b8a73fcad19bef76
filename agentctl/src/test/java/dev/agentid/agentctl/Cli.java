package dev.agentid.agentctl;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Runs agentctl in-process through picocli, as {@code main} would, with stdout and stderr captured. */
final class Cli {

    /** One run: the exit code and what it printed. */
    record Run(int code, String out, String err) {
        JsonObject json() {
            return new JsonObject(out);
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final InProcessIssuer issuer;

    Cli(InProcessIssuer issuer) {
        this.issuer = issuer;
    }

    static Run raw(Map<String, String> env, String... args) {
        return withStdin("", env, args);
    }

    static Run withStdin(String stdin, Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Agentctl.run(args, env, new java.io.ByteArrayInputStream(stdin.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** A command against the test issuer: --issuer and --token-file (the issuer's own data/admin-token) appended. */
    Run ctl(String... args) {
        return ctlWithStdin("", args);
    }

    Run ctlWithStdin(String stdin, String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--issuer", issuer.url, "--token-file", issuer.adminTokenFile().toString()));
        return withStdin(stdin, Map.of(), all.toArray(String[]::new));
    }
}
