package dev.agentid.issuer.store;

import static dev.agentid.issuer.store.Await.await;
import static dev.agentid.issuer.store.Await.eventually;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfinispanReplayStoreTest extends ReplayStoreContract {

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
    protected ReplayStore cache() {
        return state.replay();
    }

    @Test
    void keyIsForgottenWhenTheGraceAfterExpiryEnds() {
        Instant exp = clock.now().minus(InfinispanReplayStore.GRACE).plusMillis(300);
        assertTrue(await(cache().firstUse("jti-1", exp)));
        assertFalse(await(cache().firstUse("jti-1", exp)));

        // once the lifespan (expiry + grace) has passed, the key is unknown again
        assertTrue(eventually(Duration.ofMillis(2500), () -> await(cache().firstUse("jti-1", exp))));
    }
}
