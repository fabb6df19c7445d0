package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.multiprocess4j.internal.process.AotCache.Profile.CHILD;
import static org.multiprocess4j.internal.process.AotCache.Profile.POOL_WORKER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The cache's plumbing: when it applies, where it may live, training, publishing, checking and using it. */
class AotCacheTest {

    @AfterEach
    void forgetTheDirectory() {
        System.clearProperty(AotCache.DIRECTORY_PROPERTY);
    }

    @Test
    void appliesOnlyToClassPathsOfJars(@TempDir Path dir) throws IOException {
        assertNull(AotCache.key(dir.toString(), CHILD), "a directory on the class path");
        assertNull(AotCache.key("", CHILD), "no class path");
        Path jar = Files.writeString(dir.resolve("app.jar"), "not really a jar");
        assertNull(AotCache.key(jar + ":" + dir, CHILD), "a jar and a directory");
        assertNotNull(AotCache.key(jar.toString(), CHILD), "jars alone");
    }

    @Test
    void aRebuiltJarGetsAnotherKey(@TempDir Path dir) throws IOException {
        Path jar = Files.writeString(dir.resolve("app.jar"), "version 1");
        Path other = Files.writeString(dir.resolve("lib.jar"), "a library");
        String key = AotCache.key(jar.toString(), CHILD);
        assertTrue(key.matches("[0-9a-f]{32}"), key);
        assertEquals(key, AotCache.key(jar.toString(), CHILD), "the same class path, unchanged");
        assertNotEquals(key, AotCache.key(jar + ":" + other, CHILD), "another jar on the class path");
        assertNotEquals(key, AotCache.key(other + ":" + jar, CHILD), "another order");
        Files.writeString(jar, "version 2");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000_000_000L));
        String sameSizeNewTime = AotCache.key(jar.toString(), CHILD);
        assertNotEquals(key, sameSizeNewTime, "rewritten");
        Files.writeString(jar, "version 2, longer");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000_000_000L));
        assertNotEquals(sameSizeNewTime, AotCache.key(jar.toString(), CHILD), "the same time, another size");
    }

    @Test
    void optionsThatChooseClassSharingConflictWithTheCache() {
        assertTrue(AotCache.conflicts(List.of("-Xmx64m", "-Xshare:off")));
        assertTrue(AotCache.conflicts(List.of("-Xshare:auto")));
        assertTrue(AotCache.conflicts(List.of("-XX:SharedArchiveFile=app.jsa")));
        assertTrue(AotCache.conflicts(List.of("-XX:AOTMode=off")));
        assertFalse(AotCache.conflicts(List.of("-Xmx64m", "-Dx=-Xshare:off", "-ea")));
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
    void aDirectoryWritableByOthersALinkOrAnotherUsersIsNotUsed(@TempDir Path dir) throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(AotCache.unsafeBecause(open).contains("writable by group or others"), AotCache.unsafeBecause(open));
        System.setProperty(AotCache.DIRECTORY_PROPERTY, open.toString());
        assertNull(AotCache.directory());

        Path link = Files.createSymbolicLink(dir.resolve("link"), Files.createDirectory(dir.resolve("real")));
        assertTrue(AotCache.unsafeBecause(link).contains("symbolic link"));

        Path mine = Files.createDirectory(dir.resolve("mine"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        assertNull(AotCache.unsafeBecause(mine));
        boolean root = (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        assumeTrue(root, "changing a directory's owner needs root");
        Files.setAttribute(mine, "unix:uid", 65534);
        assertTrue(AotCache.unsafeBecause(mine).contains("owned by uid 65534"), AotCache.unsafeBecause(mine));
    }

    @Test
    void trainsOncePublishesWithAChecksumAndReplacesADamagedCache(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = Files.writeString(dir.resolve("app.jar"), "stand-in jar");
        AtomicInteger trainings = new AtomicInteger();
        List<String> first = AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings));
        assertEquals(List.of(), first, "no cache before training");
        AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings));
        assertEquals(1, trainings.get(), "training runs once at a time");
        Path cache = awaitCache(cacheDir);
        String name = cache.getFileName().toString();
        assertEquals(AotCache.key(jar.toString(), CHILD) + "-" + AotCache.checksum(cache) + ".aot", name);
        assertEquals("-XX:AOTCache=" + cache, AotCache.options(jar.toString(), CHILD, options -> null).getFirst());

        Files.writeString(cache, "assembled cache 0".replace('0', 'O')); // one damaged byte
        assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings)));
        assertFalse(Files.exists(cache), "the damaged cache is deleted");
        assertEquals(2, trainings.get(), "and made again");
        assertTrue(Files.isRegularFile(awaitCache(cacheDir)));
    }

    @Test
    void eachProfileHasACacheOfItsOwnAndTrainsOnlyWhenAsked(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = Files.writeString(dir.resolve("app.jar"), "stand-in jar");
        assertNotEquals(AotCache.key(jar.toString(), CHILD), AotCache.key(jar.toString(), POOL_WORKER));
        AtomicInteger trainings = new AtomicInteger();
        assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, null));
        assertEquals(0, trainings.get(), "no trainer, no training");
        assertEquals(List.of(), AotCache.options(jar.toString(), POOL_WORKER,
                options -> fakeTraining(options, trainings)));
        Path poolCache = awaitCache(cacheDir);
        assertTrue(poolCache.getFileName().toString().startsWith(AotCache.key(jar.toString(), POOL_WORKER) + "-"));
        assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, null),
                "a pool worker's cache is not a child's");
        assertEquals("-XX:AOTCache=" + poolCache, AotCache.options(jar.toString(), POOL_WORKER, null).getFirst());
        assertEquals(1, trainings.get());
    }

    @Test
    void keepsTheNewestCachesOfEachProfileAndRemovesWhatKilledTrainingsLeft(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        long now = System.currentTimeMillis();
        List<Path> child = new java.util.ArrayList<>();
        List<Path> pool = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) { // i = 0 the newest
            child.add(aged(cacheDir.resolve("c" + i + "-00000000.aot"), now - i * 1000));
            pool.add(aged(cacheDir.resolve("pool-worker-p" + i + "-00000000.aot"), now - i * 1000 - 500));
        }
        Path staleConfig = aged(cacheDir.resolve("k.123.tmp.config"), now - 11 * 60 * 1000);
        Path stalePartial = aged(cacheDir.resolve("k.123.tmp"), now - 11 * 60 * 1000);
        Path runningConfig = aged(cacheDir.resolve("k.456.tmp.config"), now - 5000);
        Path runningPartial = aged(cacheDir.resolve("k.456.tmp"), now - 5000);
        Path finishedPartial = aged(cacheDir.resolve("k.789.tmp"), now - 11 * 60 * 1000); // to adopt
        Path forgottenPartial = aged(cacheDir.resolve("old.321.tmp"), now - 25 * 60 * 60 * 1000L);
        AotCache.removeOldCaches(cacheDir);
        for (int i = 0; i < 6; i++) {
            assertEquals(i < 4, Files.exists(child.get(i)), "child cache " + i);
            assertEquals(i < 4, Files.exists(pool.get(i)), "pool worker cache " + i);
        }
        assertFalse(Files.exists(staleConfig) || Files.exists(stalePartial), "a killed training's files");
        assertTrue(Files.exists(runningConfig) && Files.exists(runningPartial), "a running training's files");
        assertTrue(Files.exists(finishedPartial), "a finished training's cache, not yet published");
        assertFalse(Files.exists(forgottenPartial), "one that no JVM adopted within a day");
    }

    private static Path aged(Path file, long modifiedMillis) throws IOException {
        Files.writeString(file, file.getFileName().toString());
        Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMillis));
        return file;
    }

    /** Makes an owner-only cache directory in {@code dir} the one the cache uses. */
    private static Path useCacheDirectoryIn(Path dir) throws IOException {
        Path cacheDir = Files.createDirectory(dir.resolve("cache"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        System.setProperty(AotCache.DIRECTORY_PROPERTY, cacheDir.toString());
        return cacheDir;
    }

    private static CompletableFuture<?> fakeTraining(List<String> options, AtomicInteger trainings) {
        trainings.incrementAndGet();
        String output = options.getFirst().substring("-XX:AOTCacheOutput=".length());
        try {
            // Each training's cache differs, so that a rebuilt one has a name of its own.
            Files.writeString(Path.of(output), "assembled cache " + (trainings.get() - 1));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Waits until a cache is published in {@code dir} and the training that made it has finished. */
    private static Path awaitCache(Path dir) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(dir)) {
                var found = files.filter(f -> f.toString().endsWith(".aot")).findFirst();
                if (found.isPresent() && !AotCache.training()) {
                    return found.get();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no cache published in " + dir + " within 10 s");
    }
}
