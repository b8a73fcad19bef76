package dev.agentid.issuer;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** {@code ISSUER_LOG_FORMAT=json}: one JSON object per line (time, level, logger, message, and the error if any). */
public final class JsonLogFormatter extends Formatter {

    private final boolean stackTraces;

    public JsonLogFormatter(boolean stackTraces) {
        this.stackTraces = stackTraces;
    }

    @Override
    public String format(LogRecord record) {
        JsonObject line = new JsonObject()
                .put("time", Instant.ofEpochMilli(record.getMillis()).toString())
                .put("level", record.getLevel().getName())
                .put("logger", record.getLoggerName())
                .put("message", formatMessage(record));
        Throwable thrown = record.getThrown();
        if (thrown != null) {
            line.put("error", thrown.toString());
            if (stackTraces) {
                StringWriter trace = new StringWriter();
                thrown.printStackTrace(new PrintWriter(trace));
                line.put("stack", trace.toString());
            }
        }
        return line.encode() + System.lineSeparator();
    }
}
