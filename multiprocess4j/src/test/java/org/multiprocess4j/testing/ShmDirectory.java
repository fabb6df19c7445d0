package org.multiprocess4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** What /dev/shm holds, to prove that nothing of ours is ever left there. */
public final class ShmDirectory {
    private ShmDirectory() {
    }

    public static Set<String> entries() {
        try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
            Set<String> names = new TreeSet<>();
            files.forEach(f -> names.add(f.getFileName().toString()));
            return names;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
