package org.multiprocess4j.benchmarks;

import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.ProcessRLock;
import org.multiprocess4j.coordination.LongVariable;
import org.multiprocess4j.coordination.RobustLock;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** One process, one thread: the cost of the lock and of atomics when nobody contends. */
@State(Scope.Thread)
public class LockBenchmarks {
    ProcessLock lock;
    ProcessRLock rlock;
    LongValue synchronizedValue;
    LongValue counter;
    LongValue rawView;
    /** The same lock and counter, typed as the interfaces a program written for either backend uses. */
    RobustLock lockViaInterface;
    LongVariable counterViaInterface;

    @Setup
    public void setUp() {
        lock = ProcessLock.create();
        rlock = ProcessRLock.create();
        synchronizedValue = SharedCTypes.value(CType.c_long, 0L);
        counter = SharedCTypes.rawValue(CType.c_long, 0L);
        rawView = synchronizedValue.getObj();
        lockViaInterface = lock;
        counterViaInterface = counter;
    }

    @Benchmark
    public void lockAcquireRelease() {
        lock.lock();
        lock.unlock();
    }

    /** A flight recording with the library's settings (every event of it enabled) runs through the trial. */
    @State(Scope.Benchmark)
    public static class Recorded {
        jdk.jfr.Recording recording;

        @Setup
        public void start() throws Exception {
            try (var settings = new InputStreamReader(LockBenchmarks.class.getResourceAsStream("/multiprocess4j.jfc"),
                    StandardCharsets.UTF_8)) {
                recording = new jdk.jfr.Recording(jdk.jfr.Configuration.create(settings));
            }
            recording.start();
        }

        @TearDown
        public void stop() {
            recording.close();
        }
    }

    /** {@link #lockAcquireRelease} while a recording with the library's events enabled runs. */
    @Benchmark
    public void lockAcquireReleaseRecorded(Recorded recorded) {
        lock.lock();
        lock.unlock();
    }

    @Benchmark
    public void lockAcquireReleaseViaInterface() {
        lockViaInterface.lock();
        lockViaInterface.unlock();
    }

    @Benchmark
    public void rlockAcquireRelease() {
        rlock.lock();
        rlock.unlock();
    }

    /** Python: {@code with v.get_lock(): v.value += 1}. */
    @Benchmark
    public void valueLockedIncrement() {
        try (var _ = synchronizedValue.getLock().hold()) {
            synchronizedValue.set(synchronizedValue.get() + 1);
        }
    }

    /** The same with the raw object inside the held lock: the lock's cost alone. */
    @Benchmark
    public void valueLockedIncrementRaw() {
        LongValue raw = rawView;
        try (var _ = synchronizedValue.getLock().hold()) {
            raw.set(raw.get() + 1);
        }
    }

    /** lock()/unlock() around the synchronized accessors, without the Held token. */
    @Benchmark
    public void valueLockUnlockIncrement() {
        var l = synchronizedValue.getLock();
        l.lock();
        try {
            synchronizedValue.set(synchronizedValue.get() + 1);
        } finally {
            l.unlock();
        }
    }

    @Benchmark
    public long atomicIncrement() {
        return counter.incrementAndGet();
    }

    @Benchmark
    public long atomicIncrementViaInterface() {
        return counterViaInterface.incrementAndGet();
    }
}
