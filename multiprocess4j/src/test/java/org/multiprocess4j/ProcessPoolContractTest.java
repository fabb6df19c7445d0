package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool as {@code ExecutorService} documents one: the edges its javadoc and the JDK's promise. */
class ProcessPoolContractTest {

    @Test
    void theExecutorServiceEdges() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            // submit(Runnable, result): the very object given, which never travels.
            Runnable nothing = (Runnable & Serializable) () -> { };
            List<String> result = new ArrayList<>();
            assertSame(result, pool.submit(nothing, result).get(60, TimeUnit.SECONDS));
            Object local = new Object();
            assertSame(local, pool.submit(nothing, local).get(60, TimeUnit.SECONDS));

            List<Callable<Long>> withNull = new ArrayList<>();
            withNull.add((ProcessPool.Task<Long>) ProcessPoolTest::pid);
            withNull.add(null);
            assertThrows(NullPointerException.class, () -> pool.invokeAll(withNull));
            assertThrows(NullPointerException.class, () -> pool.invokeAll(withNull, 1, TimeUnit.SECONDS));

            assertFalse(pool.awaitTermination(Long.MIN_VALUE, TimeUnit.NANOSECONDS), "a past deadline");
            assertFalse(pool.awaitTermination(-Long.MAX_VALUE, TimeUnit.DAYS));
            assertFalse(pool.awaitTermination(0, TimeUnit.SECONDS));
        }
    }

    static void blockUntilSet(IntValue go) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (go.getVolatile() == 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
    }

    @Test
    void shutdownNowCancelsATaskItsWorkerWasHandedButNeverTook() throws Exception {
        try (IntValue go = SharedCTypes.rawValue(CType.c_int, 0);
             IntValue ran = SharedCTypes.rawValue(CType.c_int, 0)) {
            // The initializer holds the worker, so the task stays in its queue, untaken, when the worker is killed.
            ProcessPool pool = ProcessPool.builder().workers(1).initializer(ProcessPoolContractTest::blockUntilSet, go)
                    .build();
            Future<Integer> task = pool.submit(() -> {
                ran.set(1);
                return 1;
            });
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
            assertThrows(CancellationException.class, task::get, "it never ran: cancelled, not failed");
            assertTrue(task.isCancelled());
            assertEquals(0, ran.get());
            pool.close();
        }
    }
}
