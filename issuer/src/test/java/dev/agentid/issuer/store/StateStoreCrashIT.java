package dev.agentid.issuer.store;

import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.domain.AgentStatus;

import static dev.agentid.issuer.store.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged writes survive the process being killed (SIGKILL, no shutdown hooks, store never closed): writes go
 * through to the file store before they are acknowledged, and the store reopens after an unclean shutdown.
 */
class StateStoreCrashIT {

    @TempDir
    Path dataDir;

    @Test
    void acknowledgedWritesSurviveKillMinus9() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), dataDir.toString())
                .redirectErrorStream(true)
                .start();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> written = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    output.add(line);
                    if (line.equals(CrashWriter.WRITTEN)) {
                        written.complete(null);
                    }
                }
            } catch (IOException e) {
                // the child was killed
            }
            written.completeExceptionally(new IllegalStateException("child exited without writing"));
        });
        reader.setDaemon(true);
        reader.start();
        try {
            // bounded wait for a JVM start plus an Infinispan start on a busy machine
            written.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError("child did not write; output: " + output, e);
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child still running");
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (StateStore state = StateStore.start(dataDir)) {
            AgentRecord agent = await(state.agents().find("crash-agent"));
            assertEquals(AgentStatus.KILLED, agent.status());
            assertEquals("team-crash-agent", agent.owner());
            assertEquals(Set.of("jti-parent"), await(state.tokens().revokedAmong(List.of("jti-crash", "jti-parent"))));
            assertEquals("jti-root", state.tokens().revocationsHere().get("jti-parent"));
            // single-use marks are memory-only by design (docs/CLUSTER.md): the crash took this one with it
            assertTrue(await(state.replay().firstUse("assertion-crash", Instant.now().plusSeconds(600))));
            List<String> burst = IntStream.range(0, CrashWriter.BURST).mapToObj(i -> "jti-burst-" + i).toList();
            assertEquals(CrashWriter.BURST, await(state.tokens().revokedAmong(burst)).size());
        }
    }
}
