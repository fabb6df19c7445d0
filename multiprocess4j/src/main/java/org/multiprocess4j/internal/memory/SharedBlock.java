package org.multiprocess4j.internal.memory;

import org.multiprocess4j.internal.events.Events;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * The memory of one shared object in this process: a segment over its bytes with a lifetime of its own.
 *
 * <p>Lifetime: the segment is a view of the arena's mapping whose scope is a private shared {@link Arena}.
 * {@link #close()} closes that scope first, so any later access through the object or a view of it throws
 * {@link IllegalStateException}, then gives the block back. When instead every segment of the scope becomes
 * unreachable, a cleaner gives the block back. Either way the arena is unmapped only after the last scope that
 * could reach it is closed or unreachable, so no access can ever touch unmapped memory, as far as the JDK stops the
 * threads inside an access when a shared scope closes (JDK 25.0.3 and earlier can miss one in a compiled loop,
 * JDK-8364167: README, "Memory, lifetime and handles").
 *
 * <p>A block either owns its bytes (it was allocated here, and freeing it lets the heap reuse them) or is an
 * attachment to bytes another object owns, possibly in another process; closing an attachment only drops its use
 * of the mapping.
 */
public final class SharedBlock {
    private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("multiprocess4j-cleaner")
            .factory());

    private final MemorySegment segment;
    private final Arena scope;
    private final Cleaner.Cleanable cleanable;
    private final ArenaRef arena;
    private final long offset;
    private final int generation;

    private SharedBlock(MappedArena mapped, long offset, long size, int generation, Runnable release) {
        this.scope = Arena.ofShared();
        this.segment = mapped.memory().asSlice(offset, size).reinterpret(scope, null);
        this.cleanable = CLEANER.register(segment.scope(), release);
        this.arena = mapped.ref();
        this.offset = offset;
        this.generation = generation;
    }

    /**
     * A new zeroed block of {@code size} bytes aligned to {@code alignment}, owned by the caller.
     *
     * @param descriptor what the block holds, for an inspector: the count and signature its handles carry (and its
     *                   lock's handle), or "-" and a phrase ({@link ArenaLayout})
     */
    public static SharedBlock allocate(long size, long alignment, String descriptor) {
        SharedHeap.Allocation allocation = SharedHeap.allocate(size, alignment, descriptor);
        try {
            return new SharedBlock(allocation.arena(), allocation.offset(), size, allocation.generation(),
                    new Free(allocation));
        } catch (RuntimeException | Error e) {
            SharedHeap.free(allocation);
            throw e;
        }
    }

    /**
     * The live block of generation {@code generation} at {@code offset} of the arena {@code ref} names, mapping the
     * arena if needed.
     *
     * @throws IllegalArgumentException when the offset lies outside the arena
     * @throws IllegalStateException when no live block starts there (it was freed, or never was)
     */
    public static SharedBlock attach(ArenaRef ref, long offset, int generation) {
        return Events.attaching("arena " + Long.toHexString(ref.arenaId()) + " of process " + ref.creatorPid()
                + ", offset " + offset, () -> attachOrThrow(ref, offset, generation));
    }

    private static SharedBlock attachOrThrow(ArenaRef ref, long offset, int generation) {
        if (offset < ArenaLayout.HEADER_SIZE + ArenaLayout.BLOCK_HEADER_SIZE || offset > ref.size()) {
            throw new IllegalArgumentException("block lies outside its arena: offset=" + offset + " arena size="
                    + ref.size() + " (header " + ArenaLayout.HEADER_SIZE + " bytes)");
        }
        if (offset % SharedHeap.ALIGNMENT != 0) {
            throw new IllegalArgumentException("no block starts there: offset=" + offset + " is not a multiple of "
                    + SharedHeap.ALIGNMENT + ", as every block's is");
        }
        MappedArena mapped = SharedHeap.acquire(ref);
        try {
            long size = ArenaLayout.liveBlockSize(mapped.memory(), offset, generation);
            if (size < 0) {
                throw new IllegalStateException("no live shared object at offset " + offset + " of arena "
                        + Long.toHexString(ref.arenaId()) + " of process " + ref.creatorPid() + ": "
                        + ArenaLayout.whyNoLiveBlock(mapped.memory(), offset, generation));
            }
            return new SharedBlock(mapped, offset, size, generation, new Detach(mapped));
        } catch (RuntimeException | Error e) {
            SharedHeap.release(mapped);
            throw e;
        }
    }

    /** The object's bytes; accessing them after {@link #close()} throws {@link IllegalStateException}. */
    public MemorySegment segment() {
        return segment;
    }

    /** The arena holding the bytes. */
    public ArenaRef arena() {
        return arena;
    }

    /** Where the bytes start in their arena. */
    public long offset() {
        return offset;
    }

    /** Which allocation at this offset the block is; handles carry it. */
    public int generation() {
        return generation;
    }

    /** Whether {@link #close()} has not been called. */
    public boolean isAlive() {
        return segment.scope().isAlive();
    }

    /**
     * Ends this object's access to its bytes and gives them back. Idempotent.
     *
     * @throws IllegalStateException when another thread is inside a native call on these bytes (a lock wait)
     */
    public void close() {
        synchronized (this) {
            if (!scope.scope().isAlive()) {
                return;
            }
            scope.close();
        }
        cleanable.clean();
    }

    /** Frees an owned block; holds no reference to the block or its segment, or it would never run. */
    private record Free(SharedHeap.Allocation allocation) implements Runnable {
        @Override
        public void run() {
            SharedHeap.free(allocation);
        }
    }

    /** Drops an attachment's use of its mapping. */
    private record Detach(MappedArena mapped) implements Runnable {
        @Override
        public void run() {
            SharedHeap.release(mapped);
        }
    }
}
