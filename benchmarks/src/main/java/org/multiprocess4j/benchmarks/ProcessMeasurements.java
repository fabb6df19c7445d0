package org.multiprocess4j.benchmarks;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.ProcessBarrier;
import org.multiprocess4j.ProcessEvent;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.ProcessPool;
import org.multiprocess4j.ProcessQueue;
import org.multiprocess4j.ProcessSemaphore;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measurements JMH cannot make inside one JVM: several processes contending, process start-up, and allocating
 * a million values. Every run repeats a few times and keeps the best, as the C peer runs once on a quiet machine.
 */
final class ProcessMeasurements {
    static final int INCREMENTS = 5_000_000;

    private ProcessMeasurements() {
    }

    static void noop() {
    }

    /** Waits for the start signal, increments, and records when it finished. */
    static void lockedWorker(ProcessLock lock, LongValue counter, IntValue gate, LongArray ends) {
        int slot = gate.getAndAdd(1);
        while (gate.getVolatile() >= 0) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < INCREMENTS; i++) {
            lock.lock();
            counter.set(counter.get() + 1);
            lock.unlock();
        }
        ends.setVolatile(slot, System.nanoTime());
    }

    static void atomicWorker(ProcessLock unused, LongValue counter, IntValue gate, LongArray ends) {
        int slot = gate.getAndAdd(1);
        while (gate.getVolatile() >= 0) {
            Thread.onSpinWait();
        }
        for (int i = 0; i < INCREMENTS; i++) {
            counter.getAndAdd(1);
        }
        ends.setVolatile(slot, System.nanoTime());
    }

    /** Aggregate nanoseconds per increment with {@code processes} children, from the start signal to the last end. */
    static double contended(ChildProcess.Task4<ProcessLock, LongValue, IntValue, LongArray> worker, int processes) {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            ProcessLock lock = ProcessLock.create();
            LongValue counter = SharedCTypes.rawValue(CType.c_long, 0L);
            IntValue gate = SharedCTypes.rawValue(CType.c_int, 0);
            LongArray ends = SharedCTypes.rawArray(CType.c_long, processes);
            List<ChildProcess> children = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                ChildProcess p = new ChildProcess(worker, lock, counter, gate, ends).jvmOptions("-XX:TieredStopAtLevel=4",
                        "-XX:-UseSerialGC", "-XX:+UseParallelGC");
                p.start();
                children.add(p);
            }
            while (gate.getVolatile() < processes) {
                Thread.onSpinWait();
            }
            long start = System.nanoTime();
            gate.setVolatile(Integer.MIN_VALUE);
            children.forEach(ChildProcess::join);
            long end = 0;
            for (long e : ends.toArray()) {
                end = Math.max(end, e);
            }
            if (counter.get() != (long) processes * INCREMENTS) {
                throw new AssertionError("lost updates: " + counter.get());
            }
            best = Math.min(best, (double) (end - start) / ((long) processes * INCREMENTS));
        }
        return best;
    }

    /**
     * Milliseconds to start and join a child that does nothing, and the same for CPython's {@code spawn} start
     * method with the reference script's own {@code noop}, measured in alternating rounds so that both see the
     * same machine (on a shared machine, minutes apart can differ by a fifth). Each figure is the median of the
     * rounds' means; the CPython one is NaN when the reference script is absent.
     */
    static double[] startJoinMillisBesideCPython(Path reference) throws IOException, InterruptedException {
        runNoop(ChildProcess.StartMethod.SPAWN);
        // The first child has the ahead-of-time cache made in the background, and a pool in a JVM of its own has
        // the pool workers' one made; let that finish, as it does once per class path, before measuring the
        // children that use them (this JVM's first pool is measured cold, as CPython's is: see poolFigures).
        Process poolOnce = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                PoolOnce.class.getName()).inheritIO().start();
        Thread.sleep(15_000);
        poolOnce.waitFor();
        return interleaved(ChildProcess.StartMethod.SPAWN, "spawn", reference);
    }

    /**
     * As {@link #startJoinMillisBesideCPython} with a standby JVM ready for each child (the wait for it is not
     * timed), beside CPython's {@code forkserver}, whose server forks each child.
     */
    static double[] standbyStartJoinMillisBesideForkserver(Path reference) throws IOException, InterruptedException {
        return interleaved(ChildProcess.StartMethod.STANDBY, "forkserver", reference);
    }

    private static double[] interleaved(ChildProcess.StartMethod method, String pythonMethod, Path reference)
            throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            runNoop(method);
        }
        Path script = cpythonStartScript(reference);
        int rounds = 5;
        int perRound = 10;
        double[] ours = new double[rounds];
        double[] cpython = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long total = 0;
            for (int i = 0; i < perRound; i++) {
                if (method == ChildProcess.StartMethod.STANDBY
                        && !ChildProcess.prepareStandby(java.time.Duration.ofSeconds(30))) {
                    throw new AssertionError("no standby got ready");
                }
                long start = System.nanoTime();
                runNoop(method);
                total += System.nanoTime() - start;
            }
            ours[r] = total / 1e6 / perRound;
            cpython[r] = script == null ? Double.NaN : cpythonStartMillis(script, reference, pythonMethod, perRound);
        }
        return new double[] {median(ours), median(cpython)};
    }

    private static Path cpythonStartScript(Path reference) throws IOException {
        if (!Files.exists(reference.resolve("cpython_bench.py"))) {
            return null;
        }
        Path script = Files.createTempFile("mp4j-start", ".py");
        script.toFile().deleteOnExit();
        Files.writeString(script, """
                import multiprocessing as mp, sys, time
                sys.path.insert(0, sys.argv[1])
                import cpython_bench
                if __name__ == "__main__":
                    ctx = mp.get_context(sys.argv[3])
                    k = int(sys.argv[2])
                    for _ in range(3):
                        p = ctx.Process(target=cpython_bench.noop); p.start(); p.join()
                    t = time.perf_counter()
                    for _ in range(k):
                        p = ctx.Process(target=cpython_bench.noop); p.start(); p.join()
                    print((time.perf_counter() - t) / k * 1e3)
                """);
        return script;
    }

    private static double cpythonStartMillis(Path script, Path reference, String method, int count)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", script.toString(), reference.toAbsolutePath().toString(),
                Integer.toString(count), method).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        p.waitFor();
        try {
            return Double.parseDouble(out.substring(out.lastIndexOf('\n') + 1));
        } catch (NumberFormatException e) {
            System.out.println("   CPython " + method + " measurement failed: " + out);
            return Double.NaN;
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static void runNoop(ChildProcess.StartMethod method) {
        ChildProcess p = new ChildProcess(ProcessMeasurements::noop).startMethod(method);
        p.start();
        p.join();
        if (p.exitCode() != 0) {
            throw new AssertionError("no-op child exited with " + p.exitCode());
        }
        p.close();
    }

    /** Seconds to allocate a million small values, and shared-memory bytes used per value. */
    static double[] allocateMillion() throws IOException {
        int count = 1_000_000;
        List<LongValue> keep = new ArrayList<>(count);
        long usedBefore = usedShm();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            keep.add(SharedCTypes.rawValue(CType.c_long, (long) i));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double bytesEach = (double) (usedShm() - usedBefore) / count;
        keep.forEach(LongValue::close);
        return new double[] {seconds, bytesEach};
    }

    private static long usedShm() throws IOException {
        var store = Files.getFileStore(Path.of("/dev/shm"));
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    static void eventPeer(ProcessEvent a, ProcessEvent b, Integer rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            a.await();
            a.clear();
            b.set();
        }
    }

    static void semaphorePeer(ProcessSemaphore a, ProcessSemaphore b, Integer rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            a.acquire();
            b.release();
        }
    }

    static void barrierPeer(ProcessBarrier barrier, Integer rounds) throws Exception {
        for (int i = 0; i < rounds; i++) {
            barrier.await();
        }
    }

    /** A round of the parent's side of a ping-pong. */
    private interface Round {
        void run() throws Exception;
    }

    /** Microseconds per round trip with a child JVM, after one round that waits for the child to start. */
    private static double roundTrip(ChildProcess child, Round round, int rounds) throws Exception {
        child.start();
        round.run();
        long start = System.nanoTime();
        for (int i = 1; i < rounds; i++) {
            round.run();
        }
        double micros = (System.nanoTime() - start) / 1e3 / (rounds - 1);
        child.join();
        return micros;
    }

    /**
     * The 99th percentile, in milliseconds, of the time from interrupting a platform thread blocked in
     * {@code lockInterruptibly()} to its InterruptedException, for a process lock and for the JDK's ReentrantLock,
     * each over 1,000 interrupts after 200 of warm-up.
     */
    static double[] interruptP99Millis() throws Exception {
        ProcessLock ours = ProcessLock.create();
        try {
            return new double[] {interruptP99(ours), interruptP99(new java.util.concurrent.locks.ReentrantLock())};
        } finally {
            ours.close();
        }
    }

    private static double interruptP99(java.util.concurrent.locks.Lock lock) throws Exception {
        long[] nanos = new long[1000];
        for (int i = -200; i < nanos.length; i++) {
            long[] thrownAt = new long[1];
            lock.lock();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    lock.lockInterruptibly();
                    lock.unlock();
                } catch (InterruptedException e) {
                    thrownAt[0] = System.nanoTime();
                }
            });
            while (waiter.getState() != Thread.State.WAITING && waiter.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            long interruptedAt = System.nanoTime();
            waiter.interrupt();
            waiter.join();
            lock.unlock();
            if (thrownAt[0] == 0) {
                throw new AssertionError("the wait ended without its InterruptedException");
            }
            if (i >= 0) {
                nanos[i] = thrownAt[0] - interruptedAt;
            }
        }
        java.util.Arrays.sort(nanos);
        return nanos[nanos.length * 99 / 100 - 1] / 1e6;
    }

    /**
     * Round trips between this JVM and a child JVM: an event ping-pong, a semaphore ping-pong and a barrier of
     * two, as cpython_sync_bench.py measures CPython's.
     */
    static double[] syncRoundTrips(int rounds) throws Exception {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        for (int trial = 0; trial < 2; trial++) {
            try (ProcessEvent a = ProcessEvent.create(); ProcessEvent b = ProcessEvent.create()) {
                best[0] = Math.min(best[0], roundTrip(new ChildProcess(ProcessMeasurements::eventPeer, a, b, rounds),
                        () -> {
                            a.set();
                            b.await();
                            b.clear();
                        }, rounds));
            }
            try (ProcessSemaphore a = ProcessSemaphore.create(0); ProcessSemaphore b = ProcessSemaphore.create(0)) {
                best[1] = Math.min(best[1], roundTrip(new ChildProcess(ProcessMeasurements::semaphorePeer, a, b,
                        rounds), () -> {
                            a.release();
                            b.acquire();
                        }, rounds));
            }
            try (ProcessBarrier barrier = ProcessBarrier.create(2)) {
                best[2] = Math.min(best[2], roundTrip(new ChildProcess(ProcessMeasurements::barrierPeer, barrier,
                        rounds), barrier::await, rounds));
            }
        }
        return best;
    }

    static void queueProducer(ProcessQueue<Integer> q, Integer n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            q.put(i);
        }
    }

    static void queueEcho(ProcessQueue<Integer> a, ProcessQueue<Integer> b, Integer rounds)
            throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            b.put(a.take());
        }
    }

    /**
     * Small messages (boxed integers) from a fresh child JVM to this one through a 64 KiB queue: messages per second
     * over the {@code first} ones (the child's code still being compiled) and over the {@code then} ones after them,
     * then a ping-pong round trip in microseconds, as cpython_sync_bench.py measures multiprocessing.Queue. The best
     * of three children.
     */
    static double[] queueFigures(int first, int then, int rounds) throws Exception {
        double bestFirst = 0;
        double best = 0;
        for (int trial = 0; trial < 3; trial++) {
            try (ProcessQueue<Integer> q = ProcessQueue.create(64 << 10)) {
                ChildProcess producer = new ChildProcess(ProcessMeasurements::queueProducer, q, first + then);
                producer.start();
                q.take();
                long start = System.nanoTime();
                for (int i = 1; i < first; i++) {
                    q.take();
                }
                long warm = System.nanoTime();
                for (int i = 0; i < then; i++) {
                    q.take();
                }
                long end = System.nanoTime();
                bestFirst = Math.max(bestFirst, (first - 1) / ((warm - start) / 1e9));
                best = Math.max(best, then / ((end - warm) / 1e9));
                producer.join();
            }
        }
        double pingPong;
        try (ProcessQueue<Integer> a = ProcessQueue.create(4096); ProcessQueue<Integer> b = ProcessQueue.create(4096)) {
            pingPong = roundTrip(new ChildProcess(ProcessMeasurements::queueEcho, a, b, rounds), () -> {
                a.put(1);
                b.take();
            }, rounds);
        }
        return new double[]{best, pingPong, bestFirst};
    }

    static Object poolNoop() {
        return null;
    }

    /** A pool's first use, in a JVM of its own, which then stays while the pool workers' cache is made. */
    static final class PoolOnce {
        public static void main(String[] args) throws Exception {
            try (ProcessPool pool = ProcessPool.create(1)) {
                pool.submit(ProcessMeasurements::poolNoop).get();
            }
            Thread.sleep(14_000); // this JVM publishes the cache its pool's first worker had trained
        }
    }

    static int tiny(int x) {
        return x + 1;
    }

    /**
     * Items per second of {@code pool} mapping {@link #tiny} over {@code items}: the median of five maps, after
     * {@code first} more.
     */
    private static double medianMapRate(ProcessPool pool, List<Integer> items, int first) throws Exception {
        double[] rates = new double[5];
        for (int i = -first; i < rates.length; i++) {
            long start = System.nanoTime();
            pool.map(ProcessMeasurements::tiny, items, 10_000);
            if (i >= 0) {
                rates[i] = items.size() / ((System.nanoTime() - start) / 1e9);
            }
        }
        java.util.Arrays.sort(rates);
        return rates[2];
    }

    /**
     * A pool of 2, this JVM's first (its pool code cold, as CPython's pool module is when cpython_pool_bench.py
     * makes its pool; its workers cold JVMs starting from the pool workers' cache): milliseconds until made and a
     * first result is back, a no-op submit-to-result round trip in microseconds (after 1,000 tasks and 3 s: the
     * steady state, once this JVM and the workers have compiled the path; CPython has nothing to compile), and
     * map of a tiny function over 1,000,000 items in chunks of 10,000 in items per second, as cpython_pool_bench.py
     * measures CPython's Pool (after two maps, and again once maps have run for 3 s: the steady state, once the three
     * JVMs have compiled the path); then the milliseconds until a second pool is made and has a first result when a
     * standby JVM was prepared before it ({@link ChildProcess#prepareStandby}).
     */
    static double[] poolFigures() throws Exception {
        double[] figures;
        long start = System.nanoTime();
        try (ProcessPool pool = ProcessPool.create(2)) {
            pool.submit(ProcessMeasurements::poolNoop).get();
            double ready = (System.nanoTime() - start) / 1e6;
            // Warm-up: 1,000 tasks and at least 3 s of the pool's life, as the maps' steady state below (a cold worker
            // links its futex calls and compiles its loop during its first tasks, rather than before its first result,
            // and this JVM's compiler threads share the two cores with the round trips for a second or two more).
            for (int i = 0; i < 1000 || System.nanoTime() - start < 3_000_000_000L; i++) {
                pool.submit(ProcessMeasurements::poolNoop).get();
            }
            int n = 2000;
            start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pool.submit(ProcessMeasurements::poolNoop).get();
            }
            double roundTrip = (System.nanoTime() - start) / 1e3 / n;
            List<Integer> items = java.util.stream.IntStream.range(0, 1_000_000).boxed().toList();
            long mapsBegan = System.nanoTime();
            double perSecond = medianMapRate(pool, items, 2); // as cpython_pool_bench.py: two maps, then five
            while (System.nanoTime() - mapsBegan < 3_000_000_000L) { // then, as it does too, the steady state
                pool.map(ProcessMeasurements::tiny, items, 10_000);
            }
            double steady = medianMapRate(pool, items, 0);
            figures = new double[]{ready, roundTrip, perSecond, Double.NaN, steady};
        }
        if (!ChildProcess.prepareStandby(java.time.Duration.ofSeconds(30))) {
            throw new AssertionError("no standby got ready");
        }
        start = System.nanoTime();
        try (ProcessPool pool = ProcessPool.create(2)) {
            pool.submit(ProcessMeasurements::poolNoop).get();
            figures[3] = (System.nanoTime() - start) / 1e6;
        }
        return figures;
    }
}
