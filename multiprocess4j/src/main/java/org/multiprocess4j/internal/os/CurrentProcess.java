package org.multiprocess4j.internal.os;

/** The identity of this JVM's process: its pid and its start time, which together never name another process. */
public final class CurrentProcess {
    /** This process's id. */
    public static final long PID = ProcessHandle.current().pid();
    /** This process's start time in clock ticks since boot. */
    public static final long START_TIME = Platform.current().processStartTime(PID);

    private CurrentProcess() {
    }
}
