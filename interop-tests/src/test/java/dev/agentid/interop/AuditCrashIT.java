package dev.agentid.interop;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A token response is sent only after its issuance record is on disk (issue 14): clients issue tokens as fast as they
 * can, the issuer is killed with SIGKILL in the middle of it, and after the restart every token a client received has
 * its {@code token.issued} record, and {@code java -jar issuer.jar audit-verify} finds the log intact.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class AuditCrashIT {

    private static final Pattern ISSUED_JTI = Pattern.compile("\"jti\":\"([^\"]+)\"");

    @Test
    void everyTokenAcknowledgedBeforeAKill9HasItsIssuanceRecordAfterTheRestart() throws Exception {
        IssuerProcess issuer = IssuerProcess.named("audit-crash").start();
        try {
            TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
            List<Agent> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clients.add(agents.agent("crash-audit-" + i).register());
            }
            ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (Agent client : clients) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            HttpResult r = client.clientCredentials(null, null);
                            if (r.status() == 200) {
                                acknowledged.add((String) r.json().get("access_token"));
                            }
                        } catch (RuntimeException connectionLost) {
                            // the issuer is gone: what was not answered was not acknowledged
                        }
                    }
                });
                t.start();
                threads.add(t);
            }
            Interop.await("tokens issued", java.time.Duration.ofSeconds(30), java.time.Duration.ofMillis(20),
                    () -> acknowledged.size() >= 200 ? true : null);
            issuer.kill();   // SIGKILL while the clients are still asking
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }

            issuer = issuer.relaunch().start();   // the restart cuts a torn last line, if any
            Set<String> recorded = issuedJtis(issuer.dataDir());
            int checked = 0;
            for (String token : acknowledged) {
                String jti = SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
                assertTrue(recorded.contains(jti), "token " + jti + " was acknowledged but has no issuance record");
                checked++;
            }
            assertTrue(checked >= 200, "checked " + checked);
            issuer.stop();

            Process verify = new ProcessBuilder(Interop.javaExecutable(), "-jar", Interop.issuerJar().toString(),
                    "audit-verify", "--data-dir", issuer.dataDir().toString()).redirectErrorStream(true).start();
            String report = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, verify.waitFor(), report);
            assertTrue(report.startsWith("audit log intact"), report);
        } finally {
            issuer.close();
        }
    }

    private static Set<String> issuedJtis(Path dataDir) throws Exception {
        Set<String> jtis = new HashSet<>();
        try (Stream<Path> files = Files.list(dataDir.resolve("audit"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.contains("\"type\":\"token.issued\"")) {
                        Matcher m = ISSUED_JTI.matcher(line);
                        if (m.find()) {
                            jtis.add(m.group(1));
                        }
                    }
                }
            }
        }
        return jtis;
    }
}
