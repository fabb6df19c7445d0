package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** This process created or freed an arena of shared memory. */
@Name("org.multiprocess4j.Arena")
@Label("Shared Memory Arena")
@Category("multiprocess4j")
@Description("This process created (mapped), grew its heap by, attached or freed (unmapped) an arena of shared memory")
@StackTrace
final class ArenaEvent extends jdk.jfr.Event {
    @Label("Action")
    @Description("created; grown (another arena for small objects, the others being full); attached; or freed")
    String action;

    @Label("Arena Id")
    @Description("The arena's random id, in hexadecimal, as in handles")
    String arenaId;

    @Label("Size")
    @DataAmount
    long bytes;

    @Label("Purpose")
    @Description("small objects (shared by many), dedicated (one large object), or another process's")
    String purpose;
}
