package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A wait on a process-shared condition ended by its timeout: the event's duration is the wait. */
@Name("org.multiprocess4j.ConditionTimedOut")
@Label("Process Condition Wait Timed Out")
@Category("multiprocess4j")
@Description("A wait on a process-shared condition (or event, semaphore, barrier) ended by its timeout")
@StackTrace
final class ConditionTimedOutEvent extends jdk.jfr.Event {
    @Label("Object")
    @Description("What was waited on: its kind and handle")
    String object;
}
