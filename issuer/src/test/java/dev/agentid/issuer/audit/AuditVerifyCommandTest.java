package dev.agentid.issuer.audit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.keys.KeyRing;
import dev.agentid.keys.KeyStoreFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar issuer.jar audit-verify}: the data directory's key file verifies the checkpoints. */
class AuditVerifyCommandTest {

    @TempDir
    Path dataDir;

    private String output;

    private int run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = AuditVerifyCommand.run(List.of(args), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        output = out.toString(StandardCharsets.UTF_8);
        return code;
    }

    private void writeLog() throws Exception {
        MutableClock clock = new MutableClock();
        KeyRing ring = KeyStoreFile.in(dataDir).loadOrCreate(clock);
        CheckpointSigner signer = (claims, at) -> {
            KeyRing.ActiveSigner active = ring.activeSigner(at);
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(active.algorithm()).keyID(active.keyId())
                    .type(new JOSEObjectType(AuditLog.CHECKPOINT_TYPE)).build(), claims);
            try {
                jwt.sign(active.signer());
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
            return jwt.serialize();
        };
        try (AuditLog log = AuditLog.open(dataDir, "local", clock, new AuditSettings(4, java.time.Duration.ofHours(1),
                java.time.Duration.ofDays(1), 1 << 20, java.time.Duration.ZERO), signer)) {
            for (int i = 0; i < 10; i++) {
                log.append(AuditLogTest.issued("t" + i)).get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anIntactLogExitsZeroAndSaysSo() throws Exception {
        writeLog();
        assertEquals(0, run("--data-dir", dataDir.toString()), output);
        assertTrue(output.startsWith("audit log intact: records 1..14, 3 signed checkpoint(s)"), output);
    }

    @Test
    void aDeletedRecordExitsOneAndNamesIt() throws Exception {
        writeLog();
        Path segment = AuditLog.segments(dataDir.resolve("audit")).get(0);
        List<String> lines = new ArrayList<>(Files.readAllLines(segment));
        lines.remove(6);
        Files.writeString(segment, String.join("\n", lines) + "\n");
        assertEquals(1, run("--data-dir", dataDir.toString()), output);
        assertTrue(output.startsWith("audit log BROKEN: first broken record seq 7: seq 7 expected after 6, found seq 8"),
                output);
    }

    @Test
    void withoutAnyKeyTheCheckpointsCannotBeVerified() throws Exception {
        writeLog();
        Files.delete(KeyStoreFile.in(dataDir).path());
        assertEquals(1, run("--data-dir", dataDir.toString()), output);
        assertTrue(output.contains("pass the JWKS that held it with --jwks"), output);
    }

    @Test
    void anUnknownArgumentIsAUsageError() {
        assertEquals(2, run("--data", "x"));
        assertTrue(output.contains("usage: java -jar issuer.jar audit-verify"), output);
    }
}
