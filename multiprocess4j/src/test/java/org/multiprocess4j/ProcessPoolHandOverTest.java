package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task handed to a worker while another runs there: the Future contract (a task cancelled before it started never
 * runs; shutdownNow returns what never started), no task waiting behind a blocked one while a worker idles, and no
 * task failed for another's cancel. Only map and starmap chunks are queued behind a running chunk.
 */
class ProcessPoolHandOverTest {

    static long pid() {
        return ProcessHandle.current().pid();
    }

    /** Says it started, then waits (at most 60 s) for {@code go}; 1 when it came. */
    static int startAndWait(ProcessEvent started, ProcessEvent go) throws InterruptedException {
        started.set();
        return go.await(Duration.ofSeconds(60)) ? 1 : 0;
    }

    static int mark(IntValue ran) {
        ran.set(1);
        return 1;
    }

    static int markAndHang(IntValue ran) throws InterruptedException {
        ran.set(1);
        Thread.sleep(600_000);
        return 0;
    }

    /** A pool of {@code workers} workers, each ready (its first result read). */
    private static ProcessPool readyPool(int workers) throws Exception {
        ProcessPool pool = ProcessPool.create(workers);
        ProcessEvent gate = ProcessEvent.create();
        ProcessEvent ignored = ProcessEvent.create();
        List<Future<Integer>> warm = new java.util.ArrayList<>();
        for (int i = 0; i < workers; i++) { // one to each worker: each idle one gets one
            warm.add(pool.submit(() -> startAndWait(ignored, gate)));
        }
        gate.set();
        for (Future<Integer> f : warm) {
            assertEquals(1, f.get(60, TimeUnit.SECONDS));
        }
        return pool;
    }

    @FunctionalInterface
    private interface PoolBody {
        void run(ProcessPool pool) throws Exception;
    }

    /** Runs {@code body} with a ready pool of {@code workers}, then stops the pool, whatever happened. */
    private static void withReadyPool(int workers, PoolBody body) throws Exception {
        ProcessPool pool = readyPool(workers);
        try {
            body.run(pool);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    /** A task running in its worker until {@code go} is set, and a flag for a task behind it to set. */
    private record Busy(ProcessEvent go, Future<Integer> task, IntValue ran) {
    }

    private static Busy busy(ProcessPool pool) throws Exception {
        ProcessEvent go = ProcessEvent.create();
        return new Busy(go, running(pool, go), SharedCTypes.rawValue(CType.c_int, 0));
    }

    /** Submits a task that runs until {@code go} is set, and returns once it runs in its worker. */
    private static Future<Integer> running(ProcessPool pool, ProcessEvent go) throws Exception {
        ProcessEvent started = ProcessEvent.create();
        Future<Integer> f = pool.submit(() -> startAndWait(started, go));
        assertTrue(started.await(Duration.ofSeconds(60)), "the task never started");
        return f;
    }

    /** Future.cancel: a task cancelled before it started never runs. */
    @Test
    void aTaskCancelledWhileQueuedInABusyWorkerNeverRuns() throws Exception {
        withReadyPool(1, pool -> {
            Busy b = busy(pool);
            ProcessEvent go = b.go();
            Future<Integer> busy = b.task();
            IntValue ran = b.ran();
            Future<Integer> queued = pool.submit(() -> mark(ran)); // handed to the busy worker, behind the other
            boolean cancelled = queued.cancel(false); // true promises it never runs
            go.set();
            assertEquals(1, busy.get(60, TimeUnit.SECONDS));
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS)); // runs after the queued one's turn
            assertTrue(!cancelled || ran.get() == 0, "a task cancelled before it started ran anyway");
        });
    }

    @Test
    void aQueuedTaskCancelledWithInterruptDoesNotTakeItsWorkerForEver() throws Exception {
        withReadyPool(1, pool -> {
            Busy b = busy(pool);
            ProcessEvent go = b.go();
            Future<Integer> busy = b.task();
            IntValue ran = b.ran();
            Future<Integer> queued = pool.submit(() -> markAndHang(ran));
            boolean cancelled = queued.cancel(true);
            go.set();
            assertEquals(1, busy.get(60, TimeUnit.SECONDS));
            pool.shutdown();
            assertTrue(!cancelled || pool.awaitTermination(20, TimeUnit.SECONDS),
                    "shutdown never ends: the worker runs the cancelled task (ran=" + ran.get() + ")");
        });
    }

    /** shutdownNow: "halts the processing of waiting tasks, and returns a list of the tasks that were awaiting". */
    @Test
    void shutdownNowDoesNotRunATaskQueuedInAWorker() throws Exception {
        withReadyPool(1, pool -> {
            Busy b = busy(pool);
            ProcessEvent go = b.go();
            Future<Integer> busy = b.task();
            IntValue ran = b.ran();
            Future<Integer> queued = pool.submit(() -> mark(ran));
            List<Runnable> never = pool.shutdownNow();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
            assertTrue(busy.isDone());
            assertEquals(0, ran.get(), "after shutdownNow, the queued task ran in a replacement worker (returned: "
                    + never.contains(queued) + ", done: " + queued.isDone() + ")");
            assertTrue(never.contains(queued), "a task that never started is returned by shutdownNow");
        });
    }

    /**
     * Two workers; P waits for S; Q runs a while. S is submitted third and queued behind P although the other
     * worker goes idle as soon as Q ends: S must go to that worker, or P and S wait for each other.
     */
    @Test
    void aTaskQueuedBehindABlockedOneRunsWhenAnotherWorkerIsFree() throws Exception {
        withReadyPool(2, pool -> {
            ProcessEvent e = ProcessEvent.create();
            ProcessEvent pStarted = ProcessEvent.create();
            ProcessEvent qGo = ProcessEvent.create();
            Future<Integer> p = pool.submit(() -> startAndWait(pStarted, e)); // worker 0
            Future<Integer> q = running(pool, qGo); // worker 1
            Future<Integer> s = pool.submit(() -> {
                e.set();
                return 2;
            });
            qGo.set();
            assertEquals(1, q.get(60, TimeUnit.SECONDS)); // worker 1 is idle from now on
            assertEquals(2, s.get(15, TimeUnit.SECONDS), "S waits behind P in worker 0 while worker 1 idles");
            assertEquals(1, p.get(60, TimeUnit.SECONDS));
        });
    }

    /**
     * cancel(true) of a task whose result is on its way (the worker finished it; the collector has not read the
     * result yet: here it waits for the pool's monitor, as it would behind a GC pause or on a busy CPU) kills the
     * worker; another task, neither cancelled nor timed out, must not fail for it.
     */
    @Test
    void aLateCancelOfAFinishedTaskFailsNoOtherTask() throws Exception {
        withReadyPool(1, pool -> {
            ProcessEvent aGo = ProcessEvent.create();
            ProcessEvent xStarted = ProcessEvent.create();
            ProcessEvent xGo = ProcessEvent.create();
            Future<Integer> a;
            Future<Integer> x;
            synchronized (pool) { // the collector cannot complete anything meanwhile
                ProcessEvent aStarted = ProcessEvent.create();
                a = pool.submit(() -> startAndWait(aStarted, aGo));
                assertTrue(aStarted.await(Duration.ofSeconds(60)), "a never started");
                x = pool.submit(() -> startAndWait(xStarted, xGo)); // waits in this JVM: a is no chunk
                aGo.set(); // a ends in the worker; its result waits for the collector
                assertTrue(a.cancel(true), "a's result is not read yet: its future is not done");
            }
            xGo.set();
            try {
                assertEquals(1, x.get(60, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                throw new AssertionError("x failed though nobody cancelled it and it has no timeout: " + e.getCause(),
                        e);
            }
        });
    }

    /** Item 0 waits (at most 60 s) for item 2, which sets {@code e}; 0 when it came, -1 when not. */
    static int waitForTheLast(Integer item, ProcessEvent e) {
        if (item == 0) {
            try {
                return e.await(Duration.ofSeconds(60)) ? 0 : -1;
            } catch (InterruptedException x) {
                return -2;
            }
        }
        if (item == 2) {
            e.set();
        }
        return item;
    }

    /**
     * Two workers, three chunks: chunk 2 is queued behind chunk 0, which waits for it. When the other worker goes
     * idle, it takes chunk 2 back from the first worker's queue and runs it: no chunk is stuck behind another.
     */
    @Test
    void aChunkQueuedBehindOneThatWaitsForItRunsOnTheWorkerThatGoesIdle() throws Exception {
        withReadyPool(2, pool -> {
            ProcessEvent e = ProcessEvent.create();
            assertEquals(List.of(0, 1, 2), pool.map(item -> waitForTheLast(item, e), List.of(0, 1, 2), 1));
        });
    }

    /** Item 0 says it started and waits (killed meanwhile); any other marks that it ran. */
    static int waitUnlessMarking(Integer item, ProcessEvent started, IntValue ran) {
        if (item == 0) {
            started.set();
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(600));
        }
        ran.set(1);
        return item;
    }

    @Test
    void shutdownNowReturnsAChunkQueuedBehindTheRunningOneAndRunsItNowhere() throws Exception {
        withReadyPool(1, pool -> {
            ProcessEvent started = ProcessEvent.create();
            IntValue ran = SharedCTypes.rawValue(CType.c_int, 0);
            Thread mapper = Thread.ofPlatform().daemon().start(() -> {
                try {
                    pool.map(item -> waitUnlessMarking(item, started, ran), List.of(0, 1), 1);
                } catch (InterruptedException | ExecutionException | java.util.concurrent.CancellationException ended) {
                    // shutdownNow: chunk 0 fails, chunk 1 is cancelled
                }
            });
            try {
                assertTrue(started.await(Duration.ofSeconds(60)), "chunk 0 never started");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (mapper.getState() != Thread.State.WAITING) { // map has handed both chunks out, and waits
                    assertTrue(System.nanoTime() < deadline, "map never waited for its chunks: " + mapper.getState());
                    Thread.onSpinWait();
                }
                List<Runnable> never = pool.shutdownNow(); // chunk 1 is in the worker's queue, behind chunk 0
                assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
                assertEquals(1, never.size(), "the queued chunk is returned as never started: " + never);
                assertEquals(0, ran.get(), "the queued chunk ran after shutdownNow");
            } finally {
                mapper.interrupt();
            }
        });
    }
}
