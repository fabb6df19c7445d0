package org.multiprocess4j.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A handle was refused: malformed, or naming memory that is gone or is not what it says. */
@Name("org.multiprocess4j.AttachRefused")
@Label("Attach Refused")
@Category("multiprocess4j")
@Description("A handle was refused: malformed, or naming memory that is gone or not what the handle says")
@StackTrace
final class AttachRefusedEvent extends jdk.jfr.Event {
    @Label("Handle")
    String handle;

    @Label("Rule")
    @Description("Why it was refused")
    String rule;
}
