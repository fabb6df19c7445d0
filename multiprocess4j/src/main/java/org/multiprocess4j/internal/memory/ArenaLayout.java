package org.multiprocess4j.internal.memory;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The header at the start of every shared arena.
 *
 * <pre>
 *   0                   8         12        16                  24                  32                  40                  48       64
 *   +-------------------+---------+---------+-------------------+-------------------+-------------------+-------------------+--------+
 *   | magic "MP4JARNA"  | version | header  | creator pid       | creator start     | arena id          | arena size        |reserved|
 *   | long              | int     | size    | long              | time (ticks) long | long (random)     | long (bytes)      |        |
 *   +-------------------+---------+---------+-------------------+-------------------+-------------------+-------------------+--------+
 * </pre>
 *
 * <p>Publication: the creator writes every field, then the magic with release semantics. No other process can
 * learn of the arena before a handle naming it crosses a pipe or a file, which orders the header before any
 * attach; the release store keeps the creator's own later readers honest too.
 *
 * <p>Blocks are carved out of the rest, starting at {@link #HEADER_SIZE}, 8-byte aligned.
 */
public final class ArenaLayout {
    /** "MP4JARNA" in ASCII, big-endian. */
    public static final long MAGIC = 0x4D50344A41524E41L;
    /** Bumped whenever a layout that lives in shared memory changes. */
    public static final int VERSION = 1;
    public static final long HEADER_SIZE = 64;

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 8;
    static final long HEADER_SIZE_OFFSET = 12;
    static final long CREATOR_PID_OFFSET = 16;
    static final long CREATOR_START_OFFSET = 24;
    static final long ARENA_ID_OFFSET = 32;
    static final long ARENA_SIZE_OFFSET = 40;

    private ArenaLayout() {
    }

    static void write(MemorySegment arena, ArenaRef ref) {
        arena.set(JAVA_INT, VERSION_OFFSET, VERSION);
        arena.set(JAVA_INT, HEADER_SIZE_OFFSET, (int) HEADER_SIZE);
        arena.set(JAVA_LONG, CREATOR_PID_OFFSET, ref.creatorPid());
        arena.set(JAVA_LONG, CREATOR_START_OFFSET, ref.creatorStartTime());
        arena.set(JAVA_LONG, ARENA_ID_OFFSET, ref.arenaId());
        arena.set(JAVA_LONG, ARENA_SIZE_OFFSET, ref.size());
        JAVA_LONG.varHandle().setRelease(arena, MAGIC_OFFSET, MAGIC); // publishes the fields above
    }

    /**
     * Checks the header of a mapped arena against the reference it was attached through, and throws an
     * {@link IllegalStateException} that shows both sides of the first mismatch.
     */
    static void check(MemorySegment arena, ArenaRef ref, String source) {
        if (arena.byteSize() < HEADER_SIZE) {
            throw new IllegalStateException("arena truncated: " + source + " holds " + arena.byteSize()
                    + " bytes, less than its " + HEADER_SIZE + "-byte header");
        }
        long magic = (long) JAVA_LONG.varHandle().getAcquire(arena, MAGIC_OFFSET); // pairs with write()
        if (magic != MAGIC) {
            throw new IllegalStateException("not a multiprocess4j arena (corrupt header): magic expected=0x"
                    + Long.toHexString(MAGIC) + " file=0x" + Long.toHexString(magic) + " in " + source);
        }
        int version = arena.get(JAVA_INT, VERSION_OFFSET);
        if (version != VERSION) {
            throw new IllegalStateException("arena layout version not compatible: app=" + VERSION + " file="
                    + version + " in " + source);
        }
        expect("header size", HEADER_SIZE, arena.get(JAVA_INT, HEADER_SIZE_OFFSET), source);
        expect("creator pid", ref.creatorPid(), arena.get(JAVA_LONG, CREATOR_PID_OFFSET), source);
        expect("creator start time", ref.creatorStartTime(), arena.get(JAVA_LONG, CREATOR_START_OFFSET), source);
        expect("arena id", ref.arenaId(), arena.get(JAVA_LONG, ARENA_ID_OFFSET), source);
        expect("arena size", ref.size(), arena.get(JAVA_LONG, ARENA_SIZE_OFFSET), source);
    }

    private static void expect(String what, long handle, long file, String source) {
        if (handle != file) {
            throw new IllegalStateException("arena header does not match the handle: " + what + " handle=" + handle
                    + " file=" + file + " in " + source);
        }
    }
}
