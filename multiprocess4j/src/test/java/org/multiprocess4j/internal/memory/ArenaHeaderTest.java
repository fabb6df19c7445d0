package org.multiprocess4j.internal.memory;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.Handle;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Jvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attaching checks the arena header and says what did not match, showing both sides. */
class ArenaHeaderTest {
    private static final ArenaRef REF = new ArenaRef(1234, 5678, 7, 42, 4096);

    private static MemorySegment validArena(Arena arena) {
        MemorySegment segment = arena.allocate(4096, 64);
        ArenaLayout.write(segment, REF);
        return segment;
    }

    private static String failure(MemorySegment segment) {
        return assertThrows(IllegalStateException.class, () -> ArenaLayout.check(segment, REF, "test")).getMessage();
    }

    @Test
    void shouldNameEachMismatchWithBothSides() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment corrupt = validArena(arena);
            corrupt.set(JAVA_LONG, ArenaLayout.MAGIC_OFFSET, 0xBADL);
            String message = failure(corrupt);
            assertTrue(message.contains("corrupt header") && message.contains("file=0xbad"), message);

            MemorySegment newer = validArena(arena);
            newer.set(JAVA_INT, ArenaLayout.VERSION_OFFSET, ArenaLayout.VERSION + 1);
            message = failure(newer);
            assertTrue(message.contains("app=" + ArenaLayout.VERSION + " file=" + (ArenaLayout.VERSION + 1)), message);

            MemorySegment other = validArena(arena);
            other.set(JAVA_LONG, ArenaLayout.ARENA_ID_OFFSET, 43);
            message = failure(other);
            assertTrue(message.contains("arena id handle=2a file=2b"), message);

            message = failure(validArena(arena).asSlice(0, 16));
            assertTrue(message.contains("truncated"), message);
        }
    }

    /** Tries to attach to a handle and prints what happened. */
    public static final class Attach {
        public static void main(String[] args) {
            try {
                LongValue.attach(Handle.parse(args[0]));
                System.out.println("attached");
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    @Test
    void anotherProcessRefusesAnArenaWhoseHeaderWasCorrupted() {
        LongValue value = SharedCTypes.rawValue(CType.c_long, 5L);
        HandleCodec.HandleData data = HandleCodec.decode(value.handle().toString());
        MappedArena arena = SharedHeap.acquire(data.arena());
        try {
            arena.memory().set(JAVA_INT, ArenaLayout.VERSION_OFFSET, 99);
            String out = Jvm.run(Attach.class, value.handle().toString());
            assertTrue(out.contains("version not compatible: app=" + ArenaLayout.VERSION + " file=99"), out);
        } finally {
            arena.memory().set(JAVA_INT, ArenaLayout.VERSION_OFFSET, ArenaLayout.VERSION);
            SharedHeap.release(arena);
        }
        assertTrue(Jvm.run(Attach.class, value.handle().toString()).contains("attached"));
    }
}
