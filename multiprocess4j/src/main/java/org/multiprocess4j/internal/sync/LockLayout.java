package org.multiprocess4j.internal.sync;

/**
 * The shared-memory layout of a process lock: one 64-byte block, aligned to a cache line.
 *
 * <pre>
 *   0                          8                 16              24        28                        64
 *   +--------------------------+-----------------+---------------+---------+-------------------------+
 *   | owner (long)             | holder (long):  | holder thread | kind    | reserved (zero)         |
 *   |  63: WAITERS             | the owner word  | (long): its   | (int)   |                         |
 *   |  62..32: owner pid       | of the last     | thread id     | 1 Lock  |                         |
 *   |  31..0: owner start time | acquirer, no    |               | 2 RLock |                         |
 *   |         (low 32 bits)    | WAITERS         |               |         |                         |
 *   +--------------------------+-----------------+---------------+---------+-------------------------+
 *                ^ futex word: the high half of owner, at offset 4 (little-endian)
 * </pre>
 *
 * <p>{@code owner} changes only by CAS (acquire, recovery from a dead owner, setting WAITERS) and by the releasing
 * getAndSet; {@code kind} is written once, before the lock has a handle. The owner's identity (pid and start time)
 * is in the very word that is CASed, so a waiter that sees a dead owner can take over with one CAS that fails if
 * anything changed. Which thread of the owning process holds the lock, and how many times, only that process needs
 * to know: it keeps them on its heap (see {@link LockCore}). For an inspector only, the acquirer also writes its
 * identity and its thread's id into {@code holder} and {@code holder thread} after its acquiring CAS (plain stores,
 * never read by the protocol): they name the holding thread while {@code holder} equals the owner word, and are
 * stale otherwise (a moment after an acquire, or when the holder's language does not write them).
 */
public final class LockLayout {
    public static final long SIZE = 64;
    public static final long ALIGNMENT = 64;

    public static final long OWNER = 0;
    /** The high half of {@link #OWNER}: the pid and WAITERS bits that futex waiters sleep on. */
    static final long OWNER_HIGH = 4;
    /** The owner word (without WAITERS) of the last acquirer that wrote {@link #HOLDER_THREAD}. */
    public static final long HOLDER = 8;
    /** The id of the acquiring thread ({@code Thread.threadId()} in Java). */
    public static final long HOLDER_THREAD = 16;
    public static final long KIND = 24;

    public static final long WAITERS = 1L << 63;

    public static final int KIND_LOCK = 1;
    public static final int KIND_RLOCK = 2;

    private LockLayout() {
    }
}
