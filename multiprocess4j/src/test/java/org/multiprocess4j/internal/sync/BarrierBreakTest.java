package org.multiprocess4j.internal.sync;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A barrier party that times out, or is interrupted, while another holds the barrier's bookkeeping lock past its
 * grace (a stopped or starved process, played here by a thread holding the lock through a view of its own): it
 * gets its exception on time, and the round breaks for the parties waiting in it once the lock is free.
 */
class BarrierBreakTest {
    private static final long ARENA_ID = 42;

    @Test
    void aPartyThatCouldNotTakeTheLockBreaksTheRoundOnceItIsFree() throws Exception {
        for (boolean interrupted : new boolean[]{true, false}) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment block = arena.allocate(SyncLayout.SIZE, SyncLayout.ALIGNMENT);
                SyncCore barrier = new SyncCore(block, ARENA_ID, interrupted ? 0 : 1, 0, SyncLayout.KIND_BARRIER, 0, 2,
                        true, () -> "test barrier");
                CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> {
                    try {
                        return barrier.awaitBarrier(TimeUnit.SECONDS.toNanos(60));
                    } catch (Exception e) {
                        return e;
                    }
                }, runnable -> Thread.ofPlatform().start(runnable));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (barrier.value() == 0) {
                    assertTrue(System.nanoTime() < deadline, "the first party never arrived");
                    Thread.onSpinWait();
                }
                CountDownLatch held = new CountDownLatch(1);
                CountDownLatch letGo = new CountDownLatch(1);
                LockCore otherView = new LockCore(block.asSlice(SyncLayout.LOCK, LockLayout.SIZE), ARENA_ID,
                        interrupted ? 0 : 1, 0, false, false, () -> "test barrier");
                Thread holder = Thread.ofPlatform().start(() -> {
                    try {
                        otherView.acquire(Long.MAX_VALUE, false);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    held.countDown();
                    try {
                        letGo.await();
                    } catch (InterruptedException ignored) {
                        // let go
                    }
                    otherView.release();
                });
                held.await();
                long start = System.nanoTime();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                    assertThrows(InterruptedException.class, () -> barrier.awaitBarrier(Long.MAX_VALUE));
                } else {
                    assertThrows(TimeoutException.class, () -> barrier.awaitBarrier(TimeUnit.MILLISECONDS.toNanos(5)));
                }
                long tookMillis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(tookMillis < 5_000, "the exception came " + tookMillis + " ms late");
                assertFalse(waiting.isDone(), "nothing can break the round while the lock is held");
                letGo.countDown();
                holder.join();
                assertInstanceOf(BrokenBarrierException.class, waiting.get(30, TimeUnit.SECONDS),
                        (interrupted ? "interrupted" : "timed out") + ": the round broke once the lock was free");
            }
        }
    }
}
