package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A child process started or ended. */
@Name("org.multiprocess4j.ChildProcess")
@Label("Child Process")
@Category("multiprocess4j")
@Description("A child process (JVM or Python) started or ended")
@StackTrace
final class ChildProcessEvent extends jdk.jfr.Event {
    @Label("Action")
    @Description("started or ended")
    String action;

    @Label("Pid")
    long pid;

    @Label("Name")
    String name;

    @Label("Target")
    @Description("What the child runs: a method, a lambda's class, a script or module")
    String target;

    @Label("Start Method")
    String startMethod;

    @Label("Start Time")
    @Description("How long start() took in this process")
    @Timespan(Timespan.NANOSECONDS)
    long startNanos;

    @Label("Exit Code")
    @Description("The exit status, or -N for signal N; when ended")
    int exitCode;
}
