package org.multiprocess4j.internal.queue;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue's own words, as a pool's collector relies on them while its workers warm up. */
class QueueCoreTest {

    /** Bit 0 of an event count word: someone may sleep on it, so the next change must wake it. */
    private static final int SLEEPERS = 1;

    @Test
    void aTakeIfFreeNeitherWaitsNorLeavesAPutterAnybodyToWake() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(QueueCore.HEADER + 4096, QueueCore.ALIGNMENT);
            QueueCore queue = new QueueCore(block, 1, 0, 1, true, () -> "test queue");
            long start = System.nanoTime();
            assertNull(queue.takeIfFree(), "empty: null");
            assertEquals(0, block.get(JAVA_INT, QueueCore.PUT_COUNT) & SLEEPERS, "no sleeper announced");
            queue.put(new byte[] {1, 2}, Long.MAX_VALUE, false);
            queue.put(new byte[] {3}, Long.MAX_VALUE, false);
            assertArrayEquals(new byte[] {1, 2}, queue.takeIfFree(), "oldest first");
            assertArrayEquals(new byte[] {3}, queue.takeIfFree());
            assertNull(queue.takeIfFree());
            assertEquals(0, block.get(JAVA_INT, QueueCore.PUT_COUNT) & SLEEPERS);
            assertEquals(0, queue.count());
            long tookMillis = (System.nanoTime() - start) / 1_000_000;

            // What it is contrasted with: a take that waits announces itself, and the next put has to wake it.
            assertNull(queue.take(1_000_000, false));
            assertEquals(SLEEPERS, block.get(JAVA_INT, QueueCore.PUT_COUNT) & SLEEPERS, "a sleeper announced");
            assertTrue(tookMillis < 1_000, "no call waited: " + tookMillis + " ms");
        }
    }
}
