package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * Which thread of the owning process holds the lock, how many times, and whether it took the lock over from a dead
 * owner are known only to that process: they live in a Local, one per lock per JVM however many objects view the
 * lock, never in shared memory. So "does the current thread hold it?", asked by every accessor of a synchronized
 * object, is one read of a heap field. Local.holder is written by the holder after its acquiring CAS and cleared
 * by the releaser before the releasing getAndSet: it equals a thread only while that thread holds the lock. (Python
 * lets any process release a Lock; a holder whose Lock another process released goes on believing it holds it
 * until it releases it, which is then a release by a non-holder too: of whoever holds it then, or an error when it
 * is free.)
 */
public final class LockCore {
    /** This process's identity in the owner word: pid and the low half of its start time. */
    static final long SELF = (CurrentProcess.PID << 32) | (CurrentProcess.START_TIME & 0xFFFF_FFFFL);
    static final long LIVENESS_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int SPINS = 200;

    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private static final VarHandle HOLDER;
    private static final Map<Key, LocalRef> LOCALS = new ConcurrentHashMap<>();
    private static final ReferenceQueue<Local> UNUSED = new ReferenceQueue<>();

    static {
        try {
            HOLDER = MethodHandles.lookup().findVarHandle(Local.class, "holder", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemorySegment segment;
    private final MemorySegment futexWord;
    private final boolean reentrant;
    private final Key key;
    private final Local local;

    /**
     * Views a lock block; {@code init} writes a fresh lock into zeroed memory. The block is identified by its
     * arena's id, its offset and its generation, so that every view of one lock in this JVM shares one Local: an
     * attached view finds it in a registry; a new lock's own view enters it there only in {@link #share()}, as no
     * other view can exist before the lock's handle does (most locks never leave their process, and the registry
     * costs a weak reference each).
     */
    public LockCore(MemorySegment segment, long arenaId, long offset, int generation, boolean reentrant,
                    boolean init) {
        this.segment = segment;
        this.key = new Key(arenaId, offset, generation);
        this.local = init ? new Local() : local(key, null);
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

    /** What only this JVM knows of one lock: shared by every view of it here. */
    private static final class Local {
        /** The holding thread of this process, or null; see the overview for when it is written. */
        private Thread holder; // accessed through HOLDER only
        /** The recursion depth; read and written by the holder only. */
        private int holds;
        /** Whether the holder took the lock over from a dead owner; read and written by the holder only. */
        private boolean ownerDied;
        /** Whether the registry holds this Local; see {@link #share()}. */
        private boolean shared;
        /** Admits one sleeper on the futex at a time. */
        private final ReentrantLock gate = new ReentrantLock();
    }

    private record Key(long arenaId, long offset, int generation) {
    }

    private static final class LocalRef extends WeakReference<Local> {
        private final Key key;

        LocalRef(Local local, Key key) {
            super(local, UNUSED);
            this.key = key;
        }
    }

    /**
     * Makes this view's Local the one later views of the lock in this JVM find; called before the lock's handle is
     * given out.
     */
    public void share() {
        if (!local.shared) {
            local(key, local);
            local.shared = true; // benign race: a second registration finds the first
        }
    }

    /** The registered Local of {@code key}, registering {@code mine} (or a fresh one) when there is none. */
    private static Local local(Key key, Local mine) {
        for (Reference<? extends Local> gone; (gone = UNUSED.poll()) != null; ) {
            LOCALS.remove(((LocalRef) gone).key, gone);
        }
        while (true) {
            LocalRef ref = LOCALS.get(key);
            Local found = ref == null ? null : ref.get();
            if (found != null) {
                return found;
            }
            Local fresh = mine != null ? mine : new Local();
            LocalRef freshRef = new LocalRef(fresh, key);
            if (ref == null ? LOCALS.putIfAbsent(key, freshRef) == null : LOCALS.replace(key, ref, freshRef)) {
                return fresh;
            }
        }
    }

    /**
     * Whether the current thread holds this lock. An opaque read, so that a loop that asks again sees a release
     * made by another thread of this process.
     */
    public boolean isHeldByCurrentThread() {
        return HOLDER.getOpaque(local) == Thread.currentThread(); // this thread's own write, or a releaser's clear
    }

    /** Whether the holder took the lock over from a dead owner; meaningful to the holder only. */
    public boolean ownerDiedFlag() {
        return local.ownerDied;
    }

    /** Whether any thread of any process holds this lock. */
    public boolean isLocked() {
        return (long) LONG.getVolatile(segment, LockLayout.OWNER) != 0; // a snapshot, stale at once
    }

    /** Tries once, without waiting; true when the current thread now holds the lock. */
    public boolean tryAcquire() {
        if (LONG.compareAndSet(segment, LockLayout.OWNER, 0L, SELF)) { // acquires: pairs with release()
            owned(false);
            return true;
        }
        return reentrant && reenter();
    }

    private boolean reenter() {
        if (!isHeldByCurrentThread()) {
            return false;
        }
        if (local.holds == Integer.MAX_VALUE) {
            throw new Error("maximum lock count exceeded");
        }
        local.holds++;
        return true;
    }

    private void owned(boolean ownerDied) {
        local.holds = 1;
        local.ownerDied = ownerDied;
        HOLDER.setOpaque(local, Thread.currentThread()); // read by this thread; cleared by the releaser
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
                owned(false);
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
            local.gate.unlock();
        }
    }

    private boolean enterGate(long start, long timeoutNanos, boolean interruptible) throws InterruptedException {
        if (timeoutNanos == Long.MAX_VALUE) {
            if (interruptible) {
                local.gate.lockInterruptibly();
            } else {
                local.gate.lock();
            }
            return true;
        }
        long left = timeoutNanos - (System.nanoTime() - start);
        if (interruptible) {
            return local.gate.tryLock(left, TimeUnit.NANOSECONDS);
        }
        try {
            return local.gate.tryLock(left, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return local.gate.tryLock();
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
                        owned(false);
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
                        owned(true);
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
            if (!isHeldByCurrentThread()) {
                throw new IllegalMonitorStateException("release of a ProcessRLock held by another thread "
                        + "(owner pid " + ((w & ~LockLayout.WAITERS) >>> 32) + ")");
            }
            if (local.holds > 1) {
                local.holds--;
                return;
            }
        }
        releaseFully();
    }

    /** Releases every hold of the current (owning) thread; returns how many there were. */
    public int releaseAll() {
        int holds = local.holds;
        releaseFully();
        return holds;
    }

    private void releaseFully() {
        local.holds = 0;
        local.ownerDied = false;
        HOLDER.setOpaque(local, null); // before the release: the holder never sees itself named after it
        long old = (long) LONG.getAndSet(segment, LockLayout.OWNER, 0L); // publishes the protected data
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
        local.holds = holds;
    }

    /** Whether the current holder took the lock over from a process that died holding it. */
    public boolean previousOwnerDied() {
        return isHeldByCurrentThread() && local.ownerDied;
    }

    /** The recursion depth of the current thread's hold, 0 when it does not hold the lock. */
    public int holdCount() {
        return isHeldByCurrentThread() ? local.holds : 0;
    }
}
