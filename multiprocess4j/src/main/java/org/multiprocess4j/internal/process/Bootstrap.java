package org.multiprocess4j.internal.process;

import org.multiprocess4j.Handle;

import java.io.Serial;
import java.io.Serializable;

/**
 * What a parent sends its child over the child's standard input: the target, its arguments (shared objects
 * replaced by their handles), where to report how it ended, and whether it is a daemon.
 *
 * @param target    a serializable task of {@code org.multiprocess4j.ChildProcess}
 * @param arguments the arguments, each either a {@link SharedArgument} or the value itself
 * @param status    the handle of the status block
 * @param daemon    whether the child must end when its parent does
 * @param name      the process's name
 */
public record Bootstrap(Serializable target, Object[] arguments, Handle status, boolean daemon, String name)
        implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * A shared object that travels as its handle and is attached again in the child.
     *
     * @param handle the object's handle
     */
    public record SharedArgument(Handle handle) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }
}
