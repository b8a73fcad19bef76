package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class ClusterRefusalsTest {

    private final AtomicLong nanos = new AtomicLong();
    private final List<LogRecord> lines = new ArrayList<>();
    private final Logger logger = Logger.getAnonymousLogger();

    ClusterRefusalsTest() {
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    @Test
    void aRefusalIsOneWarnLineNamingTheNodeAndTheReason() {
        ClusterRefusals refusals = new ClusterRefusals(nanos::get, logger);
        assertTrue(refusals.refused("node-x at 127.0.0.1:7900", "not in ISSUER_CLUSTER_MEMBERS"));
        assertEquals(1, lines.size());
        assertEquals(Level.WARNING, lines.get(0).getLevel());
        assertEquals("refused cluster join from node-x at 127.0.0.1:7900: not in ISSUER_CLUSTER_MEMBERS",
                lines.get(0).getMessage());
    }

    @Test
    void aFloodOfRefusalsCannotFloodTheLog() {
        ClusterRefusals refusals = new ClusterRefusals(nanos::get, logger);
        for (int i = 0; i < 10_000; i++) {
            refusals.refused("attacker-" + (i % 500), "its message is not encrypted");
        }
        assertEquals(ClusterRefusals.MAX_LINES_PER_WINDOW, lines.size(), "at most this many lines a minute");
        assertFalse(refusals.refused("attacker-0", "its message is not encrypted"), "a repeat in the window");

        nanos.addAndGet(ClusterRefusals.WINDOW.toNanos());
        assertTrue(refusals.refused("attacker-0", "its message is not encrypted"));
        String last = lines.get(lines.size() - 1).getMessage();
        assertEquals("refused cluster join from attacker-0: its message is not encrypted ("
                + (10_000 - ClusterRefusals.MAX_LINES_PER_WINDOW + 1) + " similar refusals not logged)", last);
    }
}
