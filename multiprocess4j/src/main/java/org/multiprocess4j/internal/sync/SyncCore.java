package org.multiprocess4j.internal.sync;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Semaphores, events and barriers in one block of shared memory ({@link SyncLayout}): a robust lock guards the
 * state, a process-shared condition carries the wake-ups, so every wait parks as the locks' waits do (virtual
 * threads without pinning, interrupts and timeouts within a millisecond).
 *
 * <p>Deaths: a process that dies holding the block's lock is recovered from as the lock recovers, and a barrier
 * breaks then (its count may be torn). A semaphore records which processes hold permits (up to
 * {@link SyncLayout#HOLDER_ENTRIES} processes at once; permits of further ones are not attributed), so the
 * permits of dead holders can be counted and given back. A barrier records its waiting parties and breaks when
 * one of them no longer runs, as {@code CyclicBarrier} breaks when a party is interrupted.
 */
public final class SyncCore {
    /* Implementation overview: every state field is read and written under the lock, with plain accesses except
     * where a method reads without the lock (volatile then); the lock's release publishes the writes. Waiters
     * wait on the condition in slices, so that a barrier looks at its parties' liveness even when no one signals,
     * and a change whose maker died before it signalled is seen (see Deadlines.FIRST_SLICE_NANOS). */
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();
    /** A wait's first slice on the condition; the last party to arrive looks at the lives of those that waited it. */
    private static final long SLICE_NANOS = Deadlines.FIRST_SLICE_NANOS;
    /**
     * The threads of this JVM that wait on each block, through any view of it: a close through one view must see
     * the waiters of another, whose memory it would free under them.
     */
    private static final Map<Block, Integer> WAITING = new ConcurrentHashMap<>();

    /** A block's identity in this JVM's {@link #WAITING}. */
    private record Block(long arenaId, long offset, int generation) {
    }

    private final MemorySegment segment;
    private final LockCore lock;
    private final ConditionCore condition;
    private final Block block;
    /** The object's handle, for the message of a use after close. */
    private final Supplier<String> handle;
    /** Its kind, as the block says (checked when attached): kept here, readable after close too. */
    private final int kind;

    /**
     * Views a block; {@code init} writes a fresh one of {@code kind} into zeroed memory, with {@code value} and
     * {@code bound}.
     *
     * @throws IllegalArgumentException when an attached block does not hold {@code kind}
     */
    public SyncCore(MemorySegment segment, long arenaId, long offset, int generation, int kind, long value,
                    long bound, boolean init, Supplier<String> handle) {
        this.segment = segment;
        this.block = new Block(arenaId, offset, generation);
        this.handle = handle;
        this.kind = kind;
        this.lock = new LockCore(segment.asSlice(SyncLayout.LOCK, LockLayout.SIZE), arenaId, offset, generation,
                false, init, handle);
        this.condition = new ConditionCore(segment.asSlice(SyncLayout.CONDITION, ConditionCore.SIZE), init);
        if (init) {
            segment.set(JAVA_LONG, SyncLayout.VALUE, value);
            segment.set(JAVA_LONG, SyncLayout.BOUND, bound);
            INT.setRelease(segment, SyncLayout.KIND, kind); // publishes the fields before any handle exists
        } else {
            int found = (int) INT.getAcquire(segment, SyncLayout.KIND); // pairs with the release above
            if (found != kind) {
                throw new IllegalArgumentException("handle's memory holds " + kindName(found) + ", not "
                        + kindName(kind) + ": handle=" + handle.get());
            }
        }
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case SyncLayout.KIND_SEMAPHORE -> "a semaphore";
            case SyncLayout.KIND_EVENT -> "an event";
            case SyncLayout.KIND_BARRIER -> "a barrier";
            default -> "no semaphore, event or barrier (kind " + kind + ")";
        };
    }

    /** Counts the calling thread among the block's waiters in this JVM until {@link #leaveWait}. */
    private void enterWait() {
        WAITING.merge(block, 1, Integer::sum);
    }

    private void leaveWait() {
        WAITING.computeIfPresent(block, (b, n) -> n == 1 ? null : n - 1);
    }

    // ---- the lock around every operation ----------------------------------------------------------------------

    /**
     * Waits on the condition (the lock held) at most {@code nanos}, then repairs the state as a new holder does when
     * the wait took the lock over from a dead holder.
     */
    private void awaitSlice(long nanos, boolean interruptible) throws InterruptedException {
        condition.await(lock, nanos, interruptible);
        if (lock.previousOwnerDied()) {
            repairAfterDeath();
        }
        checkState();
    }

    /** Takes the block's lock before {@code deadline}; false when it passes first. */
    private boolean lock(long deadline, boolean interruptible) throws InterruptedException {
        if (!lock.acquireBriefly(Deadlines.left(deadline), interruptible)) {
            return false;
        }
        try {
            if (lock.previousOwnerDied()) {
                repairAfterDeath();
            }
            checkState();
        } catch (RuntimeException | Error e) {
            lock.release();
            throw e;
        }
        return true;
    }

    /** Repairs, holding the lock taken over from a dead holder, what an update it died inside may have left. */
    private void repairAfterDeath() {
        if (kind() == SyncLayout.KIND_BARRIER) {
            breakBarrier(); // a party died inside an update: the count may be torn
        } else if (kind() == SyncLayout.KIND_SEMAPHORE && get(SyncLayout.BOUND) >= 0) {
            repairBoundedSemaphore();
        }
    }

    /**
     * Checks, holding the lock, that the state is one the object can be in: memory that something else wrote over
     * (a stray write, a hostile process) is an {@link IllegalStateException}, never a count cut to an int or a
     * negative number of permits.
     */
    private void checkState() {
        long value = get(SyncLayout.VALUE);
        long bound = get(SyncLayout.BOUND);
        boolean possible = switch (kind()) {
            case SyncLayout.KIND_SEMAPHORE -> value >= 0 && value <= Integer.MAX_VALUE && bound >= -1
                    && bound <= Integer.MAX_VALUE && (bound < 0 || value <= bound) && get(SyncLayout.UNTRACKED) >= 0;
            case SyncLayout.KIND_EVENT -> value == 0 || value == 1;
            case SyncLayout.KIND_BARRIER -> bound >= 1 && bound <= Integer.MAX_VALUE && value >= 0 && value < bound;
            default -> true;
        };
        if (!possible) {
            throw damaged("it holds " + value + " (its bound " + bound + "), which " + kindName(kind())
                    + " cannot");
        }
    }

    private static IllegalStateException damaged(String what) {
        return new IllegalStateException("the shared memory is damaged: " + what);
    }

    /** A holder entry's count, checked: a process holds at most as many permits as a semaphore can. */
    private long holderCount(long entry) {
        long count = get(entry + 8);
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw damaged("a holder entry counts " + count);
        }
        return count;
    }

    private void lockUninterruptibly() {
        try {
            lock(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new IllegalStateException("an uninterruptible wait was interrupted", e);
        }
    }

    private int kind() {
        return kind;
    }

    private long get(long field) {
        return segment.get(JAVA_LONG, field);
    }

    private void set(long field, long value) {
        segment.set(JAVA_LONG, field, value);
    }

    /** A field read without the lock: the lock's release published it. */
    private long read(long field) {
        try {
            return (long) LONG.getVolatile(segment, field);
        } catch (IllegalStateException e) {
            throw LockCore.closedOr(segment, handle, e);
        }
    }


    /** Waits on the condition, holding the lock, while the value is 0; false when the deadline passes first. */
    private boolean awaitNonZero(long deadline, boolean interruptible) throws InterruptedException {
        if (get(SyncLayout.VALUE) != 0) {
            return true;
        }
        enterWait();
        try {
            for (long slice = SLICE_NANOS; get(SyncLayout.VALUE) == 0; slice = Deadlines.nextSlice(slice)) {
                long left = Deadlines.left(deadline);
                if (left <= 0) {
                    return false;
                }
                awaitSlice(Math.min(left, slice), interruptible);
            }
            return true;
        } finally {
            leaveWait();
        }
    }

    // ---- the holder table -------------------------------------------------------------------------------------

    /** Adds {@code delta} to this process's entry (made when missing and a slot is free; never below 0). */
    private void addHolder(long delta) {
        long self = LockCore.SELF;
        long free = -1;
        for (int i = 0; i < SyncLayout.HOLDER_ENTRIES; i++) {
            long at = SyncLayout.HOLDERS + i * SyncLayout.HOLDER_SIZE;
            long id = get(at);
            if (id == self) {
                long count = Math.max(0, holderCount(at) + delta);
                set(at + 8, count);
                if (count == 0) {
                    set(at, 0);
                }
                return;
            }
            if (id == 0 && free < 0) {
                free = at;
            }
        }
        if (delta > 0 && free >= 0) {
            set(free + 8, delta);
            set(free, self);
        } else if (kind() == SyncLayout.KIND_SEMAPHORE) { // a full table: counted, not attributed
            set(SyncLayout.UNTRACKED, Math.max(0, get(SyncLayout.UNTRACKED) + delta));
        }
    }

    private void clearHolders() {
        segment.asSlice(SyncLayout.HOLDERS, SyncLayout.HOLDER_ENTRIES * SyncLayout.HOLDER_SIZE).fill((byte) 0);
    }

    /** The total count of entries whose process no longer runs; with {@code clear}, those entries are freed. */
    private long deadHolders(boolean clear) {
        long total = 0;
        for (int i = 0; i < SyncLayout.HOLDER_ENTRIES; i++) {
            long at = SyncLayout.HOLDERS + i * SyncLayout.HOLDER_SIZE;
            long id = get(at);
            if (id != 0 && id != LockCore.SELF && DeathWatch.looksDead(id)) {
                total += holderCount(at);
                if (clear) {
                    set(at + 8, 0);
                    set(at, 0);
                }
            }
        }
        return total;
    }

    /**
     * After a holder of the block's lock died inside an update: a bounded semaphore's free permits are its bound
     * less every permit the table attributes and every permit it could not attribute, which holds whichever of
     * the update's two stores the dead process made.
     */
    private void repairBoundedSemaphore() {
        long held = get(SyncLayout.UNTRACKED);
        for (int i = 0; i < SyncLayout.HOLDER_ENTRIES; i++) {
            long at = SyncLayout.HOLDERS + i * SyncLayout.HOLDER_SIZE;
            if (get(at) != 0) {
                held += holderCount(at);
            }
        }
        set(SyncLayout.VALUE, Math.max(0, get(SyncLayout.BOUND) - held));
    }

    // ---- semaphore ----------------------------------------------------------------------------------------------

    /** Takes one permit, waiting at most {@code timeoutNanos}; false when none came in time. */
    public boolean acquirePermit(long timeoutNanos, boolean interruptible) throws InterruptedException {
        long deadline = Deadlines.after(timeoutNanos);
        if (timeoutNanos > 0 && !Thread.currentThread().isVirtual()) {
            sleepUntilPermit(deadline, interruptible);
        }
        if (!lock(deadline, interruptible)) {
            return false;
        }
        try {
            if (!awaitNonZero(deadline, interruptible)) {
                return false;
            }
            set(SyncLayout.VALUE, get(SyncLayout.VALUE) - 1);
            addHolder(1); // after the count: a death between them loses this permit, never makes one up
            return true;
        } finally {
            lock.release();
        }
    }

    /**
     * Gives {@code n} permits back.
     *
     * @throws IllegalStateException when a bounded semaphore would hold more than its initial permits
     */
    public void releasePermits(long n) {
        lockUninterruptibly();
        try {
            long value = get(SyncLayout.VALUE);
            long bound = get(SyncLayout.BOUND);
            if (bound >= 0 && value + n > bound) {
                throw new IllegalStateException("a bounded semaphore was released more times than it was acquired: "
                        + "it would hold " + (value + n) + " permits, more than its " + bound);
            }
            if (value + n > Integer.MAX_VALUE) {
                throw new IllegalStateException("a semaphore holds at most " + Integer.MAX_VALUE + " permits: it "
                        + "holds " + value + ", and a release of permits=" + n + " would exceed that");
            }
            addHolder(-n); // before the count: a death between them loses these permits, never makes one up
            set(SyncLayout.VALUE, value + n);
            condition.signalAll(lock);
        } finally {
            lock.release();
        }
        EventCount.advance(segment, SyncLayout.FLAG); // the release count: wakes direct sleepers
    }

    /** How long a platform thread sleeps on a semaphore's release count before it waits on the condition. */
    private static final long PERMIT_DIRECT_NANOS = 20_000_000;

    /**
     * A platform thread's first wait for a permit, at most {@link #PERMIT_DIRECT_NANOS} and until {@code deadline}:
     * asleep on the semaphore's release count (an {@link EventCount} in the word an event keeps its flag in), woken
     * by the releaser itself. It returns when a permit may be free; the caller takes it under the lock, or waits on
     * the condition as before.
     */
    private void sleepUntilPermit(long deadline, boolean interruptible) throws InterruptedException {
        for (int i = 0; i < FLAG_SPINS && read(SyncLayout.VALUE) <= 0; i++) {
            Thread.onSpinWait();
        }
        if (read(SyncLayout.VALUE) > 0) {
            return;
        }
        enterWait();
        try {
            EventCount.sleepUntil(segment, SyncLayout.FLAG, () -> read(SyncLayout.VALUE) > 0,
                    Math.min(deadline, Deadlines.after(PERMIT_DIRECT_NANOS)), interruptible);
        } finally {
            leaveWait();
        }
    }

    /**
     * The free permits (a semaphore), the flag (an event), the parties waiting (a barrier): read without the lock,
     * and checked to fit an int.
     */
    public long value() {
        long value = read(SyncLayout.VALUE);
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw damaged("it holds " + value + ", which " + kindName(kind()) + " cannot");
        }
        return value;
    }

    /** The bound: a bounded semaphore's initial permits (-1 for an unbounded one), a barrier's parties. */
    public long bound() {
        return read(SyncLayout.BOUND);
    }

    /** The permits that processes which no longer run still hold; with {@code reclaim}, they become free again. */
    public long deadHoldersPermits(boolean reclaim) {
        long dead;
        lockUninterruptibly();
        try {
            dead = deadHolders(reclaim);
            if (reclaim && dead > 0) {
                long bound = get(SyncLayout.BOUND);
                long value = get(SyncLayout.VALUE) + dead;
                set(SyncLayout.VALUE, Math.min(value, bound >= 0 ? bound : Integer.MAX_VALUE)); // as a release
                condition.signalAll(lock);
            }
        } finally {
            lock.release();
        }
        if (reclaim && dead > 0) {
            EventCount.advance(segment, SyncLayout.FLAG); // the release count: wakes direct sleepers
        }
        return dead;
    }

    // ---- event --------------------------------------------------------------------------------------------------

    /**
     * Sets or clears an event's flag. A set is counted (in the generation field, which only barriers use besides),
     * and wakes every waiter, which returns the flag as it finds it then: so a set followed at once by a clear
     * wakes them all, and they return false, as the waiters of Python's {@code multiprocessing.Event} do.
     */
    public void setFlag(boolean flag) {
        lockUninterruptibly();
        try {
            set(SyncLayout.VALUE, flag ? 1 : 0);
            INT.setRelease(segment, SyncLayout.FLAG, flag ? 1 : 0); // publishes the flag to futex sleepers
            if (flag) {
                // Counted after the flag: a sleeper that sees the count move must see this flag too (or a clear
                // after it), never the flag from before the set.
                LONG.setVolatile(segment, SyncLayout.GENERATION, get(SyncLayout.GENERATION) + 1);
                condition.signalAll(lock); // virtual threads wait on the condition
            }
        } finally {
            lock.release();
        }
        if (flag) {
            Waiting.wake(segment.address() + SyncLayout.FLAG, Integer.MAX_VALUE); // platform threads sleep here
        }
    }

    /** How long a platform thread sleeps on an event's word before it looks at its interrupt status. */
    private static final long FLAG_SLICE_NANOS = 2_000_000;
    /**
     * How long a platform thread waits on an event's word before it waits on the condition instead, as a virtual
     * thread does at once: long enough for a set to come in a busy exchange, short enough that a long wait costs a
     * few wake-ups a second rather than one every {@link #FLAG_SLICE_NANOS}.
     */
    private static final long FLAG_DIRECT_NANOS = 20_000_000;
    /** What {@link #awaitFlagDirectly} returns when its time on the word ended before the wait's. */
    private static final int ON_THE_CONDITION = -1;
    private static final int FLAG_SPINS = 20; // few: on few cores a spinning waiter keeps its peer off the CPU

    /**
     * A platform thread's first wait for an event, at most {@link #FLAG_DIRECT_NANOS}: on the flag's own futex word,
     * woken by the setter directly (no dispatcher in between), as two C processes wake each other. It ends when the
     * flag is set (1) or the count of sets has moved past {@code sets}, read as the wait began (a set that a clear
     * followed before this thread looked, or ran between its look and its sleep: then at the end of that slice; the
     * flag then), at {@code deadline} (0), or with {@link #ON_THE_CONDITION} once its time on the word is over.
     */
    private int awaitFlagDirectly(long sets, long deadline, boolean interruptible) throws InterruptedException {
        long address = segment.address() + SyncLayout.FLAG;
        for (int i = 0; i < FLAG_SPINS; i++) {
            if ((int) INT.getAcquire(segment, SyncLayout.FLAG) != 0) { // pairs with setFlag's release
                return 1;
            }
            Thread.onSpinWait();
        }
        long directEnd = Deadlines.after(FLAG_DIRECT_NANOS);
        boolean interrupted = false;
        enterWait();
        try {
            while ((int) INT.getAcquire(segment, SyncLayout.FLAG) == 0) {
                if (read(SyncLayout.GENERATION) != sets) {
                    return (int) INT.getAcquire(segment, SyncLayout.FLAG) != 0 ? 1 : 0;
                }
                long left = Deadlines.left(deadline);
                if (left <= 0) {
                    return 0;
                }
                long direct = Deadlines.left(directEnd);
                if (direct <= 0) {
                    return ON_THE_CONDITION;
                }
                if (Thread.interrupted()) {
                    if (interruptible) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
                Waiting.sleepHere(address, 0, Math.min(Math.min(left, direct), FLAG_SLICE_NANOS));
            }
            return 1;
        } finally {
            leaveWait();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits until an event is set, at most {@code timeoutNanos}; the flag then (false after a set that a clear
     * followed before this thread looked, as after a timeout).
     */
    public boolean awaitFlag(long timeoutNanos, boolean interruptible) throws InterruptedException {
        // The count of sets first, the flag after: a set this wait does not count is one made after it began.
        long sets = read(SyncLayout.GENERATION);
        if (read(SyncLayout.VALUE) != 0) {
            return true;
        }
        long deadline = Deadlines.after(timeoutNanos);
        if (!Thread.currentThread().isVirtual()) {
            int direct = awaitFlagDirectly(sets, deadline, interruptible);
            if (direct != ON_THE_CONDITION) {
                return direct == 1;
            }
        }
        if (!lock(deadline, interruptible)) {
            return read(SyncLayout.VALUE) != 0;
        }
        try {
            if (get(SyncLayout.VALUE) != 0) {
                return true;
            }
            enterWait();
            try {
                for (long slice = SLICE_NANOS; get(SyncLayout.VALUE) == 0 && get(SyncLayout.GENERATION) == sets;
                     slice = Deadlines.nextSlice(slice)) {
                    long left = Deadlines.left(deadline);
                    if (left <= 0) {
                        return false;
                    }
                    awaitSlice(Math.min(left, slice), interruptible);
                }
                return get(SyncLayout.VALUE) != 0;
            } finally {
                leaveWait();
            }
        } finally {
            lock.release();
        }
    }

    // ---- barrier ------------------------------------------------------------------------------------------------

    private boolean brokenNow() {
        return get(SyncLayout.BROKEN) == get(SyncLayout.GENERATION) + 1;
    }

    /** Breaks this generation: its waiters, and later arrivals until a reset, get BrokenBarrierException. */
    private void breakBarrier() {
        set(SyncLayout.BROKEN, get(SyncLayout.GENERATION) + 1);
        set(SyncLayout.VALUE, 0);
        clearHolders();
        condition.signalAll(lock);
    }

    /**
     * Waits at the barrier until all parties have arrived; returns the arrival index (parties - 1 for the first
     * to arrive, 0 for the last, as {@code CyclicBarrier.await}).
     */
    public long awaitBarrier(long timeoutNanos) throws InterruptedException, BrokenBarrierException,
            TimeoutException {
        long deadline = Deadlines.after(timeoutNanos);
        long round = read(SyncLayout.GENERATION); // the round this party would arrive in, for a break without it
        boolean locked;
        try {
            locked = lock(deadline, true);
        } catch (InterruptedException e) {
            breakRound(round, true); // as CyclicBarrier, whose parties take its lock uninterruptibly, then look
            throw e;
        }
        if (!locked) { // held past the timeout and its grace: a stopped or starved holder
            breakRound(round, false);
            throw new TimeoutException("the barrier's lock was not free within the timeout");
        }
        try {
            if (brokenNow()) {
                throw new BrokenBarrierException();
            }
            if (Thread.interrupted()) { // interrupted before it arrived: as CyclicBarrier, it breaks the round
                breakBarrier();
                throw new InterruptedException();
            }
            long generation = get(SyncLayout.GENERATION);
            long parties = get(SyncLayout.BOUND);
            long arrived = get(SyncLayout.VALUE) + 1;
            if (arrived == 1) {
                set(SyncLayout.FIRST_ARRIVAL, System.nanoTime());
            } else if (arrived == parties && System.nanoTime() - get(SyncLayout.FIRST_ARRIVAL) >= SLICE_NANOS
                    && breakIfAPartyDied()) {
                // A party died waiting, with nobody else there to see it. (One that waited less than a slice is
                // not looked at, as the waiters look once a slice: its death counts as after the round.)
                throw new BrokenBarrierException();
            }
            addHolder(1);
            set(SyncLayout.VALUE, arrived);
            if (arrived == parties) {
                set(SyncLayout.GENERATION, generation + 1);
                set(SyncLayout.VALUE, 0);
                clearHolders();
                condition.signalAll(lock);
                return 0;
            }
            enterWait();
            try {
                return awaitRound(generation, parties, arrived, deadline);
            } finally {
                leaveWait();
            }
        } finally {
            lock.release();
        }
    }

    /** A party's wait, holding the lock, for the end of round {@code generation}, which it arrived in. */
    private long awaitRound(long generation, long parties, long arrived, long deadline) throws InterruptedException,
            BrokenBarrierException, TimeoutException {
        for (long slice = SLICE_NANOS; ; slice = Deadlines.nextSlice(slice)) {
            long left = Deadlines.left(deadline);
            try {
                awaitSlice(Math.min(Math.max(left, 0), slice), true);
            } catch (InterruptedException e) {
                if (get(SyncLayout.GENERATION) == generation && !brokenNow()) {
                    breakBarrier();
                }
                throw e;
            }
            if (get(SyncLayout.BROKEN) == generation + 1) {
                throw new BrokenBarrierException(); // this round broke: a reset, abort, timeout or death
            }
            if (get(SyncLayout.GENERATION) != generation) {
                return parties - arrived;
            }
            if (Deadlines.left(deadline) <= 0) {
                breakBarrier();
                throw new TimeoutException("not all " + parties + " parties arrived within the timeout");
            }
            if (breakIfAPartyDied()) {
                throw new BrokenBarrierException();
            }
        }
    }

    /** Breaks the round, holding the lock, when a party waiting in it no longer runs; whether it did. */
    private boolean breakIfAPartyDied() {
        if (!brokenNow() && get(SyncLayout.VALUE) > 0 && deadHolders(false) > 0) {
            breakBarrier();
            return true;
        }
        return false;
    }

    /**
     * Breaks {@code round} for a party that timed out or was interrupted before it could take the lock: now, when
     * {@code waitNow} and the lock comes within its grace ({@link Deadlines#LOCK_GRACE_NANOS}); else on a thread
     * of its own as soon as the lock is free, so that the caller's exception is not late and the parties waiting
     * in the round are told all the same. A round that has ended meanwhile is left as it is.
     */
    private void breakRound(long round, boolean waitNow) {
        if (waitNow && breakIfCurrent(round, Deadlines.after(0))) {
            return;
        }
        Thread.ofVirtual().name("multiprocess4j barrier break").start(() -> {
            try {
                breakIfCurrent(round, Long.MAX_VALUE);
            } catch (RuntimeException closed) {
                // The barrier was closed meanwhile: nobody waits in it.
            }
        });
    }

    /** Takes the lock by {@code deadline}, then breaks {@code round} if it is still current; false if not taken. */
    private boolean breakIfCurrent(long round, long deadline) {
        boolean locked;
        try {
            locked = lock(deadline, false);
        } catch (InterruptedException impossible) {
            return false; // an uninterruptible wait
        }
        if (!locked) {
            return false;
        }
        try {
            if (get(SyncLayout.GENERATION) == round && !brokenNow()) {
                breakBarrier();
            }
            return true;
        } finally {
            lock.release();
        }
    }

    /** Whether the barrier's current generation is broken (a party that died waiting breaks it now). */
    public boolean isBroken() {
        lockUninterruptibly();
        try {
            breakIfAPartyDied();
            return brokenNow();
        } finally {
            lock.release();
        }
    }

    /** The parties waiting at the barrier (a party that died waiting breaks the round now, and none are). */
    public long barrierWaiting() {
        lockUninterruptibly();
        try {
            breakIfAPartyDied();
            return get(SyncLayout.VALUE);
        } finally {
            lock.release();
        }
    }

    /** Breaks the current generation and starts a new one: the waiters get BrokenBarrierException. */
    public void resetBarrier() {
        lockUninterruptibly();
        try {
            if (get(SyncLayout.VALUE) > 0) {
                breakBarrier();
            }
            set(SyncLayout.GENERATION, get(SyncLayout.GENERATION) + 1);
            set(SyncLayout.VALUE, 0);
            clearHolders();
            condition.signalAll(lock);
        } finally {
            lock.release();
        }
    }

    /** Breaks the barrier until it is reset (Python's {@code abort()}). */
    public void abortBarrier() {
        lockUninterruptibly();
        try {
            breakBarrier();
        } finally {
            lock.release();
        }
    }

    /** For a view about to be closed: see {@link ConditionCore#retire}. */
    public void retire() {
        condition.retire();
    }

    /** The threads of this process that wait on the block: a close with waiters is refused. */
    public int localWaiters() {
        return lock.localWaiters() + WAITING.getOrDefault(block, 0);
    }
}
