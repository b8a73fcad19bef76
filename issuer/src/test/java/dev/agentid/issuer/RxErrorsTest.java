package dev.agentid.issuer;

import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An undeliverable RxJava error (Ctrl-C during a start) is one FINE log line, nothing on stderr. */
class RxErrorsTest {

    private final Logger logger = Logger.getLogger(RxErrors.class.getName());

    @AfterEach
    void reset() {
        RxJavaPlugins.reset();
        logger.setLevel(null);
    }

    @Test
    void undeliverableErrorIsOneFineLineAndNothingOnStderr() {
        RxErrors.install();
        logger.setLevel(Level.FINE);
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (LogCapture log = LogCapture.start()) {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            RxJavaPlugins.onError(new IllegalStateException("cache manager stopped"));
            List<String> lines = log.messages().stream().filter(m -> m.contains("RxJava")).toList();
            assertEquals(1, lines.size(), log.messages().toString());
            assertTrue(lines.get(0).contains("IllegalStateException: cache manager stopped"), lines.get(0));
            assertTrue(lines.get(0).lines().count() == 1, "one line");
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8), "nothing printed by RxJava");
    }
}
