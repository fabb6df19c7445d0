package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.events.Logs;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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
 * Waiting. Within one JVM only the holder of the local gate (a j.u.c ReentrantLock, so that virtual threads park
 * on it properly and interrupts reach its queue at once) waits for the shared word; it never sleeps in the kernel
 * itself. It asks for one helper thread to sleep on the futex for this JVM (sleepOnWord: at most one per lock and
 * JVM, shared by successive gate holders) and parks in Java until that sleep returns. So a thousand waiting
 * threads, platform or virtual, cost one sleeping helper; an interrupt reaches any of them in microseconds. The
 * helper's return counts in Local.wakeups and unparks the gate holder; when no gate holder is parked for it (it
 * left: timed out, interrupted, or took the lock by a CAS of its own), a wake-up it received is passed on with
 * another FUTEX_WAKE, so that the wake-up the releaser meant for one sleeper is never swallowed. A gate holder that
 * leaves without the lock after its helper returned passes one on for the same reason.
 *
 * Death of an owner. The gate holder asks DeathWatch to wake the word when the owner (pid + start time, as in the
 * word) dies: the kernel tells through a pidfd, within milliseconds, and the woken gate holder sees the owner
 * among the dead and recovers with one CAS. Where the kernel has no pidfd, helpers sleep at most
 * LIVENESS_PERIOD_NANOS and the gate holder looks at /proc that often; never on the hand-off path.
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
    private static final int SPINS = 200;
    /** Sleeps a platform thread makes in the kernel itself before it hands the wait to a helper. */
    private static final int MAX_DIRECT_SLEEPS = 4;
    /** The longest such sleep: the most an interrupt may wait to be seen. */
    private static final long DIRECT_SLEEP_NANOS = 200_000;
    /** The longest a gate holder parks before it looks at the owner word again. */
    private static final long PARK_NANOS = 25_000_000;

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
    /** The futex word's address: the high half of the owner word. */
    private final long futexAddress;
    /** What DeathWatch tells when the owner this view's gate holder waits for dies. */
    private final DeathWaiter deathWaiter;
    private final boolean reentrant;
    private final Key key;
    private final Local local;
    /** The handle of the object this lock is part of, made when an event or the log names the lock. */
    private final Supplier<String> handle;

    /**
     * Views a lock block; {@code init} writes a fresh lock into zeroed memory. The block is identified by its
     * arena's id, its offset and its generation, so that every view of one lock in this JVM shares one Local: an
     * attached view finds it in a registry; a new lock's own view enters it there only in {@link #share()}, as no
     * other view can exist before the lock's handle does (most locks never leave their process, and the registry
     * costs a weak reference each). {@code handle} gives the handle of the object the lock is part of, for the
     * flight recorder's events and the log.
     */
    public LockCore(MemorySegment segment, long arenaId, long offset, int generation, boolean reentrant,
                    boolean init, Supplier<String> handle) {
        this.segment = segment;
        this.handle = handle;
        this.key = new Key(arenaId, offset, generation);
        this.local = init ? new Local() : local(key, null);
        this.futexAddress = segment.address() + LockLayout.OWNER_HIGH;
        this.deathWaiter = new DeathWaiter(futexAddress, this.local);
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
        /** Admits one thread of this JVM at a time to wait for the shared word: the others queue here. */
        private final ReentrantLock gate = new ReentrantLock();
        /** The gate holder while it is parked for the helper's sleep, else null. */
        private volatile Thread parked;
        /** How many helper sleeps on the word have returned; written under this Local's monitor. */
        private volatile int wakeups;
        /** Whether a helper sleeps on the word now; guarded by this Local's monitor. */
        private boolean sleeping;
        /** The threads of this JVM in a condition's wait, which will take the lock again before they return. */
        private final AtomicInteger conditionWaiters = new AtomicInteger();
    }

    /**
     * A lock word's identity. Its {@code equals} and {@code hashCode} are written out: a record's generated ones
     * are bootstrapped at first use, some 8 classes spun, which a child attaching its first lock would pay.
     */
    private record Key(long arenaId, long offset, int generation) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.arenaId == arenaId && k.offset == offset && k.generation == generation;
        }

        @Override
        public int hashCode() {
            return (Long.hashCode(arenaId) * 31 + Long.hashCode(offset)) * 31 + generation;
        }
    }

    /** Counts a death as a wake-up of the Local, so that its parked gate holder looks again at once. */
    private record DeathWaiter(long address, Local local) implements DeathWatch.Waiter {
        @Override
        public void ownerDied() {
            Thread parked;
            synchronized (local) {
                local.wakeups++;
                parked = local.parked;
            }
            if (parked != null) {
                LockSupport.unpark(parked);
            }
        }

        @Override
        public boolean equals(Object other) {
            return this == other;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
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

    /** Counts the calling thread, about to let go of the lock in a condition's wait, until it has it again. */
    void enterConditionWait() {
        local.conditionWaiters.incrementAndGet();
    }

    void leaveConditionWait() {
        local.conditionWaiters.decrementAndGet();
    }

    /** How many threads of this JVM wait on a condition bound to this lock, in any view of it: a snapshot. */
    public int conditionWaiters() {
        return local.conditionWaiters.get();
    }

    /** How many threads of this JVM wait for this lock, in any view of it: a snapshot. */
    public int localWaiters() {
        return local.gate.getQueueLength() + (local.gate.isLocked() ? 1 : 0);
    }

    /** The pid of the process holding this lock, 0 when it is free; a snapshot, stale at once. */
    public long ownerPid() {
        return ((long) LONG.getVolatile(segment, LockLayout.OWNER) & ~LockLayout.WAITERS) >>> 32;
    }

    /** Tries once, without waiting; true when the current thread now holds the lock. */
    public boolean tryAcquire() {
        boolean won;
        try {
            won = LONG.compareAndSet(segment, LockLayout.OWNER, 0L, SELF); // acquires: pairs with release()
        } catch (IllegalStateException e) {
            throw closedOr(segment, handle, e);
        }
        if (won) {
            owned(false);
            return true;
        }
        return reentrant && reenter();
    }

    /**
     * Tries once, without waiting, and takes the lock over when the process holding it no longer runs (which a
     * zero-timeout wait would not wait long enough to learn); true when the current thread now holds the lock.
     */
    public boolean tryAcquireOrRecover() {
        if (tryAcquire()) {
            return true;
        }
        long w = (long) LONG.getVolatile(segment, LockLayout.OWNER);
        long owner = w & ~LockLayout.WAITERS;
        if (w != 0 && owner != SELF && (DeathWatch.isKnownDead(owner) || DeathWatch.looksDead(owner))
                && LONG.compareAndSet(segment, LockLayout.OWNER, w, SELF | LockLayout.WAITERS)) { // takes over
            tookOver(owner);
            return true;
        }
        return false;
    }

    /**
     * Takes a lock that guards a few words and is held for microseconds: at once when free, else waiting
     * {@code timeoutNanos} but at least {@link Deadlines#LOCK_GRACE_NANOS}, so that even a call that must not wait
     * (a zero timeout) does not fail for a moment's contention. A dead holder is taken over as {@link #acquire}
     * takes it over, once a short spin has not seen the lock free: a holder found there is almost always alive and
     * about to release, and looking in /proc first (a file read) cost a busy queue tens of microseconds per
     * collision.
     */
    public boolean acquireBriefly(long timeoutNanos, boolean interruptible) throws InterruptedException {
        try {
            return tryAcquire() || acquire(Math.max(timeoutNanos, Deadlines.LOCK_GRACE_NANOS), interruptible);
        } catch (IllegalStateException e) {
            throw closedOr(segment, handle, e);
        }
    }

    /**
     * {@code e}, or when {@code segment}'s memory is closed, an exception that says which object was (the FFM
     * runtime's own message names nothing): the object whose handle {@code handle} gives.
     */
    public static IllegalStateException closedOr(MemorySegment segment, Supplier<String> handle,
                                                 IllegalStateException e) {
        return segment.scope().isAlive() ? e : new IllegalStateException(Events.handleOrWhy(handle)
                + " was closed in this process: it cannot be used after close()", e);
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
        Thread self = Thread.currentThread();
        HOLDER.setOpaque(local, self); // read by this thread; cleared by the releaser
        segment.set(JAVA_LONG, LockLayout.HOLDER, SELF); // for an inspector only: see LockLayout
        segment.set(JAVA_LONG, LockLayout.HOLDER_THREAD, self.threadId());
    }

    /**
     * Acquires, waiting at most {@code timeoutNanos} ({@code Long.MAX_VALUE}: for ever).
     *
     * @return true when acquired
     * @throws InterruptedException when {@code interruptible} and the thread is interrupted while waiting
     */
    public boolean acquire(long timeoutNanos, boolean interruptible) throws InterruptedException {
        try {
            return acquireOrWait(timeoutNanos, interruptible);
        } catch (IllegalStateException e) {
            if (segment.scope().isAlive()) {
                throw e;
            }
            throw new IllegalStateException("the " + (reentrant ? "ProcessRLock" : "ProcessLock") + " was closed "
                    + "while this thread waited for it", e);
        }
    }

    private boolean acquireOrWait(long timeoutNanos, boolean interruptible) throws InterruptedException {
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
        Waiting.prepare(); // contended: the native calls of waiting will be needed, link them meanwhile
        Events.Wait wait = Events.lockWait(key.arenaId(), key.offset(), ownerPid(), handle);
        boolean acquired = false;
        try {
            if (!enterGate(start, timeoutNanos, interruptible)) {
                return false;
            }
            try {
                acquired = acquireSlow(start, timeoutNanos, interruptible);
                return acquired;
            } finally {
                local.gate.unlock();
            }
        } finally {
            wait.end(acquired);
        }
    }

    /** Takes the lock over from {@code deadOwner} (pid and start time), which is no longer running. */
    private void tookOver(long deadOwner) {
        owned(true);
        long deadPid = deadOwner >>> 32;
        Events.lockOwnerDied(key.arenaId(), key.offset(), deadPid, CurrentProcess.PID, handle);
        long arenaId = key.arenaId();
        long offset = key.offset();
        Logs.warnAside(() -> "took lock " + Events.lock(arenaId, offset) + " (" + Events.handleOrWhy(handle) + ") over "
                + "from process " + deadPid + ", which died holding it"); // not on this thread, which holds the lock
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
        long lastLook = System.nanoTime();
        long watched = 0; // the owner last asked DeathWatch about, 0 when none
        int watchState = DeathWatch.UNWATCHED;
        boolean interrupted = false;
        int directSleeps = 0;
        boolean directlyWoken = false; // the last direct sleep took a wake-up
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
                long owner = w & ~LockLayout.WAITERS;
                long now = System.nanoTime();
                long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : timeoutNanos - (now - start);
                if (left <= 0) {
                    passOnIf(directlyWoken);
                    return false;
                }
                if (directSleeps < MAX_DIRECT_SLEEPS && !Thread.currentThread().isVirtual()) {
                    // A short sleep of its own first: most waits end within microseconds, and a hand-off to the
                    // helper would double their cost. Short, so that an interrupt is still seen within it.
                    directSleeps++;
                    directlyWoken = Waiting.sleepHere(futexAddress, (int) (w >>> 32),
                            Math.min(left, DIRECT_SLEEP_NANOS)) == Platform.WOKEN;
                    if (Thread.interrupted()) {
                        interrupted = true;
                        if (interruptible) {
                            passOnIf(directlyWoken);
                            throw new InterruptedException();
                        }
                    }
                    continue;
                }
                int seen = local.wakeups; // before the death check: a death after it counts as a wake-up
                boolean dead;
                if (owner != watched) {
                    if (watchState == DeathWatch.WATCHED) {
                        DeathWatch.unwatch(watched, deathWaiter);
                    }
                    watched = owner;
                    watchState = DeathWatch.watch(owner, deathWaiter);
                    dead = watchState == DeathWatch.DEAD;
                    lastLook = now;
                } else {
                    dead = DeathWatch.isKnownDead(owner);
                }
                // No notice will come: look at /proc (but a thread of this process is not a death to look for).
                boolean looking = watchState == DeathWatch.UNWATCHED && owner != SELF;
                if (!dead && looking && now - lastLook >= Waiting.LIVENESS_PERIOD_NANOS) {
                    lastLook = now;
                    dead = DeathWatch.looksDead(owner);
                }
                if (dead) {
                    if (LONG.compareAndSet(segment, LockLayout.OWNER, w, SELF | LockLayout.WAITERS)) { // takes over
                        tookOver(owner);
                        return true;
                    }
                    continue;
                }
                directlyWoken = false;
                boolean sleeping = sleepOnWord((int) (w >>> 32));
                // Bounded: the lock may pass to another owner without a wake-up for this JVM, and that owner, not
                // watched yet, may die; a look at the word every PARK_NANOS (no system call) finds it.
                long park = !sleeping ? 1_000_000L : looking ? Waiting.LIVENESS_PERIOD_NANOS : PARK_NANOS;
                if (parkUntilWoken(seen, Math.min(left, park))) {
                    interrupted = true;
                    if (interruptible) {
                        passOnIfWoken(seen);
                        throw new InterruptedException();
                    }
                }
                if (timeoutNanos != Long.MAX_VALUE && timeoutNanos - (System.nanoTime() - start) <= 0) {
                    passOnIfWoken(seen);
                }
            }
        } finally {
            if (watchState == DeathWatch.WATCHED) {
                DeathWatch.unwatch(watched, deathWaiter);
            }
            if (interrupted && !interruptible) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Makes sure a helper sleeps on the futex word for this JVM, with {@code expected} as the word's high half;
     * one already asleep serves. Its return, for whatever reason, counts one {@code Local.wakeups} and unparks the
     * thread parked for it; a wake-up that no thread here was parked for is passed on, so that a sleeper of another
     * process gets it.
     *
     * @return false when no helper may sleep (the JVM is exiting)
     */
    private boolean sleepOnWord(int expected) {
        Local l = local;
        synchronized (l) {
            if (l.sleeping) {
                return true;
            }
            l.sleeping = true;
        }
        boolean started = false;
        try {
            started = Waiting.onHelper(() -> {
                int result = Platform.INTERRUPTED;
                try {
                    result = Waiting.sleep(futexAddress, expected, Waiting.maxSleepNanos());
                } finally {
                    Thread parked;
                    synchronized (l) {
                        l.sleeping = false; // also after an exception: the next gate holder asks again
                        l.wakeups++;
                        parked = l.parked;
                    }
                    if (parked != null) {
                        LockSupport.unpark(parked);
                    } else if (result == Platform.WOKEN) {
                        Waiting.wake(futexAddress, 1); // nobody here waits any more: hand the wake-up on
                    }
                }
            });
        } finally {
            if (!started) {
                synchronized (l) {
                    l.sleeping = false;
                }
            }
        }
        return started;
    }

    /**
     * Parks the current thread (the gate holder) until the helper's sleep returns, at most {@code nanos}.
     *
     * @return whether the thread was interrupted (its interrupt status is then cleared)
     */
    private boolean parkUntilWoken(int seen, long nanos) {
        Local l = local;
        l.parked = Thread.currentThread();
        try {
            long begin = System.nanoTime();
            while (l.wakeups == seen) {
                if (nanos == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = nanos - (System.nanoTime() - begin); // no deadline sum: it could overflow
                    if (left <= 0) {
                        return Thread.interrupted();
                    }
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    return true;
                }
            }
            return false;
        } finally {
            l.parked = null;
        }
    }

    /** A waiter leaving without the lock passes on the wake-up its own last sleep took, if it took one. */
    private void passOnIf(boolean woken) {
        if (woken) {
            Waiting.wake(futexAddress, 1);
        }
    }

    /** A waiter leaving without the lock passes on a wake-up its helper may have taken meanwhile. */
    private void passOnIfWoken(int seen) {
        if (local.wakeups != seen) {
            Waiting.wake(futexAddress, 1);
        }
    }

    /**
     * Releases one hold.
     *
     * @throws IllegalMonitorStateException when the lock is not held, or (for a re-entrant lock) held by another
     *                                      thread
     */
    public void release() {
        long w;
        try {
            w = (long) LONG.getVolatile(segment, LockLayout.OWNER);
        } catch (IllegalStateException e) {
            throw closedOr(segment, handle, e);
        }
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
            Waiting.wake(futexAddress, 1);
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
