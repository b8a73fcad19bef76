package dev.agentid.issuer;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Captures what the JUL root logger receives while it is open (Vert.x, Netty and the issuer all log through JUL in
 * the tests), so a test can prove that a hostile request left no SEVERE record and no stack trace in the log.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final List<LogRecord> records = new ArrayList<>();
    private final Logger root = Logger.getLogger("");

    private LogCapture() {
        setLevel(Level.ALL);
    }

    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        capture.root.addHandler(capture);
        return capture;
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    /** Records at WARNING or above, or carrying a throwable: what an operator would read as a fault. */
    public synchronized List<String> faults() {
        List<String> faults = new ArrayList<>();
        for (LogRecord r : records) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue() || r.getThrown() != null) {
                faults.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " / " + r.getThrown()));
            }
        }
        return faults;
    }

    /** Every message received so far, formatted with its parameters. */
    public synchronized List<String> messages() {
        List<String> messages = new ArrayList<>();
        java.util.logging.Formatter formatter = new java.util.logging.SimpleFormatter();
        for (LogRecord r : records) {
            messages.add(formatter.formatMessage(r));
        }
        return messages;
    }

    /** Fails unless nothing SEVERE, WARNING or stack-trace-like was logged since the start (or the last clear). */
    public void assertNoFaults() {
        assertEquals(List.of(), faults(), "the log shows a fault");
    }

    public synchronized void clear() {
        records.clear();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
