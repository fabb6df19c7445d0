package org.multiprocess4j.internal.os;

import java.nio.file.Path;

/**
 * Everything the library asks of the operating system, behind one interface so that a port to another OS
 * replaces one class. The only implementation today is {@link LinuxPlatform}.
 *
 * <p>Methods that need a native downcall link it on first use, so a child JVM that only maps memory and uses
 * atomics never pays for linking (about 25 ms at start-up).
 */
public interface Platform {

    /**
     * The platform of the running JVM.
     *
     * @throws UnsupportedOperationException where the library does not run, naming the OS and architecture found
     */
    static Platform current() {
        if (Architecture.CURRENT == null) {
            Architecture.require(System.getProperty("os.name"), System.getProperty("os.arch"));
        }
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

    /**
     * Eight bytes from the kernel's random source: a seed for numbers that must differ between processes (ids), not
     * stay secret.
     */
    long randomSeed();

    /** A path through which another process of the same user reopens descriptor {@code fd} of process {@code pid}. */
    Path descriptorPath(long pid, int fd);

    /**
     * A descriptor that refers to the file {@code path} names without opening it ({@code O_PATH}: no device's,
     * FIFO's or terminal's open runs); -1 when there is none. Through {@link #descriptorPath} of this process it
     * is then looked at, and opened, as the file it held when this call was made. Close it with {@link #close}.
     */
    int openPath(Path path);

    /** Closes a descriptor returned by {@link #createUnnamedSharedFile} or {@link #openPath}. */
    void close(int fd);

    /**
     * The start time of process {@code pid} in clock ticks since boot, or {@code -1} when no such process runs
     * (zombies count as gone). A pid with its start time names one process for the life of the machine.
     */
    long processStartTime(long pid);

    /** {@link #futexWait}: woken by {@link #futexWake}. */
    int WOKEN = 0;
    /** {@link #futexWait}: the word did not hold the expected value, so it did not sleep. */
    int VALUE_CHANGED = 1;
    /** {@link #futexWait}: the time ran out. */
    int TIMED_OUT = 2;
    /** {@link #futexWait}: a signal, or anything else, ended the sleep early. */
    int INTERRUPTED = 3;

    /**
     * Sleeps while the 32-bit word at {@code address} (in shared memory) still holds {@code expected}, at most
     * {@code timeoutNanos}. Takes a raw address, not a segment: a sleep may outlive the object whose word it is,
     * and the kernel only ever reads the word.
     *
     * @return {@link #WOKEN}, {@link #VALUE_CHANGED}, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     */
    int futexWait(long address, int expected, long timeoutNanos);

    /**
     * Wakes at most {@code count} threads, of any process, sleeping in {@link #futexWait} on the word at
     * {@code address}.
     *
     * @return how many were woken
     */
    int futexWake(long address, int count);

    /**
     * Links, now, the native calls that waiting needs ({@link #futexWait}, {@link #futexWake},
     * {@link #processExits}), which otherwise are linked on first use: tens of milliseconds that a thread would
     * spend holding a lock, if its first signal or contended release came then.
     */
    void linkWaiting();

    /** Links, now, {@link #futexWait} and {@link #futexWake} alone: what sleeping on an event count needs. */
    void linkFutexCalls();

    /**
     * The kernel's notice of process exits, or null where the kernel offers none (Linux before 5.3, or a sandbox
     * that forbids it): callers then look at {@link #processStartTime} from time to time instead.
     */
    ProcessExits processExits();

    /** The size of the huge pages {@link #collapseIntoHugePages} moves memory onto. */
    long HUGE_PAGE = 2L << 20;

    /**
     * Maps the first {@code size} bytes of shared file {@code fd}, rounded down to whole huge pages, at an address
     * aligned to a huge page, as {@link #collapseIntoHugePages} needs: returns the address, or 0 where it cannot.
     * The mapping keeps the file, whatever becomes of {@code fd}, until {@link #unmap}.
     */
    long mapAlignedToHugePages(int fd, long size);

    /**
     * Maps the first {@code length} bytes of shared file {@code fd} (to the end of its last page) at an address
     * aligned to a huge page: returns the address, or 0 where it cannot. The mapping keeps the file, whatever becomes
     * of {@code fd}, until {@link #unmap} of {@code length} bytes.
     */
    long mapAligned(int fd, long length);

    /** {@link #collapseIntoHugePages}: done. */
    int COLLAPSED = 0;
    /** {@link #collapseIntoHugePages}: not now (pages in use, or no huge page free): a later try may succeed. */
    int COLLAPSE_LATER = 1;
    /** {@link #collapseIntoHugePages}: never (the kernel cannot, or refuses). */
    int NEVER_COLLAPSED = 2;

    /**
     * Copies {@code length} bytes at {@code address}, huge-page aligned, of a mapping {@link #mapAlignedToHugePages}
     * made onto huge pages, for every process that maps the file (Linux 6.1 on: {@code MADV_COLLAPSE}, which a
     * tmpfs mounted without huge pages allows too). Best effort: {@link #COLLAPSED}, {@link #COLLAPSE_LATER} or
     * {@link #NEVER_COLLAPSED}.
     */
    int collapseIntoHugePages(long address, long length);

    /** Unmaps {@code length} bytes at {@code address} that {@link #mapAlignedToHugePages} or {@link #mapAligned} mapped. */
    void unmap(long address, long length);
}
