package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The stored counter: a bare number as written before claims, or the next free index and a claim. */
class InfinispanIndexAllocatorTest {

    @Test
    void aCounterWrittenBeforeClaimsIsStillRead() {
        assertEquals(4096L, InfinispanIndexAllocator.next(4096L));
    }

    @Test
    void aCounterWithAClaimIsReadAsItsIndex() {
        assertEquals(4096L, InfinispanIndexAllocator.next("4096 -5f3a9c"));
        assertEquals(0L, InfinispanIndexAllocator.next("0 1"));
    }
}
