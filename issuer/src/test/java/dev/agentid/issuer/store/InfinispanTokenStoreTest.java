package dev.agentid.issuer.store;


import static dev.agentid.issuer.store.Await.await;
import static dev.agentid.issuer.store.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.infinispan.Cache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfinispanTokenStoreTest extends TokenStoreContract {

    @TempDir
    Path dataDir;

    private StateStore state;

    @BeforeEach
    void open() {
        state = StateStore.start(dataDir, clock);
    }

    @AfterEach
    void close() {
        state.close();
    }

    @Override
    protected TokenStore store() {
        return state.tokens();
    }

    /** An expiry whose grace ends {@code millis} from now. */
    private Instant graceEndsIn(long millis) {
        return clock.now().minus(InfinispanTokenStore.GRACE).plusMillis(millis);
    }

    @Test
    void revocationIsDroppedWhenTheGraceAfterExpiryEnds() {
        await(store().revoke("jti-1", "jti-1", graceEndsIn(300)));
        assertEquals(Set.of("jti-1"), await(store().revokedAmong(Set.of("jti-1"))));

        assertTrue(eventually(Duration.ofMillis(2500), () -> await(store().revokedAmong(Set.of("jti-1"))).isEmpty()));
    }

    @Test
    void revokeWhenTheGraceAlreadyEndedThenNothingStored() {
        await(store().revoke("jti-1", "jti-1", graceEndsIn(-1000)));

        assertEquals(Set.of(), await(store().revokedAmong(Set.of("jti-1"))));
    }

}
