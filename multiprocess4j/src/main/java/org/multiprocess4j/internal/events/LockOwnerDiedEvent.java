package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A lock whose owner died was taken over. */
@Name("org.multiprocess4j.LockOwnerDied")
@Label("Process Lock Taken Over From A Dead Owner")
@Category("multiprocess4j")
@Description("A process-shared lock was taken over from an owner that is no longer running")
@StackTrace
final class LockOwnerDiedEvent extends jdk.jfr.Event {
    @Label("Lock")
    @Description("The lock's block: its arena's id and its offset in the arena, as in its handle")
    String lock;

    @Label("Handle")
    @Description("The handle of the lock, or of the queue, semaphore, event or barrier whose lock it is")
    String handle;

    @Label("Dead Pid")
    long deadPid;

    @Label("New Owner Pid")
    long newOwnerPid;
}
