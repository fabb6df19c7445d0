package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Sleeping on a futex word without starving virtual threads: a platform thread sleeps in the kernel itself; a
 * virtual thread hands the sleep to a platform helper and parks, so that it never pins its carrier in a native
 * call. Only one thread per lock and JVM sleeps at a time (the lock's local gate sees to it), so the helpers number
 * at most the locks under contention.
 */
final class Waiting {
    private static final Platform PLATFORM = Platform.current();

    private Waiting() {
    }

    /** Helpers for virtual threads, created on first use. */
    private static final class Helpers {
        static final ExecutorService POOL = Executors.newCachedThreadPool(
                Thread.ofPlatform().daemon().name("multiprocess4j-futex-", 0).factory());
    }

    /**
     * Sleeps while the futex word still holds {@code expected}, at most {@code nanos}; returns early on a wake-up,
     * a signal, or (for a virtual thread) an interrupt, so callers loop and re-check.
     */
    static void sleep(MemorySegment word, int expected, long nanos) {
        if (!Thread.currentThread().isVirtual()) {
            PLATFORM.futexWait(word, expected, nanos);
            return;
        }
        Future<?> wait = Helpers.POOL.submit(() -> PLATFORM.futexWait(word, expected, nanos));
        try {
            wait.get();
        } catch (InterruptedException e) {
            wait.cancel(false);
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("futex wait failed", e.getCause());
        }
    }

    static void wake(MemorySegment word, int count) {
        PLATFORM.futexWake(word, count);
    }
}
