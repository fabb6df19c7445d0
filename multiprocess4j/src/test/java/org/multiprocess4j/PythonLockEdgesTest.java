package org.multiprocess4j;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.testing.Python;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python locks' ctypes paths (machines without their machine code) never compare against a held lock's word:
 * after an interrupt, or in a forked child.
 */
class PythonLockEdgesTest {
    private static final Path SCRIPT = Path.of("src", "test", "python", "lock_edges.py");

    @BeforeAll
    static void needsPython() throws InterruptedException {
        Python.required();
    }

    /** Runs {@code function} while this JVM holds {@code lock}; the script writes what it saw into a new array. */
    private static LongArray whileHeld(SharedLock lock, String function) {
        LongArray result = SharedCTypes.rawArray(CType.c_long, 2);
        lock.lock();
        try {
            Python.runWithoutMachineCode(SCRIPT, function, lock, result);
        } finally {
            lock.unlock();
        }
        return result;
    }

    @Test
    void anAcquireInterruptedAfterItsFailedCompareAndSwapLeavesNoStaleExpectedWord() {
        for (boolean reentrant : new boolean[] {false, true}) {
            LongArray result = whileHeld(reentrant ? ProcessRLock.create() : ProcessLock.create(),
                    "interrupted_then_again");
            assertEquals(0, result.get(0), (reentrant ? "ProcessRLock" : "ProcessLock")
                    + ": Python took the lock this JVM holds");
        }
    }

    @Test
    void aChildForkedWhileAThreadWasBetweenItsCompareAndSwapAndTheResetTakesNoHeldLock() {
        LongArray result = whileHeld(ProcessLock.create(), "fork_while_a_thread_is_between");
        assertEquals(0, result.get(0), "the forked child's thread took the lock this JVM holds (ident reused: "
                + result.get(1) + ")");
    }

    /** A Python thread waiting long on a lock held here looks again a few times a second, not a hundred. */
    @Test
    void aPythonThreadWaitingLongForALockUsesNoCpu() {
        LongArray result = SharedCTypes.rawArray(CType.c_long, 2);
        ProcessLock lock = ProcessLock.create();
        lock.lock();
        try {
            Python.run(SCRIPT, "wait_idle", lock, result);
        } finally {
            lock.unlock();
        }
        System.out.printf("a Python thread waiting 3 s for a lock: %.1f ms of CPU%n", result.get(0) / 1e3);
        assertEquals(0, result.get(1), "the wait took the lock this JVM holds");
        assertTrue(result.get(0) < 25_000, "the wait used " + result.get(0) / 1e3 + " ms of CPU in 3 s");
    }

    /** A forked child is another process: it holds none of the locks its parent holds. */
    @Test
    void aChildForkedByTheHolderOfARLockDoesNotOwnIt() {
        ProcessRLock lock = ProcessRLock.create();
        LongArray result = SharedCTypes.rawArray(CType.c_long, 1);
        Python.run(SCRIPT, "fork_while_holding", lock, result);
        assertEquals(0, result.get(0), "the child re-entered a lock its parent holds (machine code)");
        Python.runWithoutMachineCode(SCRIPT, "fork_while_holding", lock, result);
        assertEquals(0, result.get(0), "the child re-entered a lock its parent holds");
    }
}
