package org.multiprocess4j;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conditions under churn across processes: a token ring where each player awaits its own condition (a dispatcher
 * starts and ends at every pass), and rounds of signalAll to waiters in several JVMs. A lost signal shows as a
 * ring or a round that stops moving; the test fails after 10 s without progress.
 */
class ConditionStressTest {
    private static final int JVMS = 2;
    private static final int PER_JVM = 3;
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(10);

    // Shared state: [0] whose turn, [1] passes or rounds done, [2] stop, [3] waiters that saw the current round.

    /** Player threads of one JVM: player p awaits conditions[p] until it is its turn, then passes to p + 1. */
    static void players(Object... args) throws InterruptedException {
        int first = (Integer) args[0];
        LongArray state = (LongArray) args[1];
        ProcessLock lock = (ProcessLock) args[2];
        int players = args.length - 3;
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < PER_JVM; k++) {
            int me = first + k;
            ProcessCondition mine = (ProcessCondition) args[3 + me];
            ProcessCondition next = (ProcessCondition) args[3 + (me + 1) % players];
            Runnable play = () -> {
                while (state.getVolatile(2) == 0) {
                    lock.lock();
                    try {
                        while (state.get(0) != me && state.getVolatile(2) == 0) {
                            mine.awaitUninterruptibly();
                        }
                        state.set(0, (me + 1) % players);
                        state.set(1, state.get(1) + 1);
                        next.signal();
                    } finally {
                        lock.unlock();
                    }
                }
            };
            threads.add(k % 2 == 0 ? Thread.ofPlatform().start(play) : Thread.ofVirtual().start(play));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    /** Waiter threads of one JVM: each awaits every round of signalAll and counts itself in. */
    static void roundWaiters(LongArray state, ProcessLock lock, ProcessCondition round) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < PER_JVM; k++) {
            Runnable wait = () -> {
                long seen = 0;
                while (state.getVolatile(2) == 0) {
                    lock.lock();
                    try {
                        while (state.get(1) == seen && state.getVolatile(2) == 0) {
                            round.awaitUninterruptibly();
                        }
                        seen = state.get(1);
                        state.set(3, state.get(3) + 1);
                    } finally {
                        lock.unlock();
                    }
                }
            };
            threads.add(k % 2 == 0 ? Thread.ofPlatform().start(wait) : Thread.ofVirtual().start(wait));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test
    void aTokenRingOfConditionsAcrossProcessesNeverLosesASignal() throws Exception {
        tokenRing(30_000);
    }

    @Tag("soak")
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void soakATokenRingOfConditions() throws Exception {
        tokenRing(2_000_000);
    }

    @Test
    void roundsOfSignalAllReachEveryWaiterInEveryProcess() throws Exception {
        signalAllRounds(2_000);
    }

    @Tag("soak")
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void soakRoundsOfSignalAll() throws Exception {
        signalAllRounds(100_000);
    }

    private static void tokenRing(long passes) throws Exception {
        ProcessLock lock = ProcessLock.create();
        LongArray state = SharedCTypes.rawArray(CType.c_long, 4);
        List<Object> conditions = new ArrayList<>();
        for (int i = 0; i < JVMS * PER_JVM; i++) {
            conditions.add(lock.newCondition());
        }
        List<ChildProcess> children = new ArrayList<>();
        for (int j = 0; j < JVMS; j++) {
            List<Object> args = new ArrayList<>(List.of(j * PER_JVM, state, lock));
            args.addAll(conditions);
            children.add(start(ChildProcess.ofArgs(ConditionStressTest::players, args.toArray())));
        }
        try {
            awaitProgress(state, 1, passes, "passes of the token");
        } finally {
            stop(state, lock, conditions, children);
        }
    }

    private static void signalAllRounds(long rounds) throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition round = lock.newCondition();
        LongArray state = SharedCTypes.rawArray(CType.c_long, 4);
        List<ChildProcess> children = new ArrayList<>();
        for (int j = 0; j < JVMS; j++) {
            children.add(start(new ChildProcess(ConditionStressTest::roundWaiters, state, lock, round)));
        }
        try {
            long everyone = (long) JVMS * PER_JVM;
            for (long r = 1; r <= rounds; r++) {
                lock.lock();
                try {
                    state.set(1, r);
                    round.signalAll();
                } finally {
                    lock.unlock();
                }
                awaitProgress(state, 3, r * everyone, "waiters woken by round " + r);
            }
        } finally {
            stop(state, lock, List.of(round), children);
        }
    }

    private static ChildProcess start(ChildProcess child) {
        child.daemon(true).start();
        return child;
    }

    /** Waits until state[index] reaches {@code target}; fails when it stops moving for 10 s. */
    private static void awaitProgress(LongArray state, int index, long target, String what) throws Exception {
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            long now = state.getVolatile(index);
            if (now >= target) {
                return;
            }
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            }
            assertTrue(System.nanoTime() - lastChange < STALL_NANOS, what + ": stuck at " + now + " of " + target
                    + " for 10 s (a lost signal)");
            Thread.sleep(1);
        }
    }

    private static void stop(LongArray state, ProcessLock lock, List<Object> conditions, List<ChildProcess> children) {
        state.setVolatile(2, 1);
        lock.lock();
        try {
            for (Object c : conditions) {
                ((ProcessCondition) c).signalAll();
            }
        } finally {
            lock.unlock();
        }
        for (ChildProcess child : children) {
            if (!child.join(Duration.ofSeconds(30))) {
                child.kill();
            }
        }
    }
}
