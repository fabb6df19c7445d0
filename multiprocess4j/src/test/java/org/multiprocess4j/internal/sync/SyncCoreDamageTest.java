package org.multiprocess4j.internal.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A semaphore, an event or a barrier whose memory something else wrote over (a stray write, a hostile process):
 * a clear error that frees the block's lock, never a count cut to an int or permits that cannot be.
 */
class SyncCoreDamageTest {

    private static SyncCore core(MemorySegment block, int kind, long value, long bound) {
        return new SyncCore(block, 1, 0, 1, kind, value, bound, true, () -> "test object");
    }

    private static void assertDamaged(Executable operation, String what, MemorySegment block) {
        IllegalStateException e = assertThrows(IllegalStateException.class, operation, what);
        assertTrue(e.getMessage().startsWith("the shared memory is damaged"), what + ": " + e.getMessage());
        assertEquals(0, block.get(JAVA_LONG, SyncLayout.LOCK + LockLayout.OWNER), what + ": the lock stays held");
    }

    @Test
    void statesNoObjectCanBeInAreRefused() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(SyncLayout.SIZE, SyncLayout.ALIGNMENT);
            SyncCore semaphore = core(block, SyncLayout.KIND_SEMAPHORE, 3, -1);
            for (long value : new long[] {1L << 32, -5, Long.MIN_VALUE}) {
                block.set(JAVA_LONG, SyncLayout.VALUE, value);
                assertDamaged(() -> semaphore.acquirePermit(0, false), "permits " + value, block);
                assertDamaged(semaphore::value, "permits " + value + ", read without the lock", block);
                assertDamaged(() -> semaphore.releasePermits(1), "permits " + value + ", released", block);
            }
            block.set(JAVA_LONG, SyncLayout.VALUE, 3);
            assertTrue(semaphore.acquirePermit(0, false), "mended, it works again");
            block.set(JAVA_LONG, SyncLayout.HOLDERS + 8, (1L << 32) + 7); // this process's entry
            assertDamaged(() -> semaphore.releasePermits(1), "a holder count past an int", block);

            block.fill((byte) 0);
            SyncCore event = core(block, SyncLayout.KIND_EVENT, 0, -1);
            block.set(JAVA_LONG, SyncLayout.VALUE, 7);
            assertDamaged(() -> event.setFlag(false), "a flag of 7", block);

            block.fill((byte) 0);
            SyncCore barrier = core(block, SyncLayout.KIND_BARRIER, 0, 2);
            block.set(JAVA_LONG, SyncLayout.VALUE, 2);
            assertDamaged(barrier::isBroken, "as many arrived as there are parties, in a round not over", block);
            block.set(JAVA_LONG, SyncLayout.VALUE, 0);
            block.set(JAVA_LONG, SyncLayout.BOUND, 0);
            assertDamaged(() -> barrier.awaitBarrier(0), "no parties", block);
        }
    }
}
