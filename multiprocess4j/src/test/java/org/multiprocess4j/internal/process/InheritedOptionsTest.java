package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which of a parent JVM's options its children run with, read from its command line. */
class InheritedOptionsTest {

    @Test
    void assertionsPreviewAgentsAndModuleOpeningsAreInheritedAndNothingOfTheProgramIs() {
        assertEquals(List.of("-ea", "-esa", "--enable-preview", "-javaagent:/opt/jacoco.jar=destfile=x",
                        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                        "--add-modules=jdk.incubator.vector", "-da:com.example..."),
                InheritedOptions.of(List.of("-ea", "-Xmx1g", "-esa", "-cp", "-ea-looking.jar", "--enable-preview",
                        "-javaagent:/opt/jacoco.jar=destfile=x", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                        "-Dx=-ea", "-da:com.example...", "com.example.Main", "-ea", "--enable-preview")));
        assertEquals(List.of(), InheritedOptions.of(List.of("-jar", "app.jar", "-ea")), "after -jar: the program's");
        assertEquals(List.of("-ea"), InheritedOptions.of(List.of("-ea", "-m", "app/app.Main", "--enable-preview")));
    }

    @Test
    void argumentFilesAreRead(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("args"), "-ea\n--add-opens \"java.base/java.io=ALL-UNNAMED\"\n");
        assertEquals(List.of("-ea", "--add-opens=java.base/java.io=ALL-UNNAMED"),
                InheritedOptions.of(List.of("@" + file, "Main")));
    }
}
