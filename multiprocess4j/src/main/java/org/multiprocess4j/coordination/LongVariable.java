package org.multiprocess4j.coordination;

/**
 * A 64-bit integer shared by processes, with atomic updates: what a shared-memory {@code LongValue} and a
 * ZooKeeper {@code ClusterValue} of {@code c_long} have in common.
 *
 * <p>{@link #get()} and {@link #set} are single reads and writes: {@code set(get() + 1)} from two processes at
 * once can lose an update unless a lock is held across it. The other methods are atomic read-modify-write
 * operations: concurrent {@code getAndAdd} calls never lose or repeat an update.
 */
public interface LongVariable {
    /** The value. */
    long get();

    /** Sets the value. */
    void set(long value);

    /** Sets the value to {@code newValue} if it is {@code expected}; whether it was. */
    boolean compareAndSet(long expected, long newValue);

    /** Sets the value and returns the one it replaced. */
    long getAndSet(long newValue);

    /** Adds {@code delta} and returns the value before. */
    long getAndAdd(long delta);

    /** Adds {@code delta} and returns the new value. */
    long addAndGet(long delta);

    /** Adds one and returns the new value. */
    long incrementAndGet();

    /** Subtracts one and returns the new value. */
    long decrementAndGet();
}
