package org.multiprocess4j.internal.memory;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.events.Logs;
import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;
import org.multiprocess4j.internal.os.SharedMemoryExhaustedException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * This process's view of shared memory: the arenas it created, from which it carves blocks, and the arenas of
 * other processes it attached to. One lock guards it all; allocation is not a hot path.
 *
 * <p>Small blocks come from arenas that start at 256 KiB and double up to 4 MiB (CPython's heap grows its
 * arenas the same way), smaller when the directory has no room for the next size; a block over 1 MiB gets an arena
 * of its own. An arena is unmapped, and a created one's
 * descriptor closed, when no block or view uses it any more, except the newest small arena, kept for reuse.
 */
public final class SharedHeap {
    /** The system property naming the tmpfs directory arenas are created in. */
    public static final String DIRECTORY_PROPERTY = "multiprocess4j.shm.dir";

    static final long ALIGNMENT = 8;
    private static final long FIRST_ARENA = 256 << 10;
    private static final long MAX_ARENA = 4 << 20;
    private static final long DEDICATED_THRESHOLD = 1 << 20;
    private static final long PAGE = 4096;

    private static final Map<Long, MappedArena> ARENAS = new HashMap<>();
    private static final Map<MappedArena, FreeSpace> SPACES = new IdentityHashMap<>();
    private static final List<MappedArena> SMALL = new ArrayList<>();
    private static long nextArenaSize = FIRST_ARENA;
    /**
     * Tells apart the successive blocks at one offset; starts anywhere so that processes differ too, drawn at this
     * process's first allocation.
     */
    private static int nextGeneration;
    private static boolean generationDrawn;

    private SharedHeap() {
    }

    /** The directory arenas are created in. */
    public static Path directory() {
        return Path.of(System.getProperty(DIRECTORY_PROPERTY, "/dev/shm"));
    }

    /** The largest block {@link #allocate} makes: 256 TiB, far past any shared-memory file system. */
    static final long MAX_BLOCK = 1L << 48;

    /**
     * A new block of {@code size} bytes aligned to {@code alignment} (a power of two), zeroed: a dedicated arena is
     * zero when created, space reused in a shared one is cleared here. Its descriptor record says what it holds
     * ({@link ArenaLayout}): {@code descriptor}, or a phrase saying it was too long to keep.
     */
    static synchronized Allocation allocate(long size, long alignment, String descriptor) {
        Platform.current(); // where the library does not run, this names the OS: before any class needs it
        if (size < 0 || size > MAX_BLOCK) { // past it, the sizes below would overflow
            throw new IllegalArgumentException("a shared object of " + size + " bytes is more than shared memory "
                    + "can hold (2^48 bytes at most)");
        }
        byte[] described = descriptor.getBytes(StandardCharsets.UTF_8);
        if (described.length > ArenaLayout.MAX_DESCRIPTOR) {
            described = ("-\nan object whose descriptor of " + described.length + " bytes is too long to keep")
                    .getBytes(StandardCharsets.UTF_8);
        }
        long padded = ArenaLayout.BLOCK_HEADER_SIZE + roundUp(Math.max(size, 1), ALIGNMENT)
                + Math.max(0, alignment - ALIGNMENT) + ArenaLayout.descriptorSpace(described);
        MappedArena arena;
        long offset;
        boolean fresh = padded > DEDICATED_THRESHOLD;
        if (fresh) {
            arena = newArena(roundUp(ArenaLayout.HEADER_SIZE + padded, PAGE), "dedicated to one object", "created");
            offset = SPACES.get(arena).allocate(padded);
        } else {
            arena = null;
            offset = -1;
            for (int i = SMALL.size() - 1; i >= 0 && offset < 0; i--) {
                arena = SMALL.get(i);
                offset = SPACES.get(arena).allocate(padded);
            }
            if (offset < 0) {
                arena = newSmallArena(roundUp(ArenaLayout.HEADER_SIZE + padded, PAGE));
                SMALL.add(arena);
                offset = SPACES.get(arena).allocate(padded);
            }
        }
        arena.users++;
        long aligned = roundUp(offset + ArenaLayout.BLOCK_HEADER_SIZE, alignment);
        if (!fresh) {
            arena.memory().asSlice(aligned, size).fill((byte) 0);
        }
        if (!generationDrawn) {
            nextGeneration = MappedArena.Ids.nextInt();
            generationDrawn = true;
        }
        int generation = nextGeneration++;
        ArenaLayout.writeDescriptor(arena.memory(), aligned, size, described);
        ArenaLayout.markLive(arena.memory(), aligned, size, generation);
        return new Allocation(arena, offset, padded, aligned, size, generation);
    }

    /**
     * A new arena for small blocks, of the next size in the growth series, or smaller (down to {@code needed}) when
     * the directory has no room for that: an allocation fails only when the directory cannot hold the block itself.
     * The series grows only with arenas actually made.
     */
    private static MappedArena newSmallArena(long needed) {
        long wanted = Math.max(nextArenaSize, needed);
        long size = wanted;
        while (true) {
            try {
                // The first arena for small objects is created; each later one grows the heap, the others being full.
                MappedArena arena = newArena(size, "small objects", SMALL.isEmpty() ? "created" : "grown");
                nextArenaSize = Math.min(MAX_ARENA, Math.max(nextArenaSize, size) * 2);
                if (size < wanted) {
                    long made = size;
                    warnNoRoom(() -> "shared-memory directory " + directory() + " has no room for an arena of "
                            + wanted + " bytes (small objects): made one of " + made + " bytes");
                }
                return arena;
            } catch (SharedMemoryExhaustedException e) {
                if (size == needed) {
                    warnNoRoom(() -> "shared-memory directory " + directory() + " has no room for an arena of "
                            + wanted + " bytes (small objects), nor for one of the " + needed + " bytes the object "
                            + "needs: " + e.getMessage());
                    throw e;
                }
                size = Math.max(needed, roundUp(size / 2, PAGE));
            }
        }
    }

    /**
     * Logs a warning that the directory had no room: one per allocation (not per arena size tried), and, as every
     * warning of the library, at most ten a second (a program retrying a failed allocation in a loop would flood
     * the log otherwise).
     */
    private static void warnNoRoom(java.util.function.Supplier<String> message) {
        Logs.warnAside(message);
    }

    private static MappedArena newArena(long size, String purpose, String action) {
        Path directory = directory();
        if (!Files.isDirectory(directory)) {
            throw new IllegalStateException("shared-memory directory " + (Files.exists(directory)
                    ? "is not a directory" : "does not exist") + ": " + DIRECTORY_PROPERTY + "=" + directory);
        }
        MappedArena arena;
        try {
            arena = MappedArena.create(directory, size);
        } catch (SharedMemoryExhaustedException e) {
            if (!purpose.equals("small objects")) { // newSmallArena warns once it knows how its tries ended
                warnNoRoom(() -> "shared-memory directory " + directory + " has no room for an arena of " + size
                        + " bytes (" + purpose + "): " + e.getMessage());
            }
            throw e;
        }
        Events.arena(action, arena.ref().arenaId(), size, purpose);
        ARENAS.put(arena.ref().arenaId(), arena);
        SPACES.put(arena, new FreeSpace(ArenaLayout.HEADER_SIZE, size));
        return arena;
    }

    /** Gives an allocation's space back and drops its use of the arena. */
    static synchronized void free(Allocation allocation) {
        ArenaLayout.markFree(allocation.arena().memory(), allocation.offset());
        SPACES.get(allocation.arena()).free(allocation.blockOffset(), allocation.blockSize());
        release(allocation.arena());
    }

    /** The arena a reference names, mapped, with one more user: the caller must {@link #release} it. */
    static synchronized MappedArena acquire(ArenaRef ref) {
        Platform.current(); // as in allocate
        MappedArena arena = ARENAS.get(ref.arenaId());
        if (arena == null) {
            if (ref.creatorPid() == CurrentProcess.PID && ref.creatorStartTime() == CurrentProcess.START_TIME) {
                throw new IllegalStateException("shared memory no longer exists: arena "
                        + Long.toHexString(ref.arenaId()) + " of this process was released");
            }
            arena = MappedArena.attach(ref);
            if (Events.on()) { // the description is made only for a recording: see Events
                Events.arena("attached", ref.arenaId(), ref.size(), "of process " + ref.creatorPid());
            }
            ARENAS.put(ref.arenaId(), arena);
        } else if (!arena.ref().equals(ref)) {
            throw new IllegalStateException("arena does not match the handle: handle=" + ref + " mapped="
                    + arena.ref());
        }
        arena.users++;
        return arena;
    }

    /** Drops one use of an arena, unmapping it when none is left and it is not kept for reuse. */
    static synchronized void release(MappedArena arena) {
        if (--arena.users > 0 || (!SMALL.isEmpty() && SMALL.getLast() == arena)) {
            return;
        }
        ARENAS.remove(arena.ref().arenaId());
        SPACES.remove(arena);
        SMALL.remove(arena);
        arena.unmap();
        if (Events.on()) {
            Events.arena("freed", arena.ref().arenaId(), arena.ref().size(),
                    arena.ref().creatorPid() == CurrentProcess.PID ? "this process's"
                            : "of process " + arena.ref().creatorPid());
        }
    }

    private static long roundUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * A block in an arena this process created: where its padded extent starts and how long it is, where the
     * block itself starts (after its header, aligned) and how many bytes it has.
     */
    record Allocation(MappedArena arena, long blockOffset, long blockSize, long offset, long size, int generation) {
    }
}
