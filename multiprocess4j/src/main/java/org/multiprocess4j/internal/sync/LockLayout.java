package org.multiprocess4j.internal.sync;

/**
 * The shared-memory layout of a process lock: one 64-byte block, aligned to a cache line.
 *
 * <pre>
 *   0                          8                              24        28                        64
 *   +--------------------------+------------------------------+---------+-------------------------+
 *   | owner (long)             | reserved (zero)              | kind    | reserved (zero)         |
 *   |  63: WAITERS             |                              | (int)   |                         |
 *   |  62..32: owner pid       |                              | 1 Lock  |                         |
 *   |  31..0: owner start time |                              | 2 RLock |                         |
 *   |         (low 32 bits)    |                              |         |                         |
 *   +--------------------------+------------------------------+---------+-------------------------+
 *                ^ futex word: the high half of owner, at offset 4 (little-endian)
 * </pre>
 *
 * <p>{@code owner} changes only by CAS (acquire, recovery from a dead owner, setting WAITERS) and by the releasing
 * getAndSet; {@code kind} is written once, before the lock has a handle. The owner's identity (pid and start time)
 * is in the very word that is CASed, so a waiter that sees a dead owner can take over with one CAS that fails if
 * anything changed. Which thread of the owning process holds the lock, and how many times, only that process needs
 * to know: it keeps them on its heap (see {@link LockCore}).
 */
public final class LockLayout {
    public static final long SIZE = 64;
    public static final long ALIGNMENT = 64;

    public static final long OWNER = 0;
    /** The high half of {@link #OWNER}: the pid and WAITERS bits that futex waiters sleep on. */
    static final long OWNER_HIGH = 4;
    public static final long KIND = 24;

    public static final long WAITERS = 1L << 63;

    public static final int KIND_LOCK = 1;
    public static final int KIND_RLOCK = 2;

    private LockLayout() {
    }
}
