package org.multiprocess4j;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Processes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Worker processes update shared state under every kind of lock while the test SIGKILLs them at random points,
 * and every worker logs what it committed. The books must balance: no update made twice, no update lost beyond the
 * one a killed process was in the middle of logging, every process that took a lock over from a dead holder told
 * so, and the time from a holder's death to its successor's takeover printed as a distribution.
 */
class KillAccountingTest {
    private static final int WORKERS = 3;
    private static final int LOG_CAPACITY = 1 << 21;
    private static final int MAX_OPS = LOG_CAPACITY / 5 - 1; // five entries an operation at most
    private static final int RING = 64;

    // Log entries: the kind in the top byte, a value (a committed count, a ticket, a nanoTime) below it.
    private static final long A = 1;
    private static final long B = 2;
    private static final long V = 3;
    private static final long PRODUCED = 4;
    private static final long CONSUMED = 5;
    private static final long TOLD = 8; // + 0..3: which lock (A, B, V, Q)
    private static final int KINDS = 12;

    /** Everything the processes share. */
    record Shared(ProcessLock lockA, LongValue counterA, ProcessRLock lockB, LongValue counterB, LongValue value,
                  ProcessLock lockQ, ProcessCondition notEmpty, LongArray ring, LongArray queue, IntValue stop) {
        // queue: [0] head, [1] tail, [2] last ticket issued

        /** The shared objects as a child's arguments, each travelling as its handle. */
        Object[] asArguments() {
            return new Object[] {lockA, counterA, lockB, counterB, value, lockQ, notEmpty, ring, queue, stop};
        }

        static Shared of(Object[] a) {
            return new Shared((ProcessLock) a[0], (LongValue) a[1], (ProcessRLock) a[2], (LongValue) a[3],
                    (LongValue) a[4], (ProcessLock) a[5], (ProcessCondition) a[6], (LongArray) a[7],
                    (LongArray) a[8], (IntValue) a[9]);
        }

        static Shared create() {
            ProcessLock lockQ = ProcessLock.create();
            return new Shared(ProcessLock.create(), SharedCTypes.rawValue(CType.c_long, 0L), ProcessRLock.create(),
                    SharedCTypes.rawValue(CType.c_long, 0L), SharedCTypes.value(CType.c_long, 0L), lockQ,
                    lockQ.newCondition(), SharedCTypes.rawArray(CType.c_long, RING),
                    SharedCTypes.rawArray(CType.c_long, 3), SharedCTypes.rawValue(CType.c_int, 0));
        }

        List<SharedLock> locks() {
            return List.of(lockA, lockB, value.getLock(), lockQ);
        }
    }

    /** Appends entries to a log that another process reads: the entry first, then the count that publishes it. */
    private record Log(LongArray entries) {
        void add(long kind, long value) {
            int n = (int) entries.get(0);
            entries.set(n + 1, kind << 56 | value);
            entries.setRelease(0, n + 1); // publishes the entry to the test, which reads after the worker is gone
        }

        void toldIf(boolean told, int lock) {
            if (told) {
                add(TOLD + lock, System.nanoTime());
            }
        }
    }

    /** The child's entry: the shared objects, then the log and the seed. */
    static void work(Object... args) throws InterruptedException {
        work(Shared.of(args), (LongArray) args[10], (Long) args[11]);
    }

    /** A worker: random operations under the four locks, each logged, until told to stop or killed. */
    private static void work(Shared s, LongArray logEntries, long seed) throws InterruptedException {
        Log log = new Log(logEntries);
        Random random = new Random(seed);
        for (int op = 0; op < MAX_OPS && s.stop().getVolatile() == 0; op++) {
            if (op % 16 == 15) {
                LockSupport.parkNanos(100_000); // paced, so that a worker is still working many kills later
            }
            switch (random.nextInt(5)) {
                case 0 -> {
                    try (var held = s.lockA().hold()) { // a long critical section: holders die inside it
                        log.toldIf(held.previousOwnerDied(), 0);
                        for (int i = 0; i < 4; i++) {
                            long v = s.counterA().get() + 1;
                            s.counterA().set(v);
                            log.add(A, v);
                            LockSupport.parkNanos(100_000);
                        }
                    }
                }
                case 1 -> {
                    try (var held = s.lockB().hold()) {
                        log.toldIf(held.previousOwnerDied(), 1);
                        s.lockB().lock(); // re-entered
                        try {
                            long v = s.counterB().get() + 1;
                            s.counterB().set(v);
                            log.add(B, v);
                        } finally {
                            s.lockB().unlock();
                        }
                    }
                }
                case 2 -> {
                    try (var held = s.value().getLock().hold()) {
                        log.toldIf(held.previousOwnerDied(), 2);
                        long v = s.value().get() + 1;
                        s.value().set(v);
                        log.add(V, v);
                    }
                }
                case 3 -> {
                    try (var held = s.lockQ().hold()) {
                        log.toldIf(held.previousOwnerDied(), 3);
                        LongArray q = s.queue();
                        if (q.get(1) - q.get(0) < RING) {
                            long ticket = q.get(2) + 1;
                            q.set(2, ticket);
                            s.ring().set((int) (q.get(1) % RING), ticket);
                            q.set(1, q.get(1) + 1);
                            log.add(PRODUCED, ticket);
                            s.notEmpty().signal();
                        }
                    }
                }
                default -> {
                    try (var held = s.lockQ().hold()) {
                        log.toldIf(held.previousOwnerDied(), 3);
                        LongArray q = s.queue();
                        if (q.get(0) == q.get(1)) { // one wait at most: every worker may be consuming
                            s.notEmpty().await(5, TimeUnit.MILLISECONDS);
                            log.toldIf(s.lockQ().previousOwnerDied(), 3);
                        }
                        if (q.get(0) < q.get(1)) {
                            long ticket = s.ring().get((int) (q.get(0) % RING));
                            q.set(0, q.get(0) + 1);
                            log.add(CONSUMED, ticket);
                        }
                    }
                }
            }
        }
        while (s.stop().getVolatile() == 0) {
            Thread.sleep(1); // done: wait to be killed or stopped, holding nothing
        }
    }

    /** A running worker and its log. */
    private record Worker(ChildProcess process, LongArray log) {
    }

    private static Worker startWorker(Shared shared) {
        LongArray log = SharedCTypes.rawArray(CType.c_long, LOG_CAPACITY);
        Object[] args = Arrays.copyOf(shared.asArguments(), 12);
        args[10] = log;
        args[11] = ThreadLocalRandom.current().nextLong();
        ChildProcess p = ChildProcess.ofArgs(KillAccountingTest::work, args).daemon(true);
        p.start();
        return new Worker(p, log);
    }

    /** What all logs say, added up as the workers end. */
    private static final class Books {
        final BitSet[] committed = {new BitSet(), new BitSet(), new BitSet()};
        final BitSet produced = new BitSet();
        final BitSet consumed = new BitSet();
        final long[] told = new long[4];
        final List<long[]> toldTimes = new ArrayList<>(); // {lock, nanoTime}
        int duplicates;

        void read(LongArray log) {
            long n = log.getAcquire(0); // pairs with Log.add's release
            for (int i = 1; i <= n; i++) {
                long entry = log.get(i);
                int kind = (int) (entry >>> 56);
                long value = entry & 0x00FF_FFFF_FFFF_FFFFL;
                if (kind >= TOLD && kind < KINDS) {
                    told[kind - (int) TOLD]++;
                    toldTimes.add(new long[] {kind - TOLD, value});
                    continue;
                }
                BitSet set = switch (kind) {
                    case 1, 2, 3 -> committed[kind - 1];
                    case 4 -> produced;
                    case 5 -> consumed;
                    default -> throw new AssertionError("bad log entry " + Long.toHexString(entry));
                };
                if (set.get((int) value)) {
                    duplicates++;
                }
                set.set((int) value);
            }
            log.close();
        }
    }

    @Test
    void killingWorkersAtRandomPointsLosesAtMostWhatEachWasLoggingAndTellsEveryNewOwner() throws Exception {
        killAndAccount(30);
    }

    @Tag("soak")
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void soakKillingWorkersAtRandomPoints() throws Exception {
        killAndAccount(1000);
    }

    private static void killAndAccount(int kills) throws Exception {
        Shared s = Shared.create();
        Books books = new Books();
        long[] expectedTold = new long[4];
        List<long[]> deaths = new ArrayList<>(); // {lock, nanoTime of the kill}
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            workers.add(startWorker(s));
        }
        Random random = new Random();
        for (int k = 0; k < kills; k++) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (Worker w : workers) { // all at work: a holder's death then has successors waiting, as in life
                while (w.log().getAcquire(0) == 0) {
                    assertTrue(System.nanoTime() < deadline, "a worker never started");
                    Thread.sleep(1);
                }
            }
            Thread.sleep(random.nextInt(10)); // a random point in their work, not an ordering
            Worker victim = workers.remove(random.nextInt(workers.size()));
            long pid = victim.process().pid();
            // Stopped, it can neither take nor release a lock, and as it lives nobody takes one over from it: what
            // it holds is then certain, which a look after the kill could miss (the successor is that quick).
            assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor());
            Processes.awaitStopped(pid, Duration.ofSeconds(30));
            List<Integer> held = new ArrayList<>();
            for (int lock = 0; lock < 4; lock++) {
                if (s.locks().get(lock).ownerPid() == pid) {
                    held.add(lock);
                }
            }
            long killedAt = System.nanoTime();
            victim.process().kill();
            assertTrue(victim.process().join(Duration.ofSeconds(30)), "the victim did not die");
            for (int lock : held) {
                expectedTold[lock]++;
                deaths.add(new long[] {lock, killedAt});
            }
            books.read(victim.log());
            victim.process().close();
            workers.add(startWorker(s));
        }
        s.stop().setVolatile(1);
        s.lockQ().lock();
        try {
            s.notEmpty().signalAll();
        } finally {
            s.lockQ().unlock();
        }
        for (Worker w : workers) {
            assertTrue(w.process().join(Duration.ofSeconds(60)), "a worker did not stop");
            assertEquals(0, w.process().exitCode(), "worker: " + w.process().exception());
            books.read(w.log());
        }
        for (int lock = 0; lock < 4; lock++) {
            try (var held = s.locks().get(lock).hold()) { // a death no worker came to take over from
                if (held.previousOwnerDied()) {
                    books.told[lock]++;
                }
            }
        }

        long lost = 0;
        long[] finals = {s.counterA().get(), s.counterB().get(), s.value().get()};
        for (int c = 0; c < 3; c++) {
            assertTrue(books.committed[c].length() - 1 <= finals[c], "a logged commit beyond the final count");
            lost += finals[c] - books.committed[c].cardinality();
        }
        long issued = s.queue().get(2);
        long head = s.queue().get(0);
        long tail = s.queue().get(1);
        BitSet inRing = new BitSet();
        for (long i = head; i < tail; i++) {
            inRing.set((int) s.ring().get((int) (i % RING)));
        }
        assertFalse(inRing.intersects(books.consumed), "a ticket both consumed and still queued");
        assertTrue(books.produced.length() - 1 <= issued && books.consumed.length() - 1 <= issued);
        lost += issued - books.produced.cardinality(); // issued, but the producer died before logging it
        lost += head - books.consumed.cardinality(); // taken, but the consumer died before logging it
        assertEquals(tail - head, inRing.cardinality(), "a queued ticket twice in the ring");
        for (int lock = 0; lock < 4; lock++) {
            assertTrue(books.told[lock] <= expectedTold[lock], "lock " + lock + ": told " + books.told[lock]
                    + " times of " + expectedTold[lock] + " deaths of its holder");
            lost += expectedTold[lock] - books.told[lock]; // the new owner died before logging that it was told
        }

        long[] recovery = recoveryTimes(deaths, books.toldTimes);
        System.out.printf("%d kills: updates %d/%d/%d, tickets %d, holders killed %s, told %s, unlogged %d, "
                        + "duplicates %d%n", kills, finals[0], finals[1], finals[2], issued,
                Arrays.toString(expectedTold), Arrays.toString(books.told), lost, books.duplicates);
        if (recovery.length > 0) {
            System.out.printf("recovery from a killed holder to its successor (%d deaths): median %.1f ms, "
                            + "p99 %.1f ms, max %.1f ms%n", recovery.length, recovery[recovery.length / 2] / 1e6,
                    recovery[Math.max(0, (int) Math.ceil(recovery.length * 0.99) - 1)] / 1e6,
                    recovery[recovery.length - 1] / 1e6);
        }
        assertEquals(0, books.duplicates, "an update or ticket was logged twice");
        assertTrue(lost >= 0 && lost <= kills, lost + " unlogged updates for " + kills + " kills");
        if (recovery.length >= 100) {
            long p99 = recovery[(int) Math.ceil(recovery.length * 0.99) - 1];
            assertTrue(p99 < 200_000_000L, "recovery p99 " + p99 / 1_000_000 + " ms");
        }
    }

    /** For each holder's death, the time until a worker logged that it took that lock over, sorted. */
    private static long[] recoveryTimes(List<long[]> deaths, List<long[]> told) {
        List<Long> times = new ArrayList<>();
        for (long[] death : deaths) {
            long best = Long.MAX_VALUE;
            for (long[] t : told) {
                if (t[0] == death[0] && t[1] >= death[1]) {
                    best = Math.min(best, t[1] - death[1]);
                }
            }
            if (best != Long.MAX_VALUE) {
                times.add(best);
            }
        }
        return times.stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
