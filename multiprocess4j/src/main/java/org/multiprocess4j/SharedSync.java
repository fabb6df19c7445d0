package org.multiprocess4j;

import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.sync.SyncCore;
import org.multiprocess4j.internal.sync.SyncLayout;

/**
 * What a semaphore, an event and a barrier share: one block of shared memory with its own robust lock and
 * condition ({@link SyncCore}), a handle of its own, and a close that refuses while this process's threads wait.
 */
abstract sealed class SharedSync implements SharedObject permits ProcessSemaphore, ProcessEvent, ProcessBarrier {
    private final SharedBlock block;
    final SyncCore core;
    private final char signature;

    SharedSync(SharedBlock block, char signature, int kind, long value, long bound, boolean init) {
        this.block = block;
        this.signature = signature;
        try {
            this.core = new SyncCore(block.segment(), block.arena().arenaId(), block.offset(), block.generation(),
                    kind, value, bound, init, () -> encoded().toString());
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
    }

    /** A block for a new object of {@code signature} ('S', 'E' or 'B'). */
    static SharedBlock allocate(char signature) {
        return SharedBlock.allocate(SyncLayout.SIZE, SyncLayout.ALIGNMENT, "1\n" + signature);
    }

    /** The block a handle names, checked to be of {@code signature}'s kind and size, attached. */
    static SharedBlock attachBlock(Handle handle, char signature, String what) {
        HandleCodec.HandleData data = HandleCodec.decoded(handle);
        if (!data.signature().equals(String.valueOf(signature)) || data.bytes() != SyncLayout.SIZE
                || data.view() != 0 || data.count() != 1 || data.stride() != 0 || data.lock() != null) {
            throw new IllegalArgumentException("handle does not name a " + what + ": handle=" + handle);
        }
        if (data.block() % SyncLayout.ALIGNMENT != 0) {
            throw new IllegalArgumentException("handle's " + what + " is not aligned: offset " + data.block()
                    + " is not a multiple of " + SyncLayout.ALIGNMENT + ", handle=" + handle);
        }
        SharedBlock block = SharedBlock.attach(data.arena(), data.block(), data.generation());
        if (block.segment().byteSize() != SyncLayout.SIZE) {
            long size = block.segment().byteSize();
            block.close();
            throw new IllegalArgumentException("handle's block is not a " + what + "'s: it holds " + size
                    + " bytes, a " + what + " " + SyncLayout.SIZE + ", handle=" + handle);
        }
        return block;
    }

    @Override
    public final Handle handle() {
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: " + getClass().getSimpleName() + " " + encoded() + " was closed in this process: it has no "
                    + "handle to give");
        }
        return encoded();
    }

    /** The handle, closed or not: what messages about this object name it by. */
    private Handle encoded() {
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData(String.valueOf(signature), block.arena(),
                block.offset(), block.generation(), 0, SyncLayout.SIZE, 1));
    }

    /**
     * Ends this process's access; in the creating process the memory is freed.
     *
     * @throws IllegalStateException when threads of this process wait on it
     */
    @Override
    public final void close() {
        int waiters = core.localWaiters();
        if (waiters > 0 && block.isAlive()) {
            throw new IllegalStateException("cannot close a " + getClass().getSimpleName() + " while " + waiters
                    + " thread(s) of this process wait on it");
        }
        core.retire();
        block.close();
    }
}
