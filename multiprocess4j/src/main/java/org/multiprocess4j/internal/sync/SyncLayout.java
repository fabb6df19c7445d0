package org.multiprocess4j.internal.sync;

/**
 * The shared-memory layout of a semaphore, an event or a barrier: one block holding its own lock and condition,
 * the state they guard, and a table of the processes that hold permits (semaphores) or wait (barriers).
 *
 * <pre>
 *   0            64          80     84     88        96        104          112      120       128 ... 1152
 *   +------------+-----------+------+------+---------+---------+------------+--------+---------+-------------+
 *   | lock       | condition | kind | flag | value   | bound   | generation | broken | untrack-| holders:    |
 *   | (LockCore) | (Cond.)   | int  |      | long    | long    | long       | long   | ed long | 64 x (id,   |
 *   |            |           |      |      |         |         |            |        |         |   count)    |
 *   +------------+-----------+------+------+---------+---------+------------+--------+---------+-------------+
 * </pre>
 *
 * <p>Every field after the condition is read and written only under the block's lock, so plain accesses suffice
 * there; the lock's release publishes them. {@code value} is a semaphore's free permits, an event's flag (0 or 1),
 * a barrier's count of parties arrived in this generation; {@code generation} a barrier's completed rounds, an
 * event's count of sets; {@code bound} a bounded semaphore's initial permits
 * (-1 for an unbounded one), a barrier's parties. A holder entry is a process identity (pid in the high half, the
 * low 32 bits of its start time in the low half; 0 for a free entry) and a count: a semaphore's permits that
 * process holds, a barrier's arrival (1) in this generation; {@code untracked} the permits held while the table
 * was full. A bounded semaphore's free permits are always {@code bound} less the permits of the table and of
 * {@code untracked}: after a death inside an update, the next holder of the lock recomputes them so.
 */
public final class SyncLayout {
    public static final long SIZE = 1152;
    public static final long ALIGNMENT = 64;

    static final long LOCK = 0;
    static final long CONDITION = 64;
    public static final long KIND = 80;
    /**
     * An event's flag again, as a futex word that platform threads sleep on: 1 set, 0 clear (they look at the
     * count of sets, in {@link #GENERATION}, when woken). A semaphore's release count ({@link EventCount}).
     */
    static final long FLAG = 84;
    public static final long VALUE = 88;
    public static final long BOUND = 96;
    static final long GENERATION = 104;
    static final long BROKEN = 112;
    static final long UNTRACKED = 120;
    /**
     * A barrier's use of {@link #UNTRACKED}: when its round's first party arrived (CLOCK_MONOTONIC nanoseconds, as
     * {@code System.nanoTime} reads it in every process), so that the last looks at the waiting parties' lives only
     * once they have waited a slice.
     */
    static final long FIRST_ARRIVAL = UNTRACKED;
    static final long HOLDERS = 128;
    static final int HOLDER_ENTRIES = 64;
    static final long HOLDER_SIZE = 16;

    public static final int KIND_SEMAPHORE = 4;
    public static final int KIND_EVENT = 5;
    public static final int KIND_BARRIER = 6;

    private SyncLayout() {
    }
}
