package org.multiprocess4j.examples;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.coordination.Backend;
import org.multiprocess4j.coordination.LongVariable;
import org.multiprocess4j.coordination.RobustLock;
import org.multiprocess4j.zookeeper.LocalEnsemble;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A counter shared by several processes, three ways: unprotected (updates are lost, as in Python), under a lock
 * (exact), and with an atomic add (exact, and faster). Written against the coordination interfaces, so one
 * program runs on either backend, chosen by its argument:
 * <ul>
 * <li>none: shared memory on this host (or the backend {@code -Dmultiprocess4j.backend} names);</li>
 * <li>{@code zookeeper}: a 3-member ZooKeeper ensemble started on loopback for the run;</li>
 * <li>a backend address, such as {@code zookeeper://zk1:2181,zk2:2181,zk3:2181/counter}.</li>
 * </ul>
 * Each process counts 200,000 times in shared memory, 200 times on ZooKeeper (every update is a quorum write).
 */
public final class CounterExample {
    private static final int PROCESSES = 4;

    private CounterExample() {
    }

    static void unprotected(String address, Integer increments) {
        try (Backend backend = Backend.open(address)) {
            LongVariable counter = backend.longValue("unprotected");
            for (int i = 0; i < increments; i++) {
                counter.set(counter.get() + 1);
            }
        }
    }

    static void locked(String address, Integer increments) {
        try (Backend backend = Backend.open(address)) {
            RobustLock lock = backend.lock("counter");
            LongVariable counter = backend.longValue("locked");
            for (int i = 0; i < increments; i++) {
                try (var _ = lock.hold()) {                 // with lock:
                    counter.set(counter.get() + 1);         //     counter.value += 1
                }
            }
        }
    }

    static void atomic(String address, Integer increments) {
        try (Backend backend = Backend.open(address)) {
            LongVariable counter = backend.longValue("atomic");
            for (int i = 0; i < increments; i++) {
                counter.incrementAndGet();
            }
        }
    }

    private static long run(ChildProcess.Task2<String, Integer> task, Backend backend, int increments) {
        long start = System.nanoTime();
        List<ChildProcess> children = new ArrayList<>();
        for (int i = 0; i < PROCESSES; i++) {
            ChildProcess p = new ChildProcess(task, backend.address(), increments);
            p.start();
            children.add(p);
        }
        for (ChildProcess p : children) {
            p.join();
            if (p.exitCode() != 0) {
                throw new IllegalStateException("a counting process failed: " + p.exception());
            }
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    public static void main(String[] args) {
        LocalEnsemble local = args.length > 0 && args[0].equals("zookeeper") ? LocalEnsemble.start(3) : null;
        String address = local != null ? "zookeeper://" + local.connectString() + "/counter-" + UUID.randomUUID()
                : args.length > 0 ? args[0] : null;
        try (Backend backend = address == null ? Backend.fromProperty() : Backend.open(address)) {
            int increments = backend.address().startsWith("shm:") ? 200_000 : 200;
            long expected = (long) PROCESSES * increments;
            System.out.printf("%s: %d processes x %d increments each = %d%n",
                    backend.address().startsWith("shm:") ? "shared memory" : "ZooKeeper", PROCESSES, increments,
                    expected);
            // Shared-memory objects live as long as their creator: make them here, before the children.
            LongVariable plain = backend.longValue("unprotected");
            LongVariable guarded = backend.longValue("locked");
            LongVariable counter = backend.longValue("atomic");
            backend.lock("counter");

            long ms = run(CounterExample::unprotected, backend, increments);
            System.out.printf("unprotected: %,d (%,d updates lost) in %d ms%n", plain.get(), expected - plain.get(),
                    ms);
            ms = run(CounterExample::locked, backend, increments);
            System.out.printf("locked:      %,d in %d ms%n", guarded.get(), ms);
            ms = run(CounterExample::atomic, backend, increments);
            System.out.printf("atomic:      %,d in %d ms%n", counter.get(), ms);
        } finally {
            if (local != null) {
                local.close();
            }
        }
    }
}
