package org.multiprocess4j.internal.queue;

import org.multiprocess4j.internal.sync.ConditionCore;
import org.multiprocess4j.internal.sync.Deadlines;
import org.multiprocess4j.internal.sync.EventCount;
import org.multiprocess4j.internal.sync.LockCore;
import org.multiprocess4j.internal.sync.LockLayout;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A bounded multi-producer, multi-consumer queue of byte messages in one block of shared memory, robust to the
 * death of any process at any point.
 *
 * <pre>
 *   0        64            80           96     104        112   120   128     136     140     144 .. 192  192 + capacity
 *   +--------+-------------+------------+------+----------+-----+-----+-------+-------+-------+------+-------------+
 *   | lock   | not empty   | not full   | kind | capacity | head| tail| count | put   | take  | zero | ring of     |
 *   |        | (condition) | (condition)| int  | long     | long| long| long  | count | count |      | records:    |
 *   |        |             |            |      |          |     |     |       | (int) | (int) |      | int length, |
 *   |        |             |            |      |          |     |     |       |       |       |      | bytes       |
 *   +--------+-------------+------------+------+----------+-----+-----+-------+-------+-------+------+-------------+
 * </pre>
 *
 * <p>Every field is read and written holding the block's robust lock. {@code head} and {@code tail} count bytes
 * taken and put since the queue was made (the ring position is the count modulo {@code capacity}); a record is a
 * 4-byte length and that many bytes, wrapping around the ring's end. A put writes the whole record into free space
 * first and advances {@code tail} and {@code count} last; a take copies the whole record out first and advances
 * {@code head} and {@code count} last. So a process killed inside a put loses only the message it was putting
 * (never a torn one: the record was not published), and one killed inside a take before it advanced {@code head}
 * leaves the message for the next consumer; once it has, the message's bytes are its caller's. A drain takes one
 * message at a time and hands it on before it takes the next. The lock is taken over from a dead holder as every
 * lock is, after which the records are counted again: by whoever takes it over, in a wait on a condition too.
 *
 * <p>Waking: waiters in a JVM park on the two conditions, as on every condition of the library. Beyond that, a
 * platform thread waiting less than {@link #DIRECT_NANOS} sleeps in the kernel on a word of its own (put count for a
 * taker, take count for a putter), an {@link EventCount} the putter or taker advances after publishing its change,
 * so that it is woken with no helper thread in between.
 */
public final class QueueCore {
    public static final long HEADER = 192;
    public static final long ALIGNMENT = 64;
    public static final int KIND = 7;
    static final long LOCK = 0;
    static final long NOT_EMPTY = 64;
    static final long NOT_FULL = 80;
    public static final long KIND_OFFSET = 96;
    public static final long CAPACITY = 104;
    static final long HEAD = 112;
    static final long TAIL = 120;
    public static final long COUNT = 128;
    static final long PUT_COUNT = 136;
    static final long TAKE_COUNT = 140;
    /**
     * How long a platform thread waits asleep on a count word before it parks on the condition instead: long enough
     * for a message to come in a busy exchange, short enough that a long wait costs nothing (the word's sleep is cut
     * in slices of 2 ms to see interrupts, the condition's is not).
     */
    static final long DIRECT_NANOS = 20_000_000;
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    /**
     * How many times a taker (or a putter facing a full ring) looks before it sleeps: a few microseconds. Not more:
     * on a machine of few cores a longer spin keeps the other side off the CPU (2,000 doubled a pool's round trip
     * on 2 cores).
     */
    private static final int SPINS = 200;
    /** How often {@link #takeIfFree} looks whether a holder of the lock has died, at most. */
    private static final long RECOVERY_LOOK_NANOS = 20_000_000;

    private final MemorySegment segment;
    private final MemorySegment ring;
    private final long capacity;
    private final LockCore lock;
    private final ConditionCore notEmpty;
    private final ConditionCore notFull;
    /** The queue's handle, for the message of a use after close. */
    private final Supplier<String> handle;
    /** The threads of this JVM asleep on a count word of this view (see {@link #sleepWhile}). */
    private final AtomicInteger directSleepers = new AtomicInteger();
    /** When {@link #takeIfFree} last looked whether the lock's holder has died (System.nanoTime). */
    private volatile long lastRecoveryLook = System.nanoTime() - RECOVERY_LOOK_NANOS;

    /**
     * Views a queue block; {@code init} writes a fresh, empty queue into zeroed memory. {@code handle} gives the
     * queue's handle, which names its lock in events and the log.
     *
     * @throws IllegalArgumentException when an attached block does not hold a queue of its size
     */
    public QueueCore(MemorySegment segment, long arenaId, long offset, int generation, boolean init,
                     Supplier<String> handle) {
        this.segment = segment;
        this.handle = handle;
        this.capacity = segment.byteSize() - HEADER;
        this.ring = segment.asSlice(HEADER, capacity);
        this.lock = new LockCore(segment.asSlice(LOCK, LockLayout.SIZE), arenaId, offset, generation, false, init,
                handle);
        this.notEmpty = new ConditionCore(segment.asSlice(NOT_EMPTY, ConditionCore.SIZE), init);
        this.notFull = new ConditionCore(segment.asSlice(NOT_FULL, ConditionCore.SIZE), init);
        if (init) {
            segment.set(JAVA_LONG, CAPACITY, capacity);
            INT.setRelease(segment, KIND_OFFSET, KIND); // publishes the header before any handle exists
        } else if ((int) INT.getAcquire(segment, KIND_OFFSET) != KIND
                || (long) LONG.getVolatile(segment, CAPACITY) != capacity) {
            throw new IllegalArgumentException("handle's memory does not hold a queue of capacity " + capacity);
        }
    }

    /** The ring's size in bytes: the largest message is 4 bytes smaller. */
    public long capacity() {
        return capacity;
    }

    private boolean lock(long deadline, boolean interruptible) throws InterruptedException {
        if (!lock.acquireBriefly(Deadlines.left(deadline), interruptible)) {
            return false;
        }
        checkLocked();
        return true;
    }

    /** {@link #checkHeld}, releasing the lock when it throws. */
    private void checkLocked() {
        try {
            checkHeld();
        } catch (RuntimeException | Error e) {
            lock.release();
            throw e;
        }
    }

    /**
     * What a holder of the lock does before it reads the queue, and again after each wait on a condition (which
     * takes the lock again, maybe over from a dead holder): it counts the records again after a death inside an
     * update, and checks that head and tail bound at most a ring of records. Damaged memory (a stray write, a
     * hostile process) is an {@link IllegalStateException}, never a wait for ever under the lock or an index out of
     * bounds.
     */
    private void checkHeld() {
        long head = get(HEAD);
        long tail = get(TAIL);
        if (head < 0 || tail - head < 0 || tail - head > capacity) {
            throw damaged("head " + head + " and tail " + tail + " do not bound a ring of " + capacity + " bytes");
        }
        if (lock.previousOwnerDied()) {
            recount(); // the dead holder may have stopped between publishing a record and counting it
        }
    }

    /**
     * Waits on {@code condition} (the lock held) at most {@code nanos}, then checks the queue as a new holder does.
     * The slice grows while nobody signals (see {@link Deadlines#nextSlice}).
     */
    private void await(ConditionCore condition, long nanos, boolean interruptible) throws InterruptedException {
        condition.await(lock, nanos, interruptible);
        checkHeld();
    }

    private static IllegalStateException damaged(String what) {
        return new IllegalStateException("the queue's memory is damaged: " + what);
    }

    /**
     * The length of the record at byte count {@code at}, checked to lie between it and {@code tail}: a message
     * holds its tag at least, and no more than the ring holds.
     */
    private int recordLength(long at, long tail) {
        byte[] length = new byte[4];
        read(at, length, 4);
        int n = (length[0] & 0xFF) | (length[1] & 0xFF) << 8 | (length[2] & 0xFF) << 16 | (length[3] & 0xFF) << 24;
        if (n < 1 || n > capacity - 4 || 4L + n > tail - at) {
            throw damaged("a record of " + n + " bytes at " + at + ", the tail at " + tail);
        }
        return n;
    }

    private void lockUninterruptibly() {
        try {
            lock(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new IllegalStateException("an uninterruptible lock was interrupted", e);
        }
    }

    /** Counts the records between head and tail again. */
    private void recount() {
        long count = 0;
        long tail = get(TAIL);
        for (long at = get(HEAD); at < tail; count++) { // each record advances by 5 bytes at least
            at += 4 + recordLength(at, tail);
        }
        set(COUNT, count);
    }

    private long get(long field) {
        return segment.get(JAVA_LONG, field);
    }

    private void set(long field, long value) {
        segment.set(JAVA_LONG, field, value);
    }

    /** Copies {@code bytes} into the ring at byte count {@code at}, wrapping at its end. */
    private void write(long at, byte[] bytes, int from, int length) {
        long pos = at % capacity;
        int first = (int) Math.min(length, capacity - pos);
        // From a segment over the array: the array form's type switch costs a cold process's first put a class
        MemorySegment source = MemorySegment.ofArray(bytes);
        MemorySegment.copy(source, from, ring, pos, first);
        if (first < length) {
            MemorySegment.copy(source, from + first, ring, 0, length - first);
        }
    }

    private void read(long at, byte[] into, int length) {
        long pos = at % capacity;
        int first = (int) Math.min(length, capacity - pos);
        MemorySegment target = MemorySegment.ofArray(into);
        MemorySegment.copy(ring, pos, target, 0, first);
        if (first < length) {
            MemorySegment.copy(ring, 0, target, first, length - first);
        }
    }

    /**
     * Puts a message, waiting at most {@code timeoutNanos} for room; false when none came in time.
     *
     * @throws IllegalArgumentException when the message can never fit
     */
    public boolean put(byte[] message, long timeoutNanos, boolean interruptible) throws InterruptedException {
        long record = 4L + message.length;
        if (record > capacity) {
            throw new IllegalArgumentException("a message of " + message.length + " bytes (its encoding's tag byte "
                    + "included) does not fit a queue of " + capacity + " bytes: a message takes 4 more, so at most "
                    + (capacity - 4) + " bytes with its tag, " + (capacity - 5) + " of payload (a byte[]'s, a "
                    + "String's UTF-8)");
        }
        long deadline = Deadlines.after(timeoutNanos);
        if (timeoutNanos > 0) {
            spinWhile(true, record);
            sleepWhile(true, record, deadline, interruptible);
        }
        if (!lock(deadline, interruptible)) {
            return false;
        }
        try {
            long slice = Deadlines.FIRST_SLICE_NANOS;
            while (capacity - (get(TAIL) - get(HEAD)) < record) {
                long left = Deadlines.left(deadline);
                if (left <= 0) {
                    return false;
                }
                await(notFull, Math.min(left, slice), interruptible);
                slice = Deadlines.nextSlice(slice);
            }
            long tail = get(TAIL);
            byte[] length = {(byte) message.length, (byte) (message.length >>> 8), (byte) (message.length >>> 16),
                    (byte) (message.length >>> 24)};
            write(tail, length, 0, 4);
            write(tail + 4, message, 0, message.length);
            set(TAIL, tail + record); // publishes the whole record: a death before it loses only this one
            set(COUNT, get(COUNT) + 1);
            notEmpty.signal(lock);
        } finally {
            lock.release();
        }
        EventCount.advance(segment, PUT_COUNT);
        return true;
    }

    /**
     * Spins a little while the queue looks empty (or, with {@code forRoom} {@code bytes}, too full), reading
     * without the lock: a message usually comes within microseconds, and sleeping on the condition costs tens.
     */
    private void spinWhile(boolean forRoom, long bytes) {
        for (int i = 0; i < SPINS && !ready(forRoom, bytes); i++) {
            Thread.onSpinWait();
        }
    }

    /** Whether the ring, read without the lock, has a message (or, with {@code forRoom}, room for {@code bytes}). */
    private boolean ready(boolean forRoom, long bytes) {
        long used;
        try {
            used = (long) LONG.getVolatile(segment, TAIL) - (long) LONG.getVolatile(segment, HEAD);
        } catch (IllegalStateException e) {
            throw LockCore.closedOr(segment, handle, e);
        }
        return forRoom ? capacity - used >= bytes : used != 0;
    }


    /**
     * A platform thread's first wait: asleep on the put (or take) count word while the ring looks empty (or too full
     * for {@code bytes}), at most {@link #DIRECT_NANOS} and until {@code deadline}. Returns when it may be ready; the
     * caller looks again under the lock.
     */
    private void sleepWhile(boolean forRoom, long bytes, long deadline, boolean interruptible)
            throws InterruptedException {
        if (!Thread.currentThread().isVirtual()) { // a virtual thread parks on the condition instead
            directSleepers.incrementAndGet(); // counted as a waiter: a close now would free the word it sleeps on
            try {
                EventCount.sleepUntil(segment, forRoom ? TAKE_COUNT : PUT_COUNT, () -> ready(forRoom, bytes),
                        Math.min(deadline, Deadlines.after(DIRECT_NANOS)), interruptible);
            } finally {
                directSleepers.decrementAndGet();
            }
        }
    }

    /** Takes the oldest message, waiting at most {@code timeoutNanos}; null when none came in time. */
    public byte[] take(long timeoutNanos, boolean interruptible) throws InterruptedException {
        long deadline = Deadlines.after(timeoutNanos);
        if (timeoutNanos > 0) {
            spinWhile(false, 0);
            sleepWhile(false, 0, deadline, interruptible);
        }
        if (!lock(deadline, interruptible)) {
            return null;
        }
        byte[] message;
        try {
            long slice = Deadlines.FIRST_SLICE_NANOS;
            while (get(TAIL) == get(HEAD)) {
                long left = Deadlines.left(deadline);
                if (left <= 0) {
                    return null;
                }
                await(notEmpty, Math.min(left, slice), interruptible);
                slice = Deadlines.nextSlice(slice);
            }
            message = takeOne();
            notFull.signal(lock);
        } finally {
            lock.release();
        }
        EventCount.advance(segment, TAKE_COUNT);
        return message;
    }

    /**
     * Takes the oldest message when there is one and the lock is free now, else returns null at once. It neither
     * waits nor announces a waiter, so that the process putting or holding the lock has nobody to wake. A holder
     * found there is looked at in /proc (and taken over when dead) at most every {@link #RECOVERY_LOOK_NANOS}: a
     * caller looking every few hundred microseconds would otherwise read /proc at each collision with a live one.
     */
    public byte[] takeIfFree() {
        if (!ready(false, 0)) {
            return null;
        }
        if (!lock.tryAcquire()) {
            long now = System.nanoTime();
            if (now - lastRecoveryLook < RECOVERY_LOOK_NANOS) {
                return null;
            }
            lastRecoveryLook = now;
            if (!lock.tryAcquireOrRecover()) {
                return null;
            }
        }
        checkLocked();
        byte[] message;
        try {
            if (get(TAIL) == get(HEAD)) {
                return null;
            }
            message = takeOne();
            notFull.signal(lock);
        } finally {
            lock.release();
        }
        EventCount.advance(segment, TAKE_COUNT);
        return message;
    }

    /** Copies the oldest record out and only then advances past it; the caller holds the lock. */
    private byte[] takeOne() {
        long head = get(HEAD);
        int n = recordLength(head, get(TAIL));
        byte[] message = new byte[n];
        read(head + 4, message, n);
        set(HEAD, head + 4 + n); // a death before it leaves the message for the next consumer
        set(COUNT, get(COUNT) - 1);
        return message;
    }

    /**
     * Takes up to {@code max} of the messages that are there now, one at a time: each is handed to {@code sink}
     * before the next is taken, so that a death in between loses one at most. How many were taken.
     */
    public int drain(int max, Consumer<byte[]> sink) {
        long there;
        lockUninterruptibly();
        try {
            there = get(COUNT);
        } finally {
            lock.release();
        }
        int taken = 0;
        while (taken < Math.min(max, there)) {
            byte[] message;
            lockUninterruptibly();
            try {
                if (get(TAIL) == get(HEAD)) {
                    break; // another consumer took the rest
                }
                message = takeOne();
                notFull.signal(lock);
            } finally {
                lock.release();
            }
            EventCount.advance(segment, TAKE_COUNT);
            taken++;
            sink.accept(message);
        }
        return taken;
    }

    /** The messages in the queue now, oldest first, left in it. */
    public List<byte[]> snapshot() {
        lockUninterruptibly();
        try {
            List<byte[]> messages = new java.util.ArrayList<>();
            long tail = get(TAIL);
            for (long at = get(HEAD); at < tail; ) {
                int n = recordLength(at, tail);
                byte[] message = new byte[n];
                read(at + 4, message, n);
                messages.add(message);
                at += 4 + n;
            }
            return messages;
        } finally {
            lock.release();
        }
    }

    /** Whether the ring looks empty, read without the lock: a hint, for one about to take under a lock of its own. */
    public boolean looksEmpty() {
        return !ready(false, 0);
    }

    /**
     * Waits, without taking it, until a message looks to be there, at most {@code timeoutNanos} and for a platform
     * thread at most {@link #DIRECT_NANOS} (a virtual thread only spins a little): for one that takes under a lock
     * of its own, and so may not wait inside a take. True when a message looks to be there.
     */
    public boolean awaitMessage(long timeoutNanos) throws InterruptedException {
        long deadline = Deadlines.after(timeoutNanos);
        spinWhile(false, 0);
        sleepWhile(false, 0, deadline, true);
        return ready(false, 0);
    }

    /** The messages in the queue now. */
    public long count() {
        lockUninterruptibly();
        try {
            long count = get(COUNT);
            if (count < 0 || count > (get(TAIL) - get(HEAD)) / 5) { // a message takes 5 bytes at least
                throw damaged("it counts " + count + " messages in " + (get(TAIL) - get(HEAD)) + " bytes");
            }
            return count;
        } finally {
            lock.release();
        }
    }

    /** The bytes free now. */
    public long free() {
        lockUninterruptibly();
        try {
            return capacity - (get(TAIL) - get(HEAD));
        } finally {
            lock.release();
        }
    }

    /** For a view about to be closed: see {@link ConditionCore#retire}. */
    public void retire() {
        notEmpty.retire();
        notFull.retire();
    }

    /** The threads of this process that wait on the queue. */
    public int localWaiters() {
        return lock.localWaiters() + notEmpty.localWaiters() + notFull.localWaiters() + directSleepers.get();
    }
}
