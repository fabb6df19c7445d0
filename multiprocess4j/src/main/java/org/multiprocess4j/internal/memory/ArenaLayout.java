package org.multiprocess4j.internal.memory;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The header at the start of every shared arena (documented for other languages in {@code docs/FORMAT.md}, which
 * changes with {@link #VERSION}).
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
 * <p>Blocks are carved out of the rest, starting at {@link #HEADER_SIZE}. Each block is preceded by a 16-byte
 * block header:
 *
 * <pre>
 *   -16                  -8                  0
 *   +-------------------+-------------------+----------------------
 *   | tag (long)        | size (long)       | the block's bytes ...
 *   | "MP4J" | generation | bytes in the    |
 *   | while allocated,  | block             |
 *   | 0 once freed      |                   |
 *   +-------------------+-------------------+----------------------
 * </pre>
 *
 * The creator writes the size, then the tag with release semantics, before the block's first handle exists; it
 * clears the tag (release) before it reuses the space. The generation differs for every allocation of a process, and
 * handles carry it: an attach checks the tag with acquire semantics, so a handle to freed memory is refused instead
 * of silently aliasing whatever was allocated there since.
 *
 * <p>After a block's bytes, at the next multiple of 8, its creator leaves a descriptor record saying what the block
 * holds, for an inspector (attachers need not read it; the handle says everything they check):
 *
 * <pre>
 *   0                   8
 *   +-------------------+------------------------------------------------+
 *   | tag (long)        | descriptor: UTF-8, padded with zeros to 8      |
 *   | "MP4D" | length   | count "\n" signature [ "\n" lock handle ]      |
 *   +-------------------+------------------------------------------------+
 * </pre>
 *
 * The signature is the one the object's handles carry (decoded), or {@code -} and a phrase for a block of the
 * library's own. The creator writes the record before the block's tag, and nobody changes it while the block lives.
 */
public final class ArenaLayout {
    /** "MP4JARNA" in ASCII, big-endian. */
    public static final long MAGIC = 0x4D50344A41524E41L;
    /** Bumped whenever a layout that lives in shared memory changes. */
    public static final int VERSION = 2;
    public static final long HEADER_SIZE = 64;

    /** The block header's size, before each block. */
    public static final long BLOCK_HEADER_SIZE = 16;
    /** "MP4J" in the high half of the tag of an allocated block; the generation is the low half. */
    public static final long BLOCK_LIVE = 0x4D50344AL << 32;
    public static final long BLOCK_TAG_OFFSET = -16;
    public static final long BLOCK_SIZE_OFFSET = -8;
    /** "MP4D" in the high half of a descriptor record's tag; the descriptor's length in bytes is the low half. */
    public static final long DESCRIPTOR = 0x4D503444L << 32;
    /** The longest descriptor kept: a longer one is replaced by a phrase saying so. */
    public static final int MAX_DESCRIPTOR = 1 << 16;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 8;
    static final long HEADER_SIZE_OFFSET = 12;
    public static final long CREATOR_PID_OFFSET = 16;
    public static final long CREATOR_START_OFFSET = 24;
    public static final long ARENA_ID_OFFSET = 32;
    public static final long ARENA_SIZE_OFFSET = 40;

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

    /** Where the descriptor record of a block of {@code size} bytes at {@code blockOffset} starts. */
    public static long descriptorOffset(long blockOffset, long size) {
        return (blockOffset + size + 7) & -8L;
    }

    /** The bytes a descriptor record of {@code descriptor} takes. */
    static long descriptorSpace(byte[] descriptor) {
        return 8 + ((descriptor.length + 7) & -8L);
    }

    /** Writes the descriptor record of the block of {@code size} bytes at {@code blockOffset}, padding included. */
    static void writeDescriptor(MemorySegment arena, long blockOffset, long size, byte[] descriptor) {
        long at = descriptorOffset(blockOffset, size);
        MemorySegment.copy(descriptor, 0, arena, JAVA_BYTE, at + 8, descriptor.length);
        arena.asSlice(at + 8 + descriptor.length, descriptorSpace(descriptor) - 8 - descriptor.length).fill((byte) 0);
        arena.set(JAVA_LONG, at, DESCRIPTOR | descriptor.length);
    }

    static void markLive(MemorySegment arena, long blockOffset, long size, int generation) {
        arena.set(JAVA_LONG, blockOffset + BLOCK_SIZE_OFFSET, size);
        JAVA_LONG.varHandle().setRelease(arena, blockOffset + BLOCK_TAG_OFFSET,
                BLOCK_LIVE | Integer.toUnsignedLong(generation)); // publishes the size
    }

    static void markFree(MemorySegment arena, long blockOffset) {
        JAVA_LONG.varHandle().setRelease(arena, blockOffset + BLOCK_TAG_OFFSET, 0L); // before the space is reused
    }

    /**
     * The size of the live block of generation {@code generation} at {@code blockOffset}, or -1 when no such block
     * starts there.
     */
    static long liveBlockSize(MemorySegment arena, long blockOffset, int generation) {
        if (blockOffset < HEADER_SIZE + BLOCK_HEADER_SIZE || blockOffset > arena.byteSize()) {
            return -1;
        }
        long tag = (long) JAVA_LONG.varHandle().getAcquire(arena, blockOffset + BLOCK_TAG_OFFSET); // pairs with
                                                                                                 // markLive
        long size = arena.get(JAVA_LONG, blockOffset + BLOCK_SIZE_OFFSET);
        return tag == (BLOCK_LIVE | Integer.toUnsignedLong(generation)) && size >= 0
                && size <= arena.byteSize() - blockOffset ? size : -1;
    }

    /** Why no live block of generation {@code generation} starts at {@code blockOffset}, in words for a message. */
    static String whyNoLiveBlock(MemorySegment arena, long blockOffset, int generation) {
        if (blockOffset < HEADER_SIZE + BLOCK_HEADER_SIZE || blockOffset > arena.byteSize()) {
            return "the offset lies outside the arena's " + arena.byteSize() + " bytes";
        }
        long tag = (long) JAVA_LONG.varHandle().getAcquire(arena, blockOffset + BLOCK_TAG_OFFSET); // pairs with
                                                                                                 // markLive/Free
        if (tag == 0) {
            return "it no longer exists: the block there was freed by its creator";
        }
        if ((tag & 0xFFFF_FFFF_0000_0000L) == BLOCK_LIVE) {
            return tag == (BLOCK_LIVE | Integer.toUnsignedLong(generation))
                    ? "the block header there is corrupt (size " + arena.get(JAVA_LONG, blockOffset + BLOCK_SIZE_OFFSET)
                    + ")"
                    : "the block there was freed and its space allocated again (generation handle="
                    + Integer.toUnsignedString(generation) + " memory=" + Long.toUnsignedString(tag & 0xFFFF_FFFFL) + ")";
        }
        return "no block starts at that offset";
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
        long id = arena.get(JAVA_LONG, ARENA_ID_OFFSET);
        if (id != ref.arenaId()) {
            throw new IllegalStateException("arena header does not match the handle: arena id handle="
                    + Long.toHexString(ref.arenaId()) + " file=" + Long.toHexString(id) + " in " + source);
        }
        expect("arena size", ref.size(), arena.get(JAVA_LONG, ARENA_SIZE_OFFSET), source);
    }

    private static void expect(String what, long handle, long file, String source) {
        if (handle != file) {
            throw new IllegalStateException("arena header does not match the handle: " + what + " handle=" + handle
                    + " file=" + file + " in " + source);
        }
    }
}
