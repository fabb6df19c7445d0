package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache's plumbing: when it applies, training once, publishing, and using it. */
class AotCacheTest {

    @Test
    void appliesOnlyToClassPathsOfJars(@TempDir Path dir) throws IOException {
        assertNull(AotCache.location(dir.toString()), "a directory on the class path");
        assertNull(AotCache.location(""), "no class path");
        Path jar = Files.writeString(dir.resolve("app.jar"), "not really a jar");
        assertNull(AotCache.location(jar + ":" + dir), "a jar and a directory");
    }

    static final AtomicBoolean TARGET_INITIALIZED = new AtomicBoolean();

    /** Its initialization is visible: the training child must load the target's class, not run its code. */
    static final class TargetWithStaticInitializer {
        static {
            TARGET_INITIALIZED.set(true);
        }
    }

    @Test
    void trainingLoadsTheTargetClassWithoutInitializingItAndToleratesAMissingOne() {
        AotTraining.run("org.multiprocess4j.internal.process.AotCacheTest$TargetWithStaticInitializer");
        AotTraining.run("no.such.Target");
        AotTraining.run("");
        assertFalse(TARGET_INITIALIZED.get(), "the static initializer did not run");
    }

    @Test
    void trainsOnceThenPublishesAndUsesTheCache(@TempDir Path dir) throws Exception {
        String oldHome = System.getProperty("user.home");
        Assumptions.assumeNoXdgCacheHome();
        System.setProperty("user.home", dir.toString());
        try {
            Path jar = Files.writeString(dir.resolve("app.jar"), "stand-in jar");
            AtomicInteger trainings = new AtomicInteger();
            List<String> first = AotCache.options(jar.toString(), options -> {
                trainings.incrementAndGet();
                String output = options.getFirst().substring("-XX:AOTCacheOutput=".length());
                try {
                    Files.writeString(Path.of(output), "assembled cache");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return CompletableFuture.completedFuture(null);
            });
            assertEquals(List.of(), first, "no cache before training");
            AotCache.options(jar.toString(), options -> {
                trainings.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            });
            assertEquals(1, trainings.get(), "training runs once per JVM");
            Path cache = AotCache.location(jar.toString());
            for (int i = 0; i < 100 && !Files.isRegularFile(cache); i++) {
                Thread.sleep(50);
            }
            assertTrue(Files.isRegularFile(cache), "the finished cache is published");
            assertEquals("-XX:AOTCache=" + cache, AotCache.options(jar.toString(), options -> null).getFirst());
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(cache.getParent())));
        } finally {
            System.setProperty("user.home", oldHome);
        }
    }

    /** The cache directory honours XDG_CACHE_HOME, which a test cannot change. */
    static final class Assumptions {
        static void assumeNoXdgCacheHome() {
            org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("XDG_CACHE_HOME") == null,
                    "XDG_CACHE_HOME is set, so the cache directory cannot be redirected for this test");
        }
    }
}
