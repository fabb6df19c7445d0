package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;

/**
 * What every shared value and array is made of: a block of shared memory, where this object starts in it, and
 * the lock that guards it when it is synchronized.
 */
abstract sealed class SharedData implements SharedObject permits SharedValue, SharedArray {
    final SharedBlock block;
    /** Where this object's bytes start, relative to the block. */
    final long base;
    /** This object's bytes; offsets in accessors are relative to it. */
    final MemorySegment segment;
    /** The lock of a synchronized wrapper, or null for a raw object. */
    final SharedLock lock;
    /** Whether the lock was made for this object, and is closed with it. */
    private final boolean ownsLock;

    SharedData(SharedBlock block, long base, long byteSize, SharedLock lock, boolean ownsLock) {
        this.block = block;
        this.base = base;
        this.segment = base == 0 && byteSize == block.segment().byteSize()
                ? block.segment() : block.segment().asSlice(base, byteSize);
        this.lock = lock;
        this.ownsLock = ownsLock;
    }

    /** The kind and C type, as the handle records them: {@code 'v'} or {@code 'a'} and the type's signature. */
    abstract String signature();

    /** How many elements: 1 for a value. */
    abstract long count();

    /** Throws when this object cannot be named by a handle of its own. */
    void checkHandle() {
    }

    /** The distance between elements when it is not the element size (a view with a step), else 0. */
    long handleStride() {
        return 0;
    }

    /** The same object with another lock (null: the raw object). */
    abstract SharedData withLock(SharedLock lock, boolean ownsLock);

    @Override
    public final Handle handle() {
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: a closed object has no handle: " + this);
        }
        checkHandle();
        Handle lockHandle = lock == null ? null : lock.handle();
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData(signature(), block.arena(),
                block.offset(), block.generation(), base, segment.byteSize(), count(), handleStride(),
                lockHandle == null ? null : lockHandle.toString(),
                lockHandle == null ? null : HandleCodec.decoded(lockHandle)));
    }

    /**
     * Ends this process's access to the object and every view sharing its memory; in the creating process the
     * memory is freed, and a lock made for this object is closed too. Any later access throws
     * {@link IllegalStateException}. Idempotent.
     */
    @Override
    public final void close() {
        if (ownsLock) { // first: a lock that refuses to close (a thread waits on it) leaves the object whole
            lock.close();
        }
        block.close();
    }

    /** Whether accesses take a lock: the object came from {@code value}, {@code array} or {@code synchronize}. */
    public final boolean isSynchronized() {
        return lock != null;
    }

    /**
     * The lock of a synchronized object (Python's {@code get_lock()}): hold it across compound operations.
     *
     * @throws UnsupportedOperationException when this object is raw
     */
    public final SharedLock getLock() {
        if (lock == null) {
            throw new UnsupportedOperationException("a raw " + this + " has no lock: create it with value() or "
                    + "array(), or wrap it with synchronize()");
        }
        return lock;
    }

    /**
     * The bytes of this object, for interoperation with native code or other FFM users: same memory, same lifetime.
     * For an array view with a step, the bytes from its first element to the end of its last, the skipped
     * elements between included ({@link SharedArray#strideBytes()} tells the step in bytes).
     */
    public final MemorySegment segment() {
        return segment;
    }

    final String describe(String body) {
        return lock == null ? body : "synchronized " + body;
    }
}
