package org.multiprocess4j.internal.os;

import java.util.Optional;

/** The identity of this JVM's process: its pid and its start time, which together never name another process. */
public final class CurrentProcess {
    /** This process's id. */
    public static final long PID = ProcessHandle.current().pid();
    /** This process's start time in clock ticks since boot. */
    public static final long START_TIME = Platform.current().processStartTime(PID);

    private CurrentProcess() {
    }

    /**
     * Whether the process {@code pid} that started at {@code startTime} is this one's parent (as the kernel has it
     * now: a parent that ended has left this process to another).
     */
    public static boolean isParent(long pid, long startTime) {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        return parent.isPresent() && parent.get().pid() == pid && Platform.current().processStartTime(pid) == startTime;
    }
}
