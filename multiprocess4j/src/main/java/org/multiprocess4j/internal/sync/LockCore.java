package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A robust process-shared mutex on a {@link LockLayout} block: the algorithm behind {@code ProcessLock} and
 * {@code ProcessRLock}.
 */
/* Implementation overview
 *
 * State machine of the owner word (see LockLayout):
 *   0                     free
 *   SELF                  held by SELF, nobody asleep
 *   SELF | WAITERS        held by SELF, someone may be asleep on the futex (the word's high half)
 * Transitions:
 *   acquire (fast)        CAS 0 -> SELF
 *   acquire (after wait)  CAS 0 -> SELF | WAITERS  (others may still sleep: keep the bit, the classic futex mutex)
 *   announce a sleeper    CAS w -> w | WAITERS, then FUTEX_WAIT(high half, high(w | WAITERS))
 *   release               getAndSet 0; if the old value had WAITERS, FUTEX_WAKE one
 *   recover               CAS w -> SELF | WAITERS, when w's owner (pid + start time) is no longer running
 * The CAS in recovery compares the whole word, owner identity included, so two recoverers, or a recoverer racing
 * with a release, cannot both win. A pid alone could be reused; the start time cannot.
 *
 * Sleepers wake within LIVENESS_PERIOD_NANOS to check that the owner still runs, so a holder killed with SIGKILL
 * is noticed within about twice that. The check reads /proc only after a sleep that timed out, never on the
 * hand-off path.
 *
 * Within one JVM, only the holder of the local gate (a j.u.c ReentrantLock, so virtual threads park on it
 * properly) sleeps on the futex: a thousand threads waiting in one process cost one sleeper.
 */
public final class LockCore {
    /** This process's identity in the owner word: pid and the low half of its start time. */
    static final long SELF = (CurrentProcess.PID << 32) | (CurrentProcess.START_TIME & 0xFFFF_FFFFL);
    static final long LIVENESS_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int SPINS = 200;

    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment segment;
    private final MemorySegment futexWord;
    private final boolean reentrant;
    private final ReentrantLock gate = new ReentrantLock();

    /** Views a lock block; {@code init} writes a fresh lock into zeroed memory. */
    public LockCore(MemorySegment segment, boolean reentrant, boolean init) {
        this.segment = segment;
        this.futexWord = segment.asSlice(LockLayout.OWNER_HIGH, 4);
        this.reentrant = reentrant;
        int kind = reentrant ? LockLayout.KIND_RLOCK : LockLayout.KIND_LOCK;
        if (init) {
            INT.setRelease(segment, LockLayout.KIND, kind); // publishes the zeroed lock before any handle exists
        } else {
            int found = (int) INT.getAcquire(segment, LockLayout.KIND); // pairs with the release above
            if (found != kind) {
                throw new IllegalArgumentException("handle's memory does not hold a " + (reentrant ? "ProcessRLock"
                        : "ProcessLock") + ": kind expected=" + kind + " found=" + found);
            }
        }
    }

    private static long me() {
        return Thread.currentThread().threadId();
    }

    /**
     * Whether the current thread holds this lock. The owner-thread field is checked first: it can equal this
     * thread's id only if this thread wrote it while holding the lock, and it is cleared before every release; the
     * owner word then confirms that the holder is this process.
     */
    public boolean isHeldByCurrentThread() {
        return segment.get(JAVA_LONG, LockLayout.OWNER_THREAD) == me()
                && ((long) LONG.getOpaque(segment, LockLayout.OWNER) & ~LockLayout.WAITERS) == SELF; // our own write
    }

    /** Whether the owner-died flag is set; meaningful to the holder, right after acquiring. */
    public boolean ownerDiedFlag() {
        return (segment.get(JAVA_INT, LockLayout.FLAGS) & LockLayout.FLAG_OWNER_DIED) != 0;
    }

    /** Whether any thread of any process holds this lock. */
    public boolean isLocked() {
        return (long) LONG.getVolatile(segment, LockLayout.OWNER) != 0; // a snapshot, stale at once
    }

    /** Tries once, without waiting; true when the current thread now holds the lock. */
    public boolean tryAcquire() {
        if (LONG.compareAndSet(segment, LockLayout.OWNER, 0L, SELF)) { // acquires: pairs with release()
            owned(1);
            return true;
        }
        return reentrant && reenter();
    }

    private boolean reenter() {
        long w = (long) LONG.getVolatile(segment, LockLayout.OWNER); // sees our own CAS if we hold it
        if ((w & ~LockLayout.WAITERS) == SELF && segment.get(JAVA_LONG, LockLayout.OWNER_THREAD) == me()) {
            int holds = segment.get(JAVA_INT, LockLayout.HOLDS);
            if (holds == Integer.MAX_VALUE) {
                throw new Error("maximum lock count exceeded");
            }
            segment.set(JAVA_INT, LockLayout.HOLDS, holds + 1); // read only by this thread while it holds the lock
            return true;
        }
        return false;
    }

    private void owned(int holds) {
        // Plain stores, read by this process only, while it holds the lock; the releasing getAndSet publishes them.
        segment.set(JAVA_LONG, LockLayout.OWNER_THREAD, me());
        segment.set(JAVA_INT, LockLayout.HOLDS, holds);
    }

    /**
     * Acquires, waiting at most {@code timeoutNanos} ({@code Long.MAX_VALUE}: for ever).
     *
     * @return true when acquired
     * @throws InterruptedException when {@code interruptible} and the thread is interrupted while waiting
     */
    public boolean acquire(long timeoutNanos, boolean interruptible) throws InterruptedException {
        if (tryAcquire()) {
            return true;
        }
        long start = System.nanoTime();
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if ((long) LONG.getOpaque(segment, LockLayout.OWNER) == 0 // a cheap look before the CAS
                    && LONG.compareAndSet(segment, LockLayout.OWNER, 0L, SELF)) { // acquires
                owned(1);
                return true;
            }
        }
        if (timeoutNanos <= 0) {
            return false;
        }
        if (!enterGate(start, timeoutNanos, interruptible)) {
            return false;
        }
        try {
            return acquireSlow(start, timeoutNanos, interruptible);
        } finally {
            gate.unlock();
        }
    }

    private boolean enterGate(long start, long timeoutNanos, boolean interruptible) throws InterruptedException {
        if (timeoutNanos == Long.MAX_VALUE) {
            if (interruptible) {
                gate.lockInterruptibly();
            } else {
                gate.lock();
            }
            return true;
        }
        long left = timeoutNanos - (System.nanoTime() - start);
        if (interruptible) {
            return gate.tryLock(left, TimeUnit.NANOSECONDS);
        }
        try {
            return gate.tryLock(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return gate.tryLock();
        }
    }

    private boolean acquireSlow(long start, long timeoutNanos, boolean interruptible) throws InterruptedException {
        long lastLivenessCheck = System.nanoTime();
        boolean interrupted = false;
        try {
            while (true) {
                long w = (long) LONG.getVolatile(segment, LockLayout.OWNER);
                if (w == 0) {
                    if (LONG.compareAndSet(segment, LockLayout.OWNER, 0L, SELF | LockLayout.WAITERS)) { // acquires
                        owned(1);
                        return true;
                    }
                    continue;
                }
                if ((w & LockLayout.WAITERS) == 0) {
                    LONG.compareAndSet(segment, LockLayout.OWNER, w, w | LockLayout.WAITERS); // announces a sleeper
                    continue;
                }
                long now = System.nanoTime();
                long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : timeoutNanos - (now - start);
                if (left <= 0) {
                    return false;
                }
                if (now - lastLivenessCheck >= LIVENESS_PERIOD_NANOS) {
                    lastLivenessCheck = now;
                    if (ownerIsDead(w) && LONG.compareAndSet(segment, LockLayout.OWNER, w,
                            SELF | LockLayout.WAITERS)) { // takes over from the dead owner
                        owned(1);
                        segment.set(JAVA_INT, LockLayout.FLAGS, LockLayout.FLAG_OWNER_DIED); // read by the new holder
                        return true;
                    }
                }
                Waiting.sleep(futexWord, (int) (w >>> 32), Math.min(left, LIVENESS_PERIOD_NANOS));
                if (Thread.interrupted()) {
                    if (interruptible) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean ownerIsDead(long w) {
        long owner = w & ~LockLayout.WAITERS;
        if (owner == SELF) {
            return false; // a thread of this process holds it: not a death to recover from
        }
        long pid = owner >>> 32;
        long startTime = Platform.current().processStartTime(pid);
        return startTime < 0 || (startTime & 0xFFFF_FFFFL) != (owner & 0xFFFF_FFFFL);
    }

    /**
     * Releases one hold.
     *
     * @throws IllegalMonitorStateException when the lock is not held, or (for a re-entrant lock) held by another
     *                                      thread
     */
    public void release() {
        long w = (long) LONG.getVolatile(segment, LockLayout.OWNER);
        if (w == 0) {
            throw new IllegalMonitorStateException("release of a " + (reentrant ? "ProcessRLock" : "ProcessLock")
                    + " that is not held");
        }
        if (reentrant) {
            if ((w & ~LockLayout.WAITERS) != SELF || segment.get(JAVA_LONG, LockLayout.OWNER_THREAD) != me()) {
                throw new IllegalMonitorStateException("release of a ProcessRLock held by another thread "
                        + "(owner pid " + ((w & ~LockLayout.WAITERS) >>> 32) + ")");
            }
            int holds = segment.get(JAVA_INT, LockLayout.HOLDS);
            if (holds > 1) {
                segment.set(JAVA_INT, LockLayout.HOLDS, holds - 1); // still held by this thread
                return;
            }
        }
        releaseFully();
    }

    /** Releases every hold of the current (owning) thread; returns how many there were. */
    public int releaseAll() {
        int holds = segment.get(JAVA_INT, LockLayout.HOLDS);
        releaseFully();
        return holds;
    }

    private void releaseFully() {
        segment.set(JAVA_LONG, LockLayout.OWNER_THREAD, 0L);
        segment.set(JAVA_INT, LockLayout.HOLDS, 0);
        segment.set(JAVA_INT, LockLayout.FLAGS, 0);
        long old = (long) LONG.getAndSet(segment, LockLayout.OWNER, 0L); // publishes the protected data and the
                                                                          // fields above to the next acquirer
        if ((old & LockLayout.WAITERS) != 0) {
            Waiting.wake(futexWord, 1);
        }
    }

    /** Re-acquires after a condition wait, restoring the hold count. */
    public void reacquire(int holds) {
        try {
            acquire(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible acquire was interrupted", e);
        }
        segment.set(JAVA_INT, LockLayout.HOLDS, holds); // read only by this thread while it holds the lock
    }

    /** Whether the current holder took the lock over from a process that died holding it. */
    public boolean previousOwnerDied() {
        return isHeldByCurrentThread() && (segment.get(JAVA_INT, LockLayout.FLAGS) & LockLayout.FLAG_OWNER_DIED) != 0;
    }

    /** The recursion depth of the current thread's hold, 0 when it does not hold the lock. */
    public int holdCount() {
        return isHeldByCurrentThread() ? segment.get(JAVA_INT, LockLayout.HOLDS) : 0;
    }
}
