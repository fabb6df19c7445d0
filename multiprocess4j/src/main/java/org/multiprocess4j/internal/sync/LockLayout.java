package org.multiprocess4j.internal.sync;

/**
 * The shared-memory layout of a process lock: one 64-byte block, aligned to a cache line.
 *
 * <pre>
 *   0                          8                    16         20        24        28        64
 *   +--------------------------+--------------------+----------+---------+---------+---------+
 *   | owner (long)             | owner thread (long)| holds    | flags   | kind    |reserved |
 *   |  63: WAITERS             | JVM thread id,     | (int)    | (int)   | (int)   |         |
 *   |  62..32: owner pid       | meaningful in the  | recursion| bit 0:  | 1 Lock  |         |
 *   |  31..0: owner start time | owner's process    | depth    | OWNER_  | 2 RLock |         |
 *   |         (low 32 bits)    | only               |          | DIED    |         |         |
 *   +--------------------------+--------------------+----------+---------+---------+---------+
 *                ^ futex word: the high half of owner, at offset 4 (little-endian)
 * </pre>
 *
 * <p>Who writes what: {@code owner} changes only by CAS (acquire, recovery from a dead owner, setting WAITERS) and
 * by the releasing getAndSet; everything else is written only by the thread that holds the lock, before the
 * releasing getAndSet publishes it to the next acquirer. The owner's identity (pid and start time) is in the very
 * word that is CASed, so a waiter that sees a dead owner can take over with one CAS that fails if anything changed.
 */
public final class LockLayout {
    public static final long SIZE = 64;
    public static final long ALIGNMENT = 64;

    static final long OWNER = 0;
    /** The high half of {@link #OWNER}: the pid and WAITERS bits that futex waiters sleep on. */
    static final long OWNER_HIGH = 4;
    static final long OWNER_THREAD = 8;
    static final long HOLDS = 16;
    static final long FLAGS = 20;
    static final long KIND = 24;

    static final long WAITERS = 1L << 63;
    static final int FLAG_OWNER_DIED = 1;

    public static final int KIND_LOCK = 1;
    public static final int KIND_RLOCK = 2;

    private LockLayout() {
    }
}
