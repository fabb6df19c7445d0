package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The per-type classes are exactly what tools/gen_kinds.py generates from its one table: never edited by hand. */
class GeneratedSourcesTest {

    @Test
    void theCommittedClassesAreWhatTheGeneratorMakes() throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath().getParent(); // tests run in the module's folder
        assumeTrue(Files.isRegularFile(root.resolve("tools/gen_kinds.py")), "not run from the repository");
        Process check;
        try {
            check = new ProcessBuilder("python3", "tools/gen_kinds.py", "--check").directory(root.toFile())
                    .redirectErrorStream(true).start();
        } catch (IOException noPython) {
            org.junit.jupiter.api.Assumptions.abort("no python3 here: " + noPython.getMessage());
            return;
        }
        String output = new String(check.getInputStream().readAllBytes());
        assertEquals(0, check.waitFor(), "regenerate with python3 tools/gen_kinds.py:\n" + output);
    }
}
