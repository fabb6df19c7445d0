package org.multiprocess4j.benchmarks;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.ProcessLock;
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

    /** Milliseconds to start and join a child that does nothing. */
    static double startJoinMillis() throws InterruptedException {
        runNoop();
        // The first child has the ahead-of-time cache made in the background; let that finish, as it does once
        // per class path, before measuring the children that use it.
        Thread.sleep(15_000);
        for (int i = 0; i < 3; i++) {
            runNoop();
        }
        int runs = 20;
        long start = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            runNoop();
        }
        return (System.nanoTime() - start) / 1e6 / runs;
    }

    private static void runNoop() {
        ChildProcess p = new ChildProcess(ProcessMeasurements::noop);
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
}
