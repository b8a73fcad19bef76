package dev.agentid.issuer.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An auth_req_id that began with '-' (one in 64) was taken for an option by {@code agentctl approvals show|approve|deny
 * ID}: "-oAb3..." parsed as {@code -o Ab3...}, and the command said "Missing required parameter: 'ID'" (it failed
 * {@code OperationsCommandsTest} in CI).
 */
class AuthReqIdTest {

    @Test
    void anIdThatWouldBeginWithADashIsDrawnAgain() {
        int[] draws = {0};
        Random scripted = new Random() {
            @Override
            public void nextBytes(byte[] bytes) {
                Arrays.fill(bytes, (byte) 0);
                if (draws[0]++ == 0) {
                    bytes[0] = (byte) 0xF8;   // the first six bits 111110: 62, base64url's '-'
                }
            }
        };
        assertEquals("AAAAAAAAAAAAAAAAAAAAAA", Approvals.newId(scripted));
        assertEquals(2, draws[0]);
    }

    @Test
    void idsAreSixteenRandomBytesInBase64urlAndNeverBeginWithADash() {
        Random random = new SecureRandom();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {   // about 312 of them began with '-' before
            String id = Approvals.newId(random);
            assertEquals(22, id.length(), id);
            assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);
            assertFalse(id.startsWith("-"), id);
            ids.add(id);
        }
        assertEquals(20_000, ids.size());
    }
}
