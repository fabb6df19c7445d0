package org.multiprocess4j.internal.os;

/**
 * Notice from the kernel when watched processes end: one object per JVM, read by one thread. On Linux, a process
 * file descriptor ({@code pidfd_open}) per watched process, all in one {@code epoll} set, with an {@code eventfd}
 * to interrupt the wait.
 */
public interface ProcessExits {

    /**
     * Starts watching process {@code pid}; {@link #await()} reports {@code key} once it has ended.
     *
     * @return false when no process {@code pid} runs (it has ended already), true when it is watched
     */
    boolean watch(long pid, long key);

    /** Stops watching the process {@link #watch} reported as {@code key}, if it is watched. */
    void unwatch(long key);

    /**
     * Waits until a watched process ends or {@link #interrupt()} is called, and returns the keys of the processes
     * that have ended since the last call (none when interrupted). A process is reported once; it is then no longer
     * watched.
     */
    long[] await();

    /** Makes a thread blocked in {@link #await()} return, now or at its next call. */
    void interrupt();
}
