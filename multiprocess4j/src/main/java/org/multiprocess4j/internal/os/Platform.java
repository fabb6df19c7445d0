package org.multiprocess4j.internal.os;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Everything the library asks of the operating system, behind one interface so that a port to another OS
 * replaces one class. The only implementation today is {@link LinuxPlatform}.
 *
 * <p>Methods that need a native downcall link it on first use, so a child JVM that only maps memory and uses
 * atomics never pays for linking (about 25 ms at start-up).
 */
public interface Platform {

    /** The platform of the running JVM. */
    static Platform current() {
        return LinuxPlatform.INSTANCE;
    }

    /**
     * Creates a file of {@code size} bytes that has no name (or loses it before this method returns) in the
     * file system of {@code directory}, with its space reserved, open for reading and writing, owner-only, and
     * not inherited by child processes.
     *
     * @return the open file descriptor
     * @throws SharedMemoryExhaustedException when the file system cannot hold {@code size} more bytes
     * @throws IllegalStateException for any other failure, naming the call and the error
     */
    int createUnnamedSharedFile(Path directory, long size);

    /** A path through which another process of the same user reopens descriptor {@code fd} of process {@code pid}. */
    Path descriptorPath(long pid, int fd);

    /** Closes a descriptor returned by {@link #createUnnamedSharedFile}. */
    void close(int fd);

    /**
     * The start time of process {@code pid} in clock ticks since boot, or {@code -1} when no such process runs
     * (zombies count as gone). A pid with its start time names one process for the life of the machine.
     */
    long processStartTime(long pid);

    /**
     * Sleeps while the 32-bit word at {@code word} (in shared memory) still holds {@code expected}, at most
     * {@code timeoutNanos}; may return early for any reason, so callers re-check their condition.
     */
    void futexWait(MemorySegment word, int expected, long timeoutNanos);

    /** Wakes at most {@code count} threads, of any process, sleeping in {@link #futexWait} on {@code word}. */
    void futexWake(MemorySegment word, int count);
}
