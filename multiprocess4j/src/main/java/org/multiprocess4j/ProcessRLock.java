package org.multiprocess4j;

import org.multiprocess4j.internal.memory.SharedBlock;

/**
 * A re-entrant process-shared lock: Python's {@code multiprocessing.RLock}. The holding thread may acquire it
 * again, and must release it as many times; only the holding thread (of the holding process) may release it.
 * Ownership is the Java thread, not the OS thread, so virtual threads own it properly. See {@link SharedLock}
 * for the guarantees and for what happens when a holder dies.
 */
public final class ProcessRLock extends SharedLock {

    ProcessRLock(SharedBlock block, boolean init) {
        super(block, true, init);
    }

    /** A new re-entrant lock in shared memory, free. */
    public static ProcessRLock create() {
        SharedBlock block = allocate('R');
        return new ProcessRLock(block, true);
    }

    /** How many times the current thread holds this lock; 0 when it does not. */
    public int getHoldCount() {
        return core.holdCount();
    }

    @Override
    public String toString() {
        return "ProcessRLock[" + (isLocked() ? "locked" : "unlocked") + "]";
    }
}
