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

    /** The start addresses of this process's mappings of the shared-memory file with inode {@code inode}. */
    private static Set<Long> mappingStarts(String inode) throws IOException {
        Set<Long> starts = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[4].equals(inode) && f[5].startsWith(SharedHeap.directory().toString())) {
                starts.add(Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16));
            }
        }
        return starts;
    }

    @Test
    void aLargeArrayIsMappedByItsCreatorAtAHugePageBoundary() throws IOException {
        Set<String> before = mappedSharedFiles();
        try (LongArray array = SharedCTypes.rawArray(CType.c_long, (MappedArena.HUGE_PAGES_FROM >> 3) * 2)) {
            Set<String> added = mappedSharedFiles();
            added.removeAll(before);
            assertEquals(1, added.size(), "one new file: " + added);
            Set<Long> starts = mappingStarts(added.iterator().next());
            assertTrue(!starts.isEmpty() && starts.stream().allMatch(a -> a % (2L << 20) == 0),
                    "every mapping of the array's file starts at a 2 MiB boundary: " + starts.stream()
                            .map(Long::toHexString).toList());
            array.set(array.length() - 1, 7);
            assertEquals(7, array.get(array.length() - 1));
        }
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
