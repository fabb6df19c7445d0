package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.ShmDirectory;

import java.time.Duration;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void thePoolWorkersCacheIsTrainedOnTheClassThatMadeThePool() {
        assertEquals(ProcessPoolTest.class.getName(), ProcessPool.maker(), "the nearest class not the library's");
    }

    @Test
    void theRehearsalThatTrainsTheWorkersCacheRunsAWorkersLife() throws Exception {
        Set<String> before = ShmDirectory.entries();
        ProcessPool.rehearse(); // throws when the worker does not say it is ready, or a task does not succeed
        assertEquals(before, ShmDirectory.entries());
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
        Runtime.getRuntime().halt(5);
        return 0;
    }

    /** Asks for more memory than any heap has. */
    static int exhaustMemory() {
        long[][] hoard = new long[64][];
        for (int i = 0; i < hoard.length; i++) {
            hoard[i] = new long[Integer.MAX_VALUE - 8];
        }
        return hoard.length;
    }

    static int hang(IntValue started) throws InterruptedException {
        started.set(1);
        Thread.sleep(600_000);
        return 0;
    }

    /** Submits a task that hangs, and returns once it runs (polling the flag the task sets: a start has no event). */
    private static Future<Integer> hangingTask(ProcessPool pool) throws InterruptedException {
        IntValue started = SharedCTypes.rawValue(CType.c_int, 0);
        Future<Integer> hung = pool.submit(() -> hang(started));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (started.getVolatile() == 0) {
            assertTrue(System.nanoTime() < deadline, "the task never started");
            Thread.sleep(2);
        }
        return hung;
    }

    /** The pids of this JVM's children that are standby JVMs (waiting, or booting, to become a child). */
    private static Set<Long> standbys() {
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().children().forEach(child -> {
            if (child.info().arguments().map(a -> List.of(a).contains("--standby")).orElse(false)) {
                pids.add(child.pid());
            }
        });
        return pids;
    }

    /**
     * A pool's first workers boot no standby behind them (one would boot beside their first tasks, on the same
     * cores); a replacement does, for the replacements after it.
     */
    @Test
    void onlyAReplacementBootsAStandbyBehindIt() throws Exception {
        Set<Long> before = standbys();
        try (ProcessPool pool = ProcessPool.create(2)) {
            assertEquals(5, pool.submit(() -> 5).get(60, TimeUnit.SECONDS));
            // A cold worker's standby would boot 1 s after it started, a warm one's after 50 ms: none may come.
            long quiet = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
            while (System.nanoTime() < quiet) {
                Set<Long> now = standbys();
                now.removeAll(before);
                assertEquals(Set.of(), now, "a standby booted behind a pool's first workers");
                Thread.sleep(20);
            }
            assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolTest::dieHard).get(60, TimeUnit.SECONDS));
            assertTrue(pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS) > 0, "replaced");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                Set<Long> now = standbys();
                now.removeAll(before);
                if (!now.isEmpty()) {
                    break; // booted behind the replacement
                }
                assertTrue(System.nanoTime() < deadline, "no standby booted behind the replacement");
                Thread.sleep(20);
            }
        }
    }

    @Test
    void aWorkerThatDiesFailsOnlyItsTaskAndIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            Set<Long> before = new HashSet<>(pool.workerPids());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolTest::dieHard).get(60, TimeUnit.SECONDS));
            ProcessPool.WorkerDiedException died = assertInstanceOf(ProcessPool.WorkerDiedException.class,
                    e.getCause());
            assertEquals(5, died.exitCode());
            assertTrue(before.contains(died.pid()), e.getCause().getMessage());
            List<Future<Long>> after = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                after.add(pool.submit(ProcessPoolTest::pid));
            }
            for (Future<Long> f : after) {
                assertTrue(f.get(60, TimeUnit.SECONDS) > 0, "the pool goes on with a replacement");
            }
            assertTrue(!pool.workerPids().contains(died.pid()), "the dead worker was replaced");

            Future<Integer> hung = hangingTask(pool);
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

    private static void signal(long pid, String signal) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor());
        if (signal.equals("STOP")) { // delivered asynchronously: wait until the kernel shows it stopped
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!stopped(pid)) {
                assertTrue(System.nanoTime() < deadline, "process " + pid + " never stopped");
                Thread.onSpinWait();
            }
        }
    }

    private static boolean stopped(long pid) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
    }

    /** Chunk 0 says it started and hangs; chunk 1 records the pid of the worker it ran in, and how often. */
    static long hangOrRecord(Integer item, IntValue started, LongArray ranIn) {
        if (item == 0) {
            started.set(1);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(600));
        }
        long pid = ProcessHandle.current().pid();
        ranIn.set(0, pid);
        ranIn.set(1, ranIn.get(1) + 1);
        return pid;
    }

    @Test
    void aChunkQueuedBehindTheRunningOneOfAKilledWorkerRunsElsewhere() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            long first = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS); // the worker is ready
            IntValue started = SharedCTypes.rawValue(CType.c_int, 0);
            LongArray ranIn = SharedCTypes.rawArray(CType.c_long, 2);
            Thread mapper = Thread.currentThread();
            Thread killer = Thread.ofPlatform().start(() -> {
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while ((started.getVolatile() == 0 || mapper.getState() != Thread.State.WAITING)
                            && System.nanoTime() < deadline) {
                        Thread.sleep(2); // a worker's flag in shared memory, and map waiting for its chunks
                    }
                    signal(first, "KILL"); // chunk 1 is in its queue, behind chunk 0
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.map(item -> hangOrRecord(item, started, ranIn), List.of(0, 1), 1));
            killer.join();
            assertEquals(first, assertInstanceOf(ProcessPool.WorkerDiedException.class, e.getCause()).pid());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ranIn.get(1) == 0) {
                assertTrue(System.nanoTime() < deadline, "the queued chunk never ran");
                Thread.sleep(2);
            }
            assertTrue(ranIn.get(0) != first, "the queued chunk ran in the replacement, not in " + first);
            assertEquals(1, ranIn.get(1), "once");
        }
    }

    @Test
    void aTaskHandedToAWorkerKilledBeforeItTookItRunsElsewhere() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            long first = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS); // ready, and idle
            signal(first, "STOP");
            Future<Long> handed = pool.submit(ProcessPoolTest::pid); // sits in the stopped worker's queue
            signal(first, "KILL");
            long second = handed.get(60, TimeUnit.SECONDS);
            assertTrue(second > 0 && second != first, "never started, so run by the replacement: " + second
                    + " (the stopped worker: " + first + ", workers now: " + pool.workerPids() + ")");
        }
    }

    static int square(int x) {
        if (x == -1) {
            throw new IllegalStateException("no square for -1");
        }
        return x * x;
    }

    /** Many threads, platform and virtual, each waiting for its own tasks: every one gets its own outcome. */
    @Test
    void threadsWaitingForTheirTasksEachGetTheirOwnOutcome() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 6; t++) {
                int base = t * 1000;
                Runnable waiter = () -> {
                    try {
                        for (int i = 0; i < 150; i++) {
                            int x = base + i;
                            Future<Integer> f = i % 10 == 0 ? pool.submit(() -> fail("item " + x))
                                    : pool.submit(() -> square(x));
                            if (i % 10 == 0) {
                                ExecutionException e = assertThrows(ExecutionException.class,
                                        () -> f.get(60, TimeUnit.SECONDS));
                                assertEquals("item " + x, e.getCause().getMessage());
                            } else {
                                assertEquals(x * x, i % 2 == 0 ? f.get() : f.get(60, TimeUnit.SECONDS));
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                };
                threads.add(t < 4 ? Thread.ofPlatform().start(waiter) : Thread.ofVirtual().start(waiter));
            }
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(120));
            }
            assertEquals(List.of(), failures);
            Future<Integer> slow = pool.submit(() -> slowSquare(7));
            assertThrows(java.util.concurrent.TimeoutException.class, () -> slow.get(1, TimeUnit.MICROSECONDS));
            assertEquals(49, slow.get(60, TimeUnit.SECONDS));
        }
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
            // imap: hasNext neither waits nor throws; the failed chunk's next() throws, and the rest follow.
            java.util.Iterator<Integer> failing = pool.imap(ProcessPoolTest::square, List.of(1, -1, 2), 1);
            assertTrue(failing.hasNext());
            assertEquals(1, failing.next());
            assertTrue(failing.hasNext());
            RuntimeException failed = assertThrows(RuntimeException.class, failing::next);
            assertEquals("no square for -1", failed.getCause().getCause().getMessage());
            assertTrue(failing.hasNext());
            assertEquals(4, failing.next());
            assertFalse(failing.hasNext());
            assertThrows(java.util.NoSuchElementException.class, failing::next);
            java.util.Iterator<Integer> waited = pool.imap(ProcessPoolTest::slowSquare, List.of(3), 1);
            Thread.currentThread().interrupt();
            RuntimeException interrupted = assertThrows(RuntimeException.class, waited::next);
            assertInstanceOf(InterruptedException.class, interrupted.getCause());
            assertTrue(Thread.interrupted(), "the interrupt is kept");
            assertEquals(9, waited.next(), "a later next() waits again");
            assertThrows(IllegalArgumentException.class, () -> pool.map(ProcessPoolTest::square, items, 0));
            assertEquals(List.of(), pool.map(ProcessPoolTest::square, List.of(), 3));
            // Results of several kinds in one chunk, and one that cannot travel back.
            List<Object> mixed = pool.map(ProcessPoolTest::mixedResult, items, 64);
            assertEquals(items.stream().map(ProcessPoolTest::mixedResult).toList(), mixed);
            ExecutionException unsendable = assertThrows(ExecutionException.class,
                    () -> pool.map(x -> x < 5 ? x : new Object(), items, 10));
            assertTrue(unsendable.getCause().getMessage().contains("cannot be serialized"),
                    unsendable.getCause().getMessage());
            // An item that cannot be sent, in a later chunk: refused at once, and the pool goes on.
            List<Object> unsent = new ArrayList<>(items);
            unsent.add(new Object());
            assertThrows(IllegalArgumentException.class, () -> pool.map(x -> x, unsent, 100));
            assertEquals(squares, pool.map(ProcessPoolTest::square, items, 50));
        }
    }

    static int countThenWait(Integer item, IntValue ran, ProcessEvent gate) {
        ran.incrementAndGet();
        try {
            if (item > 0 && !gate.await(Duration.ofSeconds(60))) {
                throw new IllegalStateException("the gate never opened");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return item;
    }

    @Test
    void closingImapResultsCancelsTheChunksNotStarted() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1);
             IntValue ran = SharedCTypes.rawValue(CType.c_int, 0);
             ProcessEvent gate = ProcessEvent.create()) {
            List<Integer> items = java.util.stream.IntStream.range(0, 100).boxed().toList();
            for (boolean ordered : List.of(true, false)) {
                ran.set(0);
                gate.clear();
                ProcessPool.Results<Integer> results;
                try (ProcessPool.Results<Integer> r = ordered ? pool.imap(x -> countThenWait(x, ran, gate), items, 1)
                        : pool.imapUnordered(x -> countThenWait(x, ran, gate), items, 1)) {
                    results = r;
                    assertEquals(0, r.next(), "item 0 does not wait at the gate");
                    assertTrue(r.hasNext());
                }
                assertFalse(results.hasNext(), "closed");
                assertThrows(java.util.NoSuchElementException.class, results::next);
                results.close(); // again: nothing
                gate.set();
                assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS), "the pool goes on");
                // The worker ran item 1 (at the gate when closed) and perhaps item 2, queued behind it; no other.
                assertTrue(ran.get() >= 2 && ran.get() <= 3, (ordered ? "imap" : "imapUnordered") + " ran "
                        + ran.get() + " of 100 chunks");
            }
        }
    }

    @Test
    void everyResultOfManyOneItemChunksArrivesWhileCallersTakeResultsThemselves() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            pool.submit(() -> 1).get(60, TimeUnit.SECONDS);
            List<Integer> items = java.util.stream.IntStream.range(0, 5000).boxed().toList();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CompletableFuture<Object> beside = new java.util.concurrent.CompletableFuture<>();
            Thread other = Thread.ofPlatform().start(() -> { // a second caller taking results off the same queue
                try {
                    while (!stop.get()) {
                        assertEquals(2, pool.submit(() -> 2).get(60, TimeUnit.SECONDS));
                    }
                    beside.complete("ok");
                } catch (Throwable e) {
                    beside.complete(e);
                }
            });
            java.util.concurrent.CompletableFuture<List<Integer>> streamed = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        List<Integer> out = new ArrayList<>();
                        pool.imap(ProcessPoolTest::square, items, 1).forEachRemaining(out::add);
                        return out;
                    }, runnable -> Thread.ofPlatform().start(runnable));
            try {
                // Each worker's results are completed in the order it put them, whichever thread takes them: a
                // chunk's result taken before the one ahead of it was dropped, and the imap waited for ever.
                assertEquals(items.stream().map(ProcessPoolTest::square).toList(), streamed.get(90, TimeUnit.SECONDS));
                assertEquals(squareList(items), pool.map(ProcessPoolTest::square, items, 1));
            } finally {
                stop.set(true);
                other.join(Duration.ofSeconds(60));
            }
            assertEquals("ok", beside.get(60, TimeUnit.SECONDS));
        }
    }

    private static List<Integer> squareList(List<Integer> items) {
        return items.stream().map(ProcessPoolTest::square).toList();
    }

    static int length(byte[] bytes) {
        return bytes.length;
    }

    @Test
    void aCallersInterruptNeitherLosesATaskNorStopsThePool() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            byte[] megabyte = new byte[1 << 20];
            List<byte[]> items = java.util.Collections.nCopies(60, megabyte);
            List<Integer> lengths = new ArrayList<>();
            try (ProcessPool.Results<Integer> results = pool.imap(ProcessPoolTest::length, items, 1)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (results.hasNext()) {
                    assertTrue(System.nanoTime() < deadline, "only " + lengths.size() + " of 60 results came");
                    Thread.currentThread().interrupt(); // each wait, and each hand-over of the next chunk, interrupted
                    try {
                        lengths.add(results.next());
                    } catch (RuntimeException e) {
                        assertInstanceOf(InterruptedException.class, e.getCause());
                    }
                    Thread.interrupted();
                }
            }
            assertEquals(java.util.Collections.nCopies(60, 1 << 20), lengths);
            Thread.currentThread().interrupt();
            Future<Integer> handed = pool.submit(() -> 5); // an interrupted caller hands its task over all the same
            assertTrue(Thread.interrupted(), "and keeps its interrupt");
            assertEquals(5, handed.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void aGetWithTheMostNegativeTimeoutTimesOutAtOnce() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1); ProcessEvent gate = ProcessEvent.create()) {
            Future<Boolean> waiting = pool.submit(() -> gate.await(Duration.ofSeconds(60)));
            try {
                for (long timeout : new long[]{Long.MIN_VALUE, -Long.MAX_VALUE, -1, 0}) {
                    long start = System.nanoTime();
                    assertThrows(java.util.concurrent.TimeoutException.class,
                            () -> waiting.get(timeout, TimeUnit.NANOSECONDS));
                    assertThrows(java.util.concurrent.TimeoutException.class,
                            () -> waiting.get(timeout, TimeUnit.DAYS));
                    long tookMillis = (System.nanoTime() - start) / 1_000_000;
                    assertTrue(tookMillis < 5_000, timeout + ": " + tookMillis + " ms");
                }
            } finally {
                gate.set();
            }
            assertTrue(waiting.get(60, TimeUnit.SECONDS));
        }
    }

    static int slowSquare(int x) {
        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
        return x * x;
    }

    static Object mixedResult(int x) {
        return switch (x % 4) {
            case 0 -> x;
            case 1 -> (long) x;
            case 2 -> x < 500 ? x : "s" + x;
            default -> x > 900 ? null : (double) x;
        };
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

    /** Each worker's own copy of the array the initializer attached. */
    private static DoubleArray kept;

    static void keep(DoubleArray data, IntValue initialized) {
        kept = data;
        initialized.getAndAdd(1);
    }

    static double keptSum(int part) {
        return sum(kept, part * 250L, part * 250L + 250);
    }

    @Test
    void anInitializerRunsOnceInEachWorkerAndItsSharedArrayServesEveryTask() throws Exception {
        IntValue initialized = SharedCTypes.rawValue(CType.c_int, 0);
        try (DoubleArray data = SharedCTypes.rawArray(CType.c_double, 1000);
             ProcessPool pool = ProcessPool.builder().workers(2)
                     .initializer(() -> keep(data, initialized)).build()) {
            for (int i = 0; i < 1000; i++) {
                data.set(i, i);
            }
            List<Double> sums = pool.map(ProcessPoolTest::keptSum, List.of(0, 1, 2, 3), 1);
            assertEquals(999.0 * 1000 / 2, sums.stream().mapToDouble(Double::doubleValue).sum());
            for (int i = 0; i < 20; i++) {
                pool.submit(() -> keptSum(0)).get(60, TimeUnit.SECONDS);
            }
            assertEquals(2, initialized.get(), "once per worker, not per task");
        }
    }

    static void failToInitialize(String why) {
        throw new IllegalStateException(why);
    }

    @Test
    void anInitializerThatThrowsFailsEveryTaskAndShutsThePoolDown() throws Exception {
        ProcessPool pool = ProcessPool.builder().workers(2).initializer(ProcessPoolTest::failToInitialize, "no disk")
                .build();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> pool.submit(() -> 1).get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("initializer failed in worker pid"), e.getCause().getMessage());
        assertEquals("no disk", e.getCause().getCause().getMessage());
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "the broken pool ends");
        RejectedExecutionException refused = assertThrows(RejectedExecutionException.class,
                () -> pool.submit(() -> 2));
        assertTrue(refused.getMessage().contains("initializer failed"), refused.getMessage());
    }

    static void exitToInitialize(Integer code) {
        System.exit(code);
    }

    /** An initializer that ends its JVM: idle, the pool starts three workers, then breaks (not one every 300 ms). */
    @Test
    void workersThatCannotStartBreakThePoolRatherThanStartForEver() throws Exception {
        ProcessPool pool = ProcessPool.builder().workers(1).initializer(ProcessPoolTest::exitToInitialize, 7).build();
        assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS), "the pool gives up on its own");
        RejectedExecutionException refused = assertThrows(RejectedExecutionException.class,
                () -> pool.submit(() -> 2));
        assertTrue(refused.getMessage().contains("workers cannot start: 3 in a row in slot 0")
                && refused.getMessage().contains("exit code 7"), refused.getMessage());
    }

    @Test
    void aWorkerEndsAfterItsMaximumOfTasksAndAFreshOneTakesOver() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(1).maxTasksPerWorker(2).build()) {
            java.util.Map<Long, Integer> tasksPerPid = new java.util.HashMap<>();
            for (int i = 0; i < 7; i++) {
                tasksPerPid.merge(pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS), 1, Integer::sum);
            }
            assertEquals(4, tasksPerPid.size(), tasksPerPid.toString());
            assertTrue(tasksPerPid.values().stream().allMatch(n -> n <= 2), tasksPerPid.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> ProcessPool.builder().maxTasksPerWorker(-1));
    }

    /** A task that leaves a thread running, which is not a daemon: it would keep a plain JVM alive. */
    static int leaveAThreadRunning() {
        Thread.ofPlatform().daemon(false).start(() -> {
            while (true) {
                java.util.concurrent.locks.LockSupport.park();
            }
        });
        return 1;
    }

    @Test
    void threadsATaskLeftRunningHoldUpNeitherTheEndNorAReplacement() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(1).maxTasksPerWorker(1).build()) {
            assertEquals(1, pool.submit(ProcessPoolTest::leaveAThreadRunning).get(60, TimeUnit.SECONDS));
            assertEquals(1, pool.submit(ProcessPoolTest::leaveAThreadRunning).get(60, TimeUnit.SECONDS),
                    "the retired worker ended and another took its place");
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "the pool ends");
        }
    }

    /** A shared array made in the worker, holding {@code value}: its outcome travels as its handle. */
    static LongArray madeInTheWorker(long value) {
        LongArray made = SharedCTypes.rawArray(CType.c_long, 1);
        made.set(0, value);
        return made;
    }

    /**
     * A worker that has run its last task ends only once the pool has read its outcome: a shared object made there
     * lives as long as its maker, so it must be attached first. So for a pool closed right after the submission.
     */
    @Test
    void aSharedObjectAWorkerReturnsOutlivesTheWorkersEnd() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(1).maxTasksPerWorker(1).build()) {
            for (long i = 0; i < 8; i++) {
                long value = i;
                try (LongArray back = pool.submit(() -> madeInTheWorker(value)).get(60, TimeUnit.SECONDS)) {
                    assertEquals(i, back.get(0));
                }
            }
        }
        for (long i = 0; i < 4; i++) {
            long value = i;
            Future<LongArray> made;
            try (ProcessPool pool = ProcessPool.create(1)) {
                made = pool.submit(() -> madeInTheWorker(value));
            }
            try (LongArray back = made.get(60, TimeUnit.SECONDS)) {
                assertEquals(i, back.get(0));
            }
        }
    }

    /** A task that fits a worker's queue but not beside a large initializer waits for the worker to be ready. */
    @Test
    void aLargeTaskWaitsForAStartingWorkerToTakeItsLargeInitializer() throws Exception {
        byte[] large = new byte[1_500_000];
        try (ProcessPool pool = ProcessPool.builder().workers(1).initializer(ProcessPoolTest::keepLength, large)
                .build()) {
            byte[] larger = new byte[3_000_000];
            assertEquals(3_000_000, pool.submit(() -> larger.length).get(60, TimeUnit.SECONDS));
        }
    }

    /** A task or item nested too deeply to serialize is refused in the caller, not a StackOverflowError. */
    @Test
    void aTaskOrItemNestedTooDeeplyIsRefusedClearly() throws Exception {
        ChildProcessTest.Node far = null;
        for (int i = 1; i <= 1_000_000; i++) {
            far = new ChildProcessTest.Node(i, far);
        }
        ChildProcessTest.Node list = far;
        try (ProcessPool pool = ProcessPool.create(1)) {
            IllegalArgumentException task = assertThrows(IllegalArgumentException.class,
                    () -> pool.submit(() -> list.value()));
            assertTrue(task.getMessage().contains("nested too deeply"), task.getMessage());
            IllegalArgumentException item = assertThrows(IllegalArgumentException.class,
                    () -> pool.map(ChildProcessTest.Node::value, List.of(list), 1));
            assertTrue(item.getMessage().contains("nested too deeply"), item.getMessage());
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS), "and the pool goes on");
        }
    }

    static void keepLength(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty");
        }
    }

    @Test
    void aTaskPastItsTimeoutFailsAndItsWorkerIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(1).taskTimeout(java.time.Duration.ofMillis(300))
                .build()) {
            long first = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS);
            IntValue started = SharedCTypes.rawValue(CType.c_int, 0);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> hang(started)).get(60, TimeUnit.SECONDS));
            assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("pid " + first), e.getCause().getMessage());
            long second = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS);
            assertTrue(second != first, "a fresh worker");
            assertEquals(9, pool.submit(() -> {
                Thread.sleep(500);
                return 9;
            }, java.time.Duration.ofSeconds(60)).get(60, TimeUnit.SECONDS), "a task's own timeout wins");
        }
        assertThrows(IllegalArgumentException.class,
                () -> ProcessPool.builder().taskTimeout(java.time.Duration.ofMillis(-1)));
    }

    @Test
    void aChunkPastItsTimeoutFailsAndTheChunkQueuedBehindItRunsInTheReplacement() throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(1).taskTimeout(java.time.Duration.ofMillis(500))
                .build()) {
            long first = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS); // the worker is ready
            IntValue started = SharedCTypes.rawValue(CType.c_int, 0);
            LongArray ranIn = SharedCTypes.rawArray(CType.c_long, 2);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.map(item -> hangOrRecord(item, started, ranIn), List.of(0, 1), 1));
            assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("pid " + first), e.getCause().getMessage());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ranIn.get(1) == 0) {
                assertTrue(System.nanoTime() < deadline, "the queued chunk never ran");
                Thread.sleep(2);
            }
            assertTrue(ranIn.get(0) != first && ranIn.get(1) == 1, "once, in the replacement: " + ranIn.get(0));
        }
    }

    static String describe(Integer n, String word) {
        return n + " " + word;
    }

    @Test
    void starmapAppliesAFunctionOfTwoToEveryPairInOrder() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            List<java.util.Map.Entry<Integer, String>> pairs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                pairs.add(java.util.Map.entry(i, "x" + i));
            }
            List<String> out = pool.starmap(ProcessPoolTest::describe, pairs, 7);
            assertEquals(100, out.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(i + " x" + i, out.get(i));
            }
            pairs.set(50, null);
            NullPointerException e = assertThrows(NullPointerException.class,
                    () -> pool.starmap(ProcessPoolTest::describe, pairs, 7));
            assertTrue(e.getMessage().contains("pairs[50] is null"), e.getMessage());
        }
    }

    record Point(double x, double y) implements java.io.Serializable {
    }

    @Test
    void resultsOfEveryKindComeBackAndAnUnserializableOneFailsClearly() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            assertEquals(null, pool.submit(() -> null).get(60, TimeUnit.SECONDS));
            assertEquals(Long.MIN_VALUE, pool.submit(() -> Long.MIN_VALUE).get(60, TimeUnit.SECONDS));
            assertEquals(-0.0, pool.submit(() -> -0.0).get(60, TimeUnit.SECONDS));
            assertEquals("h\u00e9llo", pool.submit(() -> "h\u00e9llo").get(60, TimeUnit.SECONDS));
            assertEquals(true, pool.submit(() -> true).get(60, TimeUnit.SECONDS));
            assertTrue(java.util.Arrays.equals(new byte[] {1, 2, 3},
                    pool.submit(() -> new byte[] {1, 2, 3}).get(60, TimeUnit.SECONDS)));
            assertEquals(List.of(1, List.of("a", 2L), new Point(1, 2)),
                    pool.submit(() -> List.of(1, List.of("a", 2L), new Point(1, 2))).get(60, TimeUnit.SECONDS));
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> (Object) new Thread()).get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("cannot be serialized"), e.getCause().getMessage());
        }
    }

    @Test
    void aTaskThatCapturesStateGetsAFreshCopyEachTime() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            List<Integer> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                assertEquals(1, pool.submit(() -> {
                    seen.add(1);
                    return seen.size();
                }).get(60, TimeUnit.SECONDS));
            }
        }
    }

    static long countAndSpin(org.multiprocess4j.sharedctypes.LongValue counter, int spins) {
        counter.incrementAndGet();
        long x = 0;
        for (int i = 0; i < spins; i++) {
            x += i ^ x;
        }
        return x;
    }

    /**
     * Kills a random worker {@code kills} times while tasks stream through the pool: every task ends, either done
     * or failed with WorkerDiedException, no more fail than kills were made, none runs twice, and the pool goes on.
     */
    private static void killWorkersAtRandomPoints(int kills) throws Exception {
        org.multiprocess4j.sharedctypes.LongValue counter = SharedCTypes.rawValue(CType.c_long, 0L);
        java.util.Random random = new java.util.Random(kills);
        try (ProcessPool pool = ProcessPool.create(2)) {
            int done = 0;
            int died = 0;
            for (int k = 0; k < kills; k++) {
                List<Future<Long>> round = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    round.add(pool.submit(() -> countAndSpin(counter, 200_000)));
                }
                java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(3_000_000)); // a random kill point
                List<Long> pids = pool.workerPids();
                org.multiprocess4j.testing.Processes.kill9(pids.get(random.nextInt(pids.size())));
                for (Future<Long> f : round) { // each round's tasks end before the next round's kill
                    try {
                        f.get(120, TimeUnit.SECONDS);
                        done++;
                    } catch (ExecutionException e) {
                        assertInstanceOf(ProcessPool.WorkerDiedException.class, e.getCause());
                        died++;
                    }
                }
            }
            assertTrue(died <= kills, died + " tasks failed for " + kills + " kills");
            long ran = counter.get();
            assertTrue(ran >= done && ran <= done + died, "ran " + ran + ", done " + done + ", died " + died);
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS), "the pool goes on");
        }
    }

    @Test
    void tasksOfWorkersKilledAtRandomPointsFailAloneAndThePoolGoesOn() throws Exception {
        killWorkersAtRandomPoints(4);
    }

    @Test
    @org.junit.jupiter.api.Tag("soak")
    void soakTasksOfWorkersKilledAtRandomPoints() throws Exception {
        killWorkersAtRandomPoints(200);
    }

    @Test
    void aTaskOutOfMemoryEndsItsWorkerWhichIsReplaced() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            long before = pool.workerPids().get(0);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.submit(ProcessPoolTest::exhaustMemory).get(60, TimeUnit.SECONDS));
            ProcessPool.WorkerDiedException died = assertInstanceOf(ProcessPool.WorkerDiedException.class,
                    e.getCause());
            assertEquals(before, died.pid());
            assertEquals(ProcessPool.OUT_OF_MEMORY_EXIT_STATUS, died.exitCode());
            assertTrue(died.getMessage().contains("pid " + before) && died.getMessage().contains("out of memory"),
                    died.getMessage());
            long after = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS);
            assertTrue(after != before, "the next task runs in a replacement");
        }
    }

    @Test
    void aFutureTaskIsRefusedEvenAfterAPlainRunnableWasExecuted() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1);
             IntValue ran = SharedCTypes.rawValue(CType.c_int, 0)) {
            ProcessEvent done = ProcessEvent.create();
            pool.execute((Runnable & java.io.Serializable) () -> {
                ran.getAndAdd(1);
                done.set();
            });
            java.util.concurrent.FutureTask<Integer> local = new java.util.concurrent.FutureTask<>(() -> 1);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> pool.execute(local));
            assertTrue(refused.getMessage().contains("Serializable"), refused.getMessage());
            assertTrue(done.await(Duration.ofSeconds(60)), "the runnable never ran");
            assertEquals(7, pool.submit(() -> 7).get(60, TimeUnit.SECONDS));
            assertEquals(1, ran.get(), "the runnable ran once");
            assertFalse(local.isDone(), "the refused task ran nowhere");
            Future<Integer> submitted = pool.submit(() -> 8);
            assertThrows(IllegalArgumentException.class, () -> pool.execute((Runnable) submitted),
                    "a task is given to the pool once");
            assertEquals(8, submitted.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void shutdownNowCancelsTheTasksItReturns() throws Exception {
        ProcessPool pool = ProcessPool.create(1);
        Future<Integer> hung = hangingTask(pool);
        Future<Integer> waiting = pool.submit(() -> 1);
        List<Runnable> never = pool.shutdownNow();
        assertEquals(List.of(waiting), never);
        assertTrue(waiting.isCancelled(), "nobody waits for ever on a task no worker will run");
        assertThrows(CancellationException.class, waiting::get);
        never.get(0).run(); // does nothing, as a cancelled FutureTask's run
        assertTrue(waiting.isCancelled());
        ExecutionException e = assertThrows(ExecutionException.class, () -> hung.get(60, TimeUnit.SECONDS));
        assertInstanceOf(ProcessPool.WorkerDiedException.class, e.getCause());
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    }

    /** This JVM's children that run a child's main, neither as a standby nor as a training run. */
    private static Set<Long> childJvms() {
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().children().forEach(p -> {
            List<String> args = List.of(p.info().arguments().orElse(new String[0]));
            if (args.contains(ChildMain.class.getName()) && !args.contains("--standby")
                    && args.stream().noneMatch(a -> a.startsWith("-XX:AOTCacheOutput"))) {
                pids.add(p.pid());
            }
        });
        return pids;
    }

    @Test
    void aPoolThatCannotStartAllItsWorkersLeavesNothingBehind() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("mp4j-pool");
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "mounting a 10 MiB tmpfs needs root");
        String property = org.multiprocess4j.internal.memory.SharedHeap.DIRECTORY_PROPERTY;
        String old = System.getProperty(property);
        Set<Long> before = childJvms();
        try {
            System.setProperty(property, dir.toString());
            // Room for the results queue and one worker's task queue (4 MiB each), not for the second's.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ProcessPool.create(2));
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            assertEquals(before, childJvms(), "the worker that had started was ended");
            java.nio.file.FileStore store = java.nio.file.Files.getFileStore(dir);
            assertEquals(store.getTotalSpace(), store.getUsableSpace(), "every queue and array was freed");
        } finally {
            if (old == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, old);
            }
            new ProcessBuilder("umount", "-l", dir.toString()).start().waitFor(); // lazily: even if still held
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    /** Counts its run; item 0 fails. */
    static int countOrFail(Integer item, IntValue runs) {
        runs.getAndAdd(1);
        if (item == 0) {
            throw new IllegalStateException("chunk 0 fails");
        }
        return item;
    }

    @Test
    void aFailedChunkCancelsTheChunksOfItsMapNotStartedYet() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1);
             IntValue runs = SharedCTypes.rawValue(CType.c_int, 0)) {
            List<Integer> items = java.util.stream.IntStream.range(0, 200).boxed().toList();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pool.map(item -> countOrFail(item, runs), items, 1));
            assertTrue(e.getCause().getMessage().contains("chunk 0 fails"), e.getCause().getMessage());
            assertEquals(1, pool.submit(() -> 1).get(60, TimeUnit.SECONDS)); // behind whatever was handed out
            assertTrue(runs.get() < 20, runs.get() + " of 200 chunks ran after the first had failed");
        }
    }

    @Test
    void invokeAnyAndACompletionServiceWork() throws Exception {
        try (ProcessPool pool = ProcessPool.create(2)) {
            assertEquals(1, pool.invokeAny(List.of((ProcessPool.Task<Integer>) () -> 1), 60, TimeUnit.SECONDS));
            java.util.concurrent.ExecutorCompletionService<Integer> done =
                    new java.util.concurrent.ExecutorCompletionService<>(pool);
            for (int i = 0; i < 4; i++) {
                int n = i;
                done.submit((ProcessPool.Task<Integer>) () -> n * 10);
            }
            int sum = 0;
            for (int i = 0; i < 4; i++) {
                Future<Integer> f = done.poll(60, TimeUnit.SECONDS);
                assertTrue(f != null && f.isDone(), "a finished task comes out");
                sum += f.get();
            }
            assertEquals(60, sum);
        }
    }

    @Test
    void aTerminatedPoolAnswersAgainWithoutThrowing() throws Exception {
        ProcessPool pool = ProcessPool.create(1);
        List<Long> pids = pool.workerPids();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        pool.shutdown();
        assertEquals(List.of(), pool.shutdownNow());
        assertEquals(pids, pool.workerPids());
        pool.close();
    }

    /** Throws an Error while it is read back: deserialization runs a class's own code. */
    static final class Unreadable implements java.io.Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException {
            throw new AssertionError("not readable here");
        }
    }

    /** Throws an Error while it is written. */
    static final class Unwritable implements java.io.Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void writeObject(java.io.ObjectOutputStream out) {
            throw new AssertionError("not writable here");
        }
    }

    /** An exception that carries such a value. */
    static final class CarriesUnwritable extends Exception {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
        final Unwritable field = new Unwritable();

        CarriesUnwritable(String message) {
            super(message);
        }
    }

    @Test
    void resultsThatCannotTravelFailOnlyTheirTaskAndTheWorkerGoesOn() throws Exception {
        try (ProcessPool pool = ProcessPool.create(1)) {
            long worker = pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS);
            ExecutionException big = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> new byte[5 << 20]).get(60, TimeUnit.SECONDS));
            assertTrue(big.getCause().getMessage().contains("more than the pool's results queue holds"),
                    big.getCause().getMessage());
            ExecutionException unreadable = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> (Object) new Unreadable()).get(60, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, unreadable.getCause());
            // An Error thrown while a result or an exception is written (a class's writeObject may) fails its task.
            ExecutionException unwritable = assertThrows(ExecutionException.class,
                    () -> pool.submit(() -> (Object) new Unwritable()).get(60, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, unwritable.getCause());
            unwritable = assertThrows(ExecutionException.class, () -> pool.submit(() -> {
                throw new CarriesUnwritable("the original message");
            }).get(60, TimeUnit.SECONDS));
            assertTrue(unwritable.getCause().getMessage().contains("the original message"),
                    unwritable.getCause().getMessage());
            List<?> selfish = pool.submit(() -> {
                List<Object> l = new ArrayList<>();
                l.add(l);
                return l;
            }).get(60, TimeUnit.SECONDS);
            assertEquals(1, selfish.size());
            assertEquals("a\uD800b", pool.submit(() -> "a\uD800b").get(60, TimeUnit.SECONDS), "a lone surrogate");
            assertEquals(worker, pool.submit(ProcessPoolTest::pid).get(60, TimeUnit.SECONDS), "the same worker");
        }
        byte[] big = new byte[3 << 20];
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> ProcessPool.builder().initializer(() -> System.out.print(big.length)));
        assertTrue(refused.getMessage().contains("the initializer is"), refused.getMessage());
    }
}
