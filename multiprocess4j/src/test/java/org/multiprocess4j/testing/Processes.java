package org.multiprocess4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the kernel says of other processes, for tests that kill them. */
public final class Processes {
    private Processes() {
    }

    /** Whether {@code pid} names no running process: none at all, or a zombie waiting to be reaped. */
    public static boolean isGone(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return true;
        }
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        return state == 'Z' || state == 'X';
    }

    /**
     * Waits, looking every 200 microseconds, until {@code pid} is gone or {@code deadline} has passed.
     *
     * @return the nanoseconds waited, or -1 when it was still running at the deadline
     */
    public static long awaitGone(long pid, Duration deadline) {
        long start = System.nanoTime();
        while (!isGone(pid)) {
            if (System.nanoTime() - start > deadline.toNanos()) {
                return -1;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        return System.nanoTime() - start;
    }

    /** Waits, looking every 100 microseconds, until {@code pid} is stopped (by SIGSTOP); fails after {@code deadline}. */
    public static void awaitStopped(long pid, Duration deadline) {
        long start = System.nanoTime();
        while (true) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                if (stat.charAt(stat.lastIndexOf(')') + 2) == 'T') {
                    return;
                }
            } catch (IOException e) {
                throw new IllegalStateException("process " + pid + " is gone", e);
            }
            if (System.nanoTime() - start > deadline.toNanos()) {
                throw new IllegalStateException("process " + pid + " did not stop within " + deadline);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /** Sends SIGKILL to {@code pid}, if it still runs. */
    public static void kill9(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
}
