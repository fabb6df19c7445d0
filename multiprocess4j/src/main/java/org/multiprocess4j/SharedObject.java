package org.multiprocess4j;

/**
 * An object whose state lives in shared memory, that other processes reach through its {@link #handle()}.
 *
 * <p>Ownership: the process that created an object owns its memory. The memory is given back when the object
 * (and every view of it) is {@linkplain #close() closed} or unreachable in the creating process; objects attached
 * in other processes must not outlive it. Any access after {@code close()} throws {@link IllegalStateException}.
 */
public interface SharedObject extends AutoCloseable {

    /** The handle from which another process attaches to this object. */
    Handle handle();

    /** Ends this process's access to the object and, in the process that created it, frees its memory. */
    @Override
    void close();
}
