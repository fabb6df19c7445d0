package org.multiprocess4j.internal.memory;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A large arena's move onto huge pages keeps its own mapping of the arena's file: closing the arena gives the move
 * up and lets that mapping go before the close returns, so the memory is freed then, as without the move. (That
 * the pages do move, and stay intact, PythonInteropTest sees from a process that maps them.)
 */
class HugePageMovesTest {
    /** The inodes of the shared-memory files this process maps. */
    private static Set<String> mappedSharedFiles() throws IOException {
        Set<String> inodes = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[5].startsWith(SharedHeap.directory().toString())) {
                inodes.add(f[4]);
            }
        }
        return inodes;
    }

    @Test
    void closingALargeArrayWhileItMovesLetsEveryMappingOfItGo() throws IOException {
        Set<String> before = mappedSharedFiles();
        for (int round = 0; round < 3; round++) {
            LongArray array = SharedCTypes.rawArray(CType.c_long, (MappedArena.HUGE_PAGES_FROM >> 3) * 2);
            array.set(array.length() - 1, round);
            Set<String> during = mappedSharedFiles();
            assertTrue(during.size() > before.size(), "the array's file is mapped: " + during);
            array.close();
            assertEquals(before, mappedSharedFiles(), "round " + round + ": a mapping outlived the close");
        }
    }
}
