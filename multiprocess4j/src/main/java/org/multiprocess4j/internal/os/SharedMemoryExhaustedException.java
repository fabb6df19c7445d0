package org.multiprocess4j.internal.os;

/**
 * Thrown when a shared-memory file system has no room for a new arena. Public callers see it as the
 * {@link IllegalStateException} it extends.
 */
public final class SharedMemoryExhaustedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with its full message. */
    public SharedMemoryExhaustedException(String message) {
        super(message);
    }
}
