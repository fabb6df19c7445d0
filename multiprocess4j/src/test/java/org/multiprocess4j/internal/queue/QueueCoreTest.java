package org.multiprocess4j.internal.queue;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.internal.sync.LockLayout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
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

    @Test
    void aTakeIfFreeLeavesALiveHoldersLockAloneAndTakesOverADeadOnes() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(QueueCore.HEADER + 4096, QueueCore.ALIGNMENT);
            QueueCore queue = new QueueCore(block, 1, 0, 1, true, () -> "test queue");
            queue.put(new byte[] {7}, Long.MAX_VALUE, false);
            long live = holder(ProcessHandle.current().parent().orElseThrow().pid());
            block.set(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER, live);
            for (int i = 0; i < 100; i++) {
                assertNull(queue.takeIfFree(), "a live process holds the lock");
            }
            assertEquals(live, block.get(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER), "and keeps it");

            Process ended = new ProcessBuilder("true").start();
            long dead = holder(ended.pid()) ^ 1; // its start time, even if the pid is reused, no longer matches
            ended.waitFor();
            block.set(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER, dead);
            byte[] taken = null;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (taken == null && System.nanoTime() < deadline) {
                taken = queue.takeIfFree(); // null until its next look at the holder, at most 20 ms on
                Thread.onSpinWait();
            }
            assertArrayEquals(new byte[] {7}, taken, "taken over from the dead holder");
            assertEquals(0, block.get(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER), "and released");
        }
    }

    /** The lock word of a holder that is process {@code pid}, as it started. */
    private static long holder(long pid) throws Exception {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        long startTime = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        return pid << 32 | (startTime & 0xFFFF_FFFFL);
    }
}
