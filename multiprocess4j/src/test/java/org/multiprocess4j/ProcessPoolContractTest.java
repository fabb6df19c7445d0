package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool as {@code ExecutorService} documents one: the edges its javadoc and the JDK's promise. */
class ProcessPoolContractTest {

    /** A value whose serialization fails with an Error, as a class's own writeObject may. */
    static final class Unwritable implements Serializable {
        private static final long serialVersionUID = 1L;

        private void writeObject(ObjectOutputStream out) {
            throw new AssertionError("not writable here");
        }
    }

    /** An exception that carries such a value. */
    static final class CarriesUnwritable extends Exception {
        private static final long serialVersionUID = 1L;
        final Unwritable field = new Unwritable();

        CarriesUnwritable(String message) {
            super(message);
        }
    }

    static Object unwritableResult() {
        return new Unwritable();
    }

    static Object throwsWithUnwritable() throws Exception {
        throw new CarriesUnwritable("the original message");
    }

    @Test
    void resultsAndExceptionsWholeOrFailedAndTheExecutorServiceEdges() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            long pid = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS);
            // A serialization that throws an Error fails only its task: the worker goes on.
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolContractTest::unwritableResult).get(60, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            e = assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolContractTest::throwsWithUnwritable).get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("the original message"), e.getCause().getMessage());
            assertEquals(pid, pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS), "the same worker");

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
