package org.multiprocess4j.internal.sync;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A process-shared condition variable on a futex sequence word.
 *
 * <pre>
 *   0          4            8          16
 *   +----------+------------+----------+
 *   | sequence | sleepers   | kind = 3 |
 *   | (int)    | (int)      | (int)    |
 *   +----------+------------+----------+
 * </pre>
 */
/* Implementation overview
 *
 * A waiter reads the sequence while holding the lock, counts itself in sleepers, releases the lock and sleeps
 * while the sequence is unchanged. A signaller (holding the lock) increments the sequence, then wakes one
 * (signal) or all (signalAll) sleepers. A signal between the waiter's read and its sleep changes the sequence, so
 * the sleep returns at once: no wake-up is lost. No waiter state lives in shared memory except the sleeper count,
 * which only saves wake calls: a waiter killed while waiting leaves it too high, which costs a few needless wake
 * calls and breaks nothing (glibc's process-shared pthread_cond_t keeps per-waiter state and can lose signals
 * then). Spurious wake-ups are possible, as Condition allows.
 */
public final class ConditionCore {
    public static final long SIZE = 16;
    public static final long ALIGNMENT = 8;
    private static final long SEQUENCE = 0;
    private static final long SLEEPERS = 4;
    private static final long KIND = 8;
    private static final int KIND_CONDITION = 3;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment segment;
    private final MemorySegment sequenceWord;

    public ConditionCore(MemorySegment segment, boolean init) {
        this.segment = segment;
        this.sequenceWord = segment.asSlice(SEQUENCE, 4);
        if (init) {
            INT.setRelease(segment, KIND, KIND_CONDITION); // publishes the zeroed condition
        } else if ((int) INT.getAcquire(segment, KIND) != KIND_CONDITION) { // pairs with the release above
            throw new IllegalArgumentException("handle's memory does not hold a condition: kind expected="
                    + KIND_CONDITION + " found=" + INT.getAcquire(segment, KIND));
        }
    }

    /**
     * Releases {@code lock} fully, waits for a signal or {@code nanos}, and re-acquires it.
     *
     * @return the nanoseconds left of {@code nanos} (0 or less: timed out)
     */
    public long await(LockCore lock, long nanos, boolean interruptible) throws InterruptedException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("await on a condition whose lock the current thread does not hold");
        }
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        long start = System.nanoTime();
        int sequence = (int) INT.getVolatile(segment, SEQUENCE); // read under the lock: orders with signal()
        INT.getAndAdd(segment, SLEEPERS, 1); // lets signal() know a wake call is needed
        int holds = lock.releaseAll();
        boolean interrupted = false;
        try {
            while ((int) INT.getVolatile(segment, SEQUENCE) == sequence) { // pairs with signal's increment
                long left = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos - (System.nanoTime() - start);
                if (left <= 0) {
                    break;
                }
                Waiting.sleep(sequenceWord, sequence, Math.min(left, LockCore.LIVENESS_PERIOD_NANOS));
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible) {
                        break;
                    }
                }
            }
        } finally {
            INT.getAndAdd(segment, SLEEPERS, -1);
            lock.reacquire(holds);
        }
        if (interrupted) {
            if (interruptible) {
                throw new InterruptedException();
            }
            Thread.currentThread().interrupt();
        }
        return nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos - (System.nanoTime() - start);
    }

    /** Wakes one waiter (or, rarely, more), of any process. */
    public void signal(LockCore lock) {
        notify(lock, 1);
    }

    /** Wakes every waiter, of any process. */
    public void signalAll(LockCore lock) {
        notify(lock, Integer.MAX_VALUE);
    }

    private void notify(LockCore lock, int count) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("signal on a condition whose lock the current thread does not "
                    + "hold");
        }
        INT.getAndAdd(segment, SEQUENCE, 1); // a waiter about to sleep sees the change and does not
        if ((int) INT.getVolatile(segment, SLEEPERS) > 0) { // ordered after the increment by the atomic add
            Waiting.wake(sequenceWord, count);
        }
    }

}
