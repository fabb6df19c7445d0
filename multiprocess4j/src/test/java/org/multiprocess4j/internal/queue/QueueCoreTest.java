package org.multiprocess4j.internal.queue;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.internal.sync.LockLayout;
import org.multiprocess4j.testing.Jvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** A close refuses while threads wait: one asleep on the put count (a take's first wait) counts too. */
    @Test
    void aThreadAsleepOnACountWordCountsAsAWaiter() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(QueueCore.HEADER + 4096, QueueCore.ALIGNMENT);
            QueueCore queue = new QueueCore(block, 1, 0, 1, true, () -> "test queue");
            Thread taker = Thread.ofPlatform().start(() -> {
                try {
                    queue.take(60_000_000_000L, false);
                } catch (InterruptedException impossible) {
                    throw new AssertionError(impossible);
                }
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            while ((block.get(JAVA_INT, QueueCore.PUT_COUNT) & SLEEPERS) == 0) { // announced: about to sleep there
                assertTrue(System.nanoTime() < deadline, "the taker never slept");
                Thread.onSpinWait();
            }
            assertEquals(1, queue.localWaiters(), "the sleeper is a waiter");
            queue.put(new byte[] {1}, Long.MAX_VALUE, false);
            taker.join();
            assertEquals(0, queue.localWaiters());
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

            long dead = endedHolder();
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

    /**
     * A queue whose memory something else wrote over (a stray write, a hostile process): every operation says it is
     * damaged and frees the lock, none waits for ever holding it (as a count again of records that do not advance
     * would), reads out of bounds or reports a count that cannot be.
     */
    @Test
    void damagedMemoryIsAClearErrorAndNeverAWaitUnderTheLock() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment block = arena.allocate(QueueCore.HEADER + 1024, QueueCore.ALIGNMENT);
            QueueCore queue = new QueueCore(block, 1, 0, 1, true, () -> "test queue");
            queue.put(new byte[] {1, 2, 3}, Long.MAX_VALUE, false);
            queue.put(new byte[] {4}, Long.MAX_VALUE, false);
            long lengthWord = QueueCore.HEADER; // the first record's length, at ring position 0
            for (int badLength : new int[] {-4, 0, 2000, Integer.MAX_VALUE}) {
                block.set(JAVA_INT, lengthWord, badLength);
                block.set(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER, endedHolder()); // died inside an update
                assertDamaged(() -> queue.take(0, false), "length " + badLength + ", counted again at take");
                assertEquals(0, block.get(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER), "the lock is free again");
                assertDamaged(queue::snapshot, "length " + badLength + ", read by a snapshot");
                assertDamaged(() -> queue.drain(10, m -> { }), "length " + badLength + ", drained");
            }
            block.set(JAVA_INT, lengthWord, 3);
            assertEquals(2, queue.snapshot().size(), "mended, it reads again");
            long tail = block.get(JAVA_LONG, QueueCore.TAIL);
            block.set(JAVA_LONG, QueueCore.TAIL, 1L << 60);
            assertDamaged(queue::free, "a tail past the ring");
            block.set(JAVA_LONG, QueueCore.TAIL, tail);
            block.set(JAVA_LONG, QueueCore.HEAD, -8);
            assertDamaged(() -> queue.take(0, false), "a head before the ring");
            block.set(JAVA_LONG, QueueCore.HEAD, 0);
            block.set(JAVA_LONG, QueueCore.COUNT, -5);
            assertDamaged(queue::count, "a negative count");
            block.set(JAVA_LONG, QueueCore.COUNT, 2);
            assertArrayEquals(new byte[] {1, 2, 3}, queue.take(0, false));
            assertEquals(1, queue.count());
        }
    }

    private static void assertDamaged(org.junit.jupiter.api.function.Executable operation, String what) {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                operation, what);
        assertTrue(e.getMessage().startsWith("the queue's memory is damaged"), what + ": " + e.getMessage());
    }

    @Test
    void aTakeIfFreeThatMeetsAHolderLinksNoNativeCall() {
        // The pool's collector polls so while cold workers start: in a JVM new to waiting, the kernel's exit
        // notices (pidfd, epoll) would cost it tens of milliseconds of linking, with a result waiting.
        String loaded = Jvm.runWith(java.util.List.of("-Xlog:class+load"), Collision.class);
        assertTrue(loaded.contains("collided"), loaded);
        assertFalse(loaded.contains("LinuxProcessExits"), "the exit notices were linked");
    }

    /** Meets a live holder, then a dead one, with takeIfFree: what a collector does while workers warm up. */
    static final class Collision {
        public static void main(String[] args) throws Exception {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment block = arena.allocate(QueueCore.HEADER + 4096, QueueCore.ALIGNMENT);
                QueueCore queue = new QueueCore(block, 1, 0, 1, true, () -> "test queue");
                queue.put(new byte[] {7}, Long.MAX_VALUE, false);
                block.set(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER,
                        holder(ProcessHandle.current().parent().orElseThrow().pid()));
                if (queue.takeIfFree() != null) {
                    throw new AssertionError("took from under a live holder");
                }
                block.set(JAVA_LONG, QueueCore.LOCK + LockLayout.OWNER, endedHolder());
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (queue.takeIfFree() == null) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("never took over from a dead holder");
                    }
                    Thread.onSpinWait();
                }
                System.out.println("collided");
            }
        }
    }

    /**
     * The lock word of a holder that has ended: a process read while it runs (once it has ended, its /proc entry
     * may be gone), then ended; its start time is altered too, so that a reuse of its pid cannot match it.
     */
    private static long endedHolder() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            return holder(sleeper.pid()) ^ 1;
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
    }

    /** The lock word of a holder that is process {@code pid}, as it started. */
    private static long holder(long pid) throws Exception {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        long startTime = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        return pid << 32 | (startTime & 0xFFFF_FFFFL);
    }
}
