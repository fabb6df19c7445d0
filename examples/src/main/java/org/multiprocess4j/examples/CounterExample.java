package org.multiprocess4j.examples;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.sharedctypes.LongValue;

import java.util.ArrayList;
import java.util.List;

import static org.multiprocess4j.sharedctypes.CType.c_long;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawValue;
import static org.multiprocess4j.sharedctypes.SharedCTypes.value;

/**
 * A counter shared by several processes, three ways: unprotected (updates are lost, as in Python), under the
 * value's lock (exact), and with a lock-free atomic add (exact, and faster).
 */
public final class CounterExample {
    private static final int PROCESSES = 4;
    private static final int INCREMENTS = 200_000;

    private CounterExample() {
    }

    static void unprotected(LongValue counter) {
        for (int i = 0; i < INCREMENTS; i++) {
            counter.set(counter.get() + 1);
        }
    }

    static void locked(LongValue counter) {
        for (int i = 0; i < INCREMENTS; i++) {
            try (var _ = counter.getLock().hold()) {    // with counter.get_lock():
                LongValue raw = counter.getObj();
                raw.set(raw.get() + 1);                 //     counter.value += 1
            }
        }
    }

    static void atomic(LongValue counter) {
        for (int i = 0; i < INCREMENTS; i++) {
            counter.incrementAndGet();
        }
    }

    private static long run(ChildProcess.Task1<LongValue> task, LongValue counter) {
        long start = System.nanoTime();
        List<ChildProcess> children = new ArrayList<>();
        for (int i = 0; i < PROCESSES; i++) {
            ChildProcess p = new ChildProcess(task, counter);
            p.start();
            children.add(p);
        }
        for (ChildProcess p : children) {
            p.join();
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    public static void main(String[] args) {
        long expected = (long) PROCESSES * INCREMENTS;
        System.out.printf("%d processes x %d increments each = %d%n", PROCESSES, INCREMENTS, expected);

        LongValue plain = rawValue(c_long, 0L);
        long ms = run(CounterExample::unprotected, plain);
        System.out.printf("unprotected: %,d (%,d updates lost) in %d ms%n", plain.get(), expected - plain.get(), ms);

        LongValue guarded = value(c_long, 0L);
        ms = run(CounterExample::locked, guarded);
        System.out.printf("locked:      %,d in %d ms%n", guarded.get(), ms);

        LongValue counter = rawValue(c_long, 0L);
        ms = run(CounterExample::atomic, counter);
        System.out.printf("atomic:      %,d in %d ms%n", counter.get(), ms);
    }
}
