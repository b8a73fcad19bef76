package dev.agentid.issuer.audit;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.keys.ManagedKey;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar issuer.jar audit-verify [--data-dir DIR] [--jwks FILE]... [--checkpoint FILE]...}: verifies the
 * audit log in {@code DIR/audit} (docs/AUDIT.md). Checkpoint signatures are checked against the public halves of the
 * keys in {@code DIR}'s key file, when it is readable, and every JWK set given with {@code --jwks} (keep the JWKS of
 * retired keys: rotation prunes them from the key file). Each {@code --checkpoint} file holds a checkpoint record kept
 * outside the log (a copy shipped to a SIEM, say) that the log must still contain. Exit codes: 0 intact, 1 broken (the
 * first broken record is named), 2 usage or unreadable input.
 */
public final class AuditVerifyCommand {

    public static final String NAME = "audit-verify";
    static final int INTACT = 0;
    static final int BROKEN = 1;
    static final int USAGE = 2;
    static final String USAGE_TEXT = "usage: java -jar issuer.jar audit-verify [--data-dir DIR] [--jwks FILE]..."
            + " [--checkpoint FILE]...\n  DIR defaults to ISSUER_DATA_DIR, else ./data\n";

    private AuditVerifyCommand() {
    }

    /** {@code args} after the command name. */
    public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        Path dataDir = Path.of(env.getOrDefault("ISSUER_DATA_DIR", "./data"));
        List<Path> jwksFiles = new ArrayList<>();
        List<Path> checkpoints = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if ((arg.equals("--data-dir") || arg.equals("--jwks") || arg.equals("--checkpoint"))
                    && i + 1 < args.size()) {
                Path value = Path.of(args.get(++i));
                switch (arg) {
                    case "--data-dir" -> dataDir = value;
                    case "--jwks" -> jwksFiles.add(value);
                    default -> checkpoints.add(value);
                }
            } else if (arg.equals("--help") || arg.equals("-h")) {
                out.print(USAGE_TEXT);
                return INTACT;
            } else {
                err.print("unknown or incomplete argument: " + arg + "\n" + USAGE_TEXT);
                return USAGE;
            }
        }
        Map<String, JWK> keys = new LinkedHashMap<>();
        KeyStoreFile keyFile = KeyStoreFile.in(dataDir);
        if (keyFile.exists()) {
            try {
                for (ManagedKey key : keyFile.load().keys()) {
                    JWK pub = key.privateJwk().toPublicJWK();
                    keys.put(pub.getKeyID(), pub);
                }
            } catch (RuntimeException e) {
                err.println("note: cannot read the key file " + keyFile.path() + " (" + e.getMessage()
                        + "); using --jwks only");
            }
        }
        List<String> anchors = new ArrayList<>();
        try {
            for (Path file : jwksFiles) {
                for (JWK key : JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8)).getKeys()) {
                    keys.put(key.getKeyID(), key.toPublicJWK());
                }
            }
            for (Path file : checkpoints) {
                anchors.add(Files.readString(file, StandardCharsets.UTF_8).trim());
            }
        } catch (IOException | ParseException e) {
            err.println("cannot read " + e.getMessage());
            return USAGE;
        }
        Path auditDir = dataDir.resolve(AuditLog.DIRECTORY);
        if (!Files.isDirectory(auditDir)) {
            err.println("no audit log in " + auditDir);
            return USAGE;
        }
        try {
            AuditVerifier.Result result = new AuditVerifier(new JWKSet(new ArrayList<>(keys.values())), anchors)
                    .verify(auditDir);
            out.print(result.report());
            return result.intact() ? INTACT : BROKEN;
        } catch (IOException e) {
            err.println("cannot read the audit log: " + e.getMessage());
            return USAGE;
        }
    }
}
