package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocess4j.internal.memory.ArenaLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A child reports how it ended only into its parent's arena, never into a file that took its path. */
class StatusWriterTest {
    private static final long ARENA_ID = 0x5EED_1234_ABCD_0042L;
    private static final long BASE = 4096;

    private static byte[] arenaBytes(long arenaId) {
        ByteBuffer bytes = ByteBuffer.allocate((int) (BASE + StatusLayout.SIZE)).order(ByteOrder.nativeOrder());
        bytes.putLong((int) ArenaLayout.MAGIC_OFFSET, ArenaLayout.MAGIC);
        bytes.putLong((int) ArenaLayout.ARENA_ID_OFFSET, arenaId);
        return bytes.array();
    }

    @Test
    void shouldWriteTheStateAndExceptionIntoTheArenaItWasGiven(@TempDir Path dir) throws IOException {
        Path arena = Files.write(dir.resolve("arena"), arenaBytes(ARENA_ID));
        new StatusWriter(arena.toString(), ARENA_ID, BASE).report(StatusLayout.THREW, new byte[] {7, 8, 9});
        ByteBuffer after = ByteBuffer.wrap(Files.readAllBytes(arena)).order(ByteOrder.nativeOrder());
        assertEquals(StatusLayout.THREW, after.getInt((int) (BASE + StatusLayout.STATE)));
        assertEquals(3, after.getInt((int) (BASE + StatusLayout.LENGTH)));
        assertEquals(9, after.get((int) (BASE + StatusLayout.DATA + 2)));
    }

    @Test
    void shouldLeaveAFileThatIsNotThatArenaUntouched(@TempDir Path dir) throws IOException {
        byte[] otherArena = arenaBytes(ARENA_ID + 1);
        byte[] notAnArena = new byte[(int) (BASE + StatusLayout.SIZE)];
        Arrays.fill(notAnArena, (byte) 0x5A);
        for (byte[] content : new byte[][] {otherArena, notAnArena, new byte[10]}) {
            Path file = Files.write(dir.resolve("other"), content);
            new StatusWriter(file.toString(), ARENA_ID, BASE).report(StatusLayout.EXITED, null);
            assertArrayEquals(content, Files.readAllBytes(file));
        }
        new StatusWriter(dir.resolve("missing").toString(), ARENA_ID, BASE).report(StatusLayout.EXITED, null);
    }
}
