package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ProcessPool: tasks in worker JVMs, as an ExecutorService, surviving the death of its workers. */
class ProcessPoolTest {

    static long pid() {
        return ProcessHandle.current().pid();
    }

    static double sum(DoubleArray a, long from, long to) {
        double s = 0;
        for (long i = from; i < to; i++) {
            s += a.get(i);
        }
        return s;
    }

    @Test
    void tasksRunInWorkerJvmsAndSharedObjectsTravelAsHandles() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2);
             DoubleArray data = SharedCTypes.rawArray(CType.c_double, 10_000)) {
            for (int i = 0; i < 10_000; i++) {
                data.set(i, i);
            }
            Future<Long> where = pool.submit(ProcessPoolTest::pid);
            assertTrue(pool.workerPids().contains(where.get(60, TimeUnit.SECONDS)), "ran in a worker");
            List<Callable<Double>> parts = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                long from = p * 2500L;
                parts.add((ProcessPool.Task<Double>) () -> sum(data, from, from + 2500));
            }
            double total = 0;
            for (Future<Double> f : pool.invokeAll(parts)) {
                total += f.get();
            }
            assertEquals(9999.0 * 10_000 / 2, total);
            assertEquals(42, pool.submit(() -> 6 * 7).get(60, TimeUnit.SECONDS));
        }
    }

    static int fail(String message) {
        throw new IllegalArgumentException(message);
    }

    @Test
    void aTasksExceptionArrivesWithItsStackTraceFromTheWorker() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> fail("boom")).get(60, TimeUnit.SECONDS));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertEquals("boom", e.getCause().getMessage());
            assertTrue(java.util.Arrays.stream(e.getCause().getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("fail")), "the worker's stack trace");
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS), "the worker goes on");
        }
    }

    static int dieHard() {
        Runtime.getRuntime().halt(3);
        return 0;
    }

    static int hang(IntValue started) throws InterruptedException {
        started.set(1);
        Thread.sleep(600_000);
        return 0;
    }

    @Test
    void aWorkerThatDiesFailsOnlyItsTaskAndIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            Set<Long> before = new HashSet<>(pool.workerPids());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolTest::dieHard).get(60, TimeUnit.SECONDS));
            ProcessPool.WorkerDiedException died = assertInstanceOf(ProcessPool.WorkerDiedException.class,
                    e.getCause());
            assertEquals(3, died.exitCode());
            assertTrue(before.contains(died.pid()), e.getCause().getMessage());
            List<Future<Long>> after = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                after.add(pool.submit(ProcessPoolTest::pid));
            }
            for (Future<Long> f : after) {
                assertTrue(f.get(60, TimeUnit.SECONDS) > 0, "the pool goes on with a replacement");
            }
            assertTrue(!pool.workerPids().contains(died.pid()), "the dead worker was replaced");

            IntValue started = SharedCTypes.rawValue(CType.c_int, 0);
            Future<Integer> hung = pool.submit(() -> hang(started));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (started.getVolatile() == 0) {
                assertTrue(System.nanoTime() < deadline, "the task never started");
                Thread.sleep(2);
            }
            Set<Long> running = new HashSet<>(pool.workerPids());
            assertTrue(hung.cancel(true));
            assertThrows(CancellationException.class, hung::get);
            assertEquals(5, pool.submit(() -> 5).get(60, TimeUnit.SECONDS), "the pool goes on after a cancel");
            long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (new HashSet<>(pool.workerPids()).equals(running)) {
                assertTrue(System.nanoTime() < deadline2, "the cancelled task's worker was not replaced");
                Thread.sleep(5);
            }
        }
    }

    static int square(int x) {
        if (x == -1) {
            throw new IllegalStateException("no square for -1");
        }
        return x * x;
    }

    @Test
    void mapAndImapRunChunksInWorkersAndKeepOrderWhereAsked() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            List<Integer> items = java.util.stream.IntStream.range(0, 1000).boxed().toList();
            List<Integer> squares = items.stream().map(ProcessPoolTest::square).toList();
            assertEquals(squares, pool.map(ProcessPoolTest::square, items, 50));
            List<Integer> streamed = new ArrayList<>();
            pool.imap(ProcessPoolTest::square, items, 7).forEachRemaining(streamed::add);
            assertEquals(squares, streamed);
            List<Integer> unordered = new ArrayList<>();
            pool.imapUnordered(ProcessPoolTest::square, items, 100).forEachRemaining(unordered::add);
            assertEquals(new HashSet<>(squares), new HashSet<>(unordered));
            assertEquals(1000, unordered.size());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.map(ProcessPoolTest::square, List.of(1, -1, 2), 1));
            assertEquals("no square for -1", e.getCause().getMessage());
            assertThrows(IllegalArgumentException.class, () -> pool.map(ProcessPoolTest::square, items, 0));
            assertEquals(List.of(), pool.map(ProcessPoolTest::square, List.of(), 3));
        }
    }

    @Test
    void shutdownRunsWhatWasSubmittedAndRefusesTheRest() throws Exception {
        ProcessPool pool = ProcessPool.create(2);
        List<Future<Integer>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int n = i;
            all.add(pool.submit(() -> n * n));
        }
        pool.shutdown();
        assertThrows(RejectedExecutionException.class, () -> pool.submit(() -> 1));
        assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS));
        assertTrue(pool.isTerminated());
        int sum = 0;
        for (Future<Integer> f : all) {
            sum += f.get();
        }
        assertEquals(285, sum);
        Object notSerializable = new Object();
        ProcessPool other = ProcessPool.create(1);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> other.submit(() -> notSerializable.hashCode()));
            assertTrue(e.getMessage().contains("cannot be serialized"), e.getMessage());
        } finally {
            other.shutdownNow();
            assertTrue(other.awaitTermination(60, TimeUnit.SECONDS));
        }
    }
}
