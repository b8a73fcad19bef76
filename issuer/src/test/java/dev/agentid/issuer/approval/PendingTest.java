package dev.agentid.issuer.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Every version of a request is a value no other writer writes: the compare-and-set that moves a request on must not
 * be won twice by a write Infinispan retries after a topology change (see {@link Pending}).
 */
class PendingTest {

    private static final Pending APPROVED = Pending.decode(new JsonObject()
            .put("id", "req-1").put("state", Pending.State.APPROVED.name()).put("client", "bravo")
            .put("decided", 1_000L).encode());

    @Test
    void twoRedemptionsOfOneApprovalInTheSameMillisecondAreDifferentValues() {
        Instant now = Instant.ofEpochMilli(2_000L);
        Pending first = APPROVED.redeemed(now);
        Pending second = APPROVED.redeemed(now);
        assertNotEquals(first.encode(), second.encode());
        assertEquals(Pending.State.REDEEMED, first.state());
        assertEquals(Pending.State.REDEEMED, Pending.decode(second.encode()).state());
    }

    @Test
    void twoDecisionsOrPollsAtTheSameInstantAreDifferentValues() {
        Instant now = Instant.ofEpochMilli(3_000L);
        assertNotEquals(APPROVED.decided(Pending.State.DENIED, "alice", now).encode(),
                APPROVED.decided(Pending.State.DENIED, "alice", now).encode());
        assertNotEquals(APPROVED.decided(Pending.State.EXPIRED, null, now).encode(),
                APPROVED.decided(Pending.State.EXPIRED, null, now).encode());
        assertNotEquals(APPROVED.polled(now, 5).encode(), APPROVED.polled(now, 5).encode());
        assertEquals(5, APPROVED.polled(now, 5).intervalSeconds());
    }
}
