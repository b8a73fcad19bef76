package dev.agentid.issuer.monitor;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The monitoring settings file: global detectors, per-agent overrides, responses; mistakes refuse to start. */
class MonitorSettingsTest {

    @Test
    void perAgentOverridesOnlyTheMembersTheyName() {
        MonitorSettings s = MonitorSettings.parse(new JsonObject("{\"detectors\": {\"burst\": {\"floor\": 200}},"
                + " \"agents\": {\"batch\": {\"burst\": {\"factor\": 50}, \"new_audience\": {\"enabled\": false}}},"
                + " \"responses\": {\"medium\": \"alert\"}, \"learning_minutes\": 120}"));
        assertEquals(new MonitorSettings.Detector(true, Severity.HIGH, 20, 200, 10),
                s.detector(MonitorSettings.BURST, "other"));
        assertEquals(new MonitorSettings.Detector(true, Severity.HIGH, 50, 200, 10),
                s.detector(MonitorSettings.BURST, "batch"));
        assertFalse(s.detector(MonitorSettings.NEW_AUDIENCE, "batch").enabled());
        assertTrue(s.detector(MonitorSettings.NEW_AUDIENCE, "other").enabled());
        assertEquals(Response.ALERT, s.response(Severity.MEDIUM));
        assertEquals(Response.SUSPEND, s.response(Severity.HIGH));
        assertEquals(120, s.learning().toMinutes());
    }

    @Test
    void mistakesInTheSettingsRefuseToStart() {
        assertEquals("monitor settings: unknown detector 'bursts'", assertThrows(IllegalArgumentException.class,
                () -> MonitorSettings.parse(new JsonObject("{\"detectors\": {\"bursts\": {}}}"))).getMessage());
        assertEquals("detectors.burst: severity must be low, medium, high or critical",
                assertThrows(IllegalArgumentException.class, () -> MonitorSettings.parse(
                        new JsonObject("{\"detectors\": {\"burst\": {\"severity\": \"severe\"}}}"))).getMessage());
        assertEquals("responses.high: response must be alert, throttle or suspend",
                assertThrows(IllegalArgumentException.class, () -> MonitorSettings.parse(
                        new JsonObject("{\"responses\": {\"high\": \"kill\"}}"))).getMessage());
        assertEquals("monitor settings: unknown field 'treshold'", assertThrows(IllegalArgumentException.class,
                () -> MonitorSettings.parse(new JsonObject("{\"treshold\": 3}"))).getMessage());
        assertEquals("ISSUER_MONITOR must be on or off", assertThrows(IllegalArgumentException.class,
                () -> MonitorSettings.fromValues(Map.of("ISSUER_MONITOR", "yes"))).getMessage());
        assertFalse(MonitorSettings.fromValues(Map.of("ISSUER_MONITOR", "off")).enabled());
        assertTrue(MonitorSettings.fromValues(Map.of()).enabled());
    }
}
