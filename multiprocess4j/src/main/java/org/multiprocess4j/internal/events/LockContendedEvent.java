package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A thread waited for a process-shared lock: the event's duration is the wait. */
@Name("org.multiprocess4j.LockContended")
@Label("Process Lock Contended")
@Category("multiprocess4j")
@Description("A thread waited for a process-shared lock held by another thread or process")
@StackTrace
final class LockContendedEvent extends jdk.jfr.Event {
    @Label("Lock")
    @Description("The lock's block: its arena's id and its offset in the arena, as in its handle")
    String lock;

    @Label("Handle")
    @Description("The handle of the lock, or of the queue, semaphore, event or barrier whose lock it is")
    String handle;

    @Label("Owner Pid")
    @Description("The process holding the lock when the wait began")
    long ownerPid;

    @Label("Acquired")
    @Description("Whether the wait ended with the lock (false: it timed out or was interrupted)")
    boolean acquired;
}
