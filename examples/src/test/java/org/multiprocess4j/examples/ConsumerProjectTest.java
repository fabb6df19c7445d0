package org.multiprocess4j.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A separate project that depends on the library exactly as the README's "Use it in your build" says, built with
 * Maven against a local repository that holds the library as a release would (jar and POMs), then run with the JVM
 * option the README names.
 */
class ConsumerProjectTest {

    private static final String CONSUMER = """
            package consumer;

            import org.multiprocess4j.ChildProcess;
            import org.multiprocess4j.sharedctypes.CType;
            import org.multiprocess4j.sharedctypes.IntValue;
            import org.multiprocess4j.sharedctypes.SharedCTypes;

            public class Main {
                static void square(IntValue n) {
                    n.set(n.get() * n.get());
                }

                public static void main(String[] args) {
                    IntValue n = SharedCTypes.value(CType.c_int, 7);
                    ChildProcess p = new ChildProcess(Main::square, n);
                    p.start();
                    p.join();
                    System.out.println("consumer " + n.get() + " " + p.exitCode());
                }
            }
            """;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aProjectDeclaringTheDependencyAsTheReadmeSaysBuildsAndRuns(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent(); // tests run in the examples module's folder
        Path library = Path.of(org.multiprocess4j.ChildProcess.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI());
        assumeTrue(library.toString().endsWith(".jar") && Files.isRegularFile(root.resolve("mvnw")),
                "needs the packaged library jar and the repository's Maven wrapper (run through ./mp4j test)");
        String readme = Files.readString(root.resolve("README.md"));
        String dependency = section(readme, "```xml\n", "```");
        String option = find(readme, "`(--enable-native-access=ALL-UNNAMED)` on the class path");
        String version = find(dependency, "<version>([^<]+)</version>");

        Path repository = dir.resolve("repository"); // a local repository holding the library as a release would
        Path artifact = repository.resolve("org/multiprocess4j/multiprocess4j/" + version);
        Path parent = repository.resolve("org/multiprocess4j/multiprocess4j-parent/" + version);
        Files.createDirectories(artifact);
        Files.createDirectories(parent);
        Files.copy(library, artifact.resolve("multiprocess4j-" + version + ".jar"));
        Files.copy(root.resolve("multiprocess4j/pom.xml"), artifact.resolve("multiprocess4j-" + version + ".pom"));
        Files.copy(root.resolve("pom.xml"), parent.resolve("multiprocess4j-parent-" + version + ".pom"));

        Path project = dir.resolve("consumer");
        Files.createDirectories(project.resolve("src/main/java/consumer"));
        Files.writeString(project.resolve("src/main/java/consumer/Main.java"), CONSUMER);
        Files.writeString(project.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>consumer</groupId>
                  <artifactId>consumer</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>25</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                %s
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-dependency-plugin</artifactId>
                        <version>3.8.1</version>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(dependency.indent(4)));

        String home = System.getProperty("user.home");
        run(project, List.of(root.resolve("mvnw").toString(), "-B", "-q", "-f", project.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + repository, "-Dmaven.repo.local.tail=" + home + "/.m2/repository",
                "package", "dependency:build-classpath", "-Dmdep.outputFile=" + project.resolve("cp.txt")));
        String classPath = project.resolve("target/classes") + ":" + Files.readString(project.resolve("cp.txt")).strip();
        assertTrue(classPath.contains(repository.toString()), "the library came from the release repository: "
                + classPath);
        String output = run(project, List.of(ProcessHandle.current().info().command().orElseThrow(), option, "-cp",
                classPath, "consumer.Main"));
        assertEquals("consumer 49 0", output.strip());
    }

    private static String run(Path directory, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(8, TimeUnit.MINUTES), "did not finish: " + command);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + output);
        return output;
    }

    private static String section(String text, String start, String end) {
        int from = text.indexOf(start, text.indexOf("## Use it in your build"));
        assertTrue(from >= 0, "README has no Maven block under 'Use it in your build'");
        from += start.length();
        return text.substring(from, text.indexOf(end, from)).strip();
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "README does not say " + regex);
        return m.group(1);
    }
}
