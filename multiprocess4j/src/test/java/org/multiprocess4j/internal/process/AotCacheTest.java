package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocess4j.testing.Jvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        Path jar = standInJar(dir);
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
    void aCheckedCacheHasARecordTrueOnlyOfTheFileAsItWasChecked(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        AtomicInteger trainings = new AtomicInteger();
        AotCache.options(jar.toString(), CHILD, o -> fakeTraining(o, trainings));
        Path cache = awaitCache(cacheDir);
        Path record = cache.resolveSibling(cache.getFileName() + ".verified");
        assertTrue(Files.isRegularFile(record), "written when the cache was published");
        assertTrue(AotCache.verifiedBefore(cache));

        Files.write(cache, Files.readAllBytes(cache)); // the same bytes, but written: its change time moves
        assertFalse(AotCache.verifiedBefore(cache), "a written file is checked again");
        assertEquals("-XX:AOTCache=" + cache, AotCache.options(jar.toString(), CHILD, null).getFirst());
        assertTrue(AotCache.verifiedBefore(cache), "checked again, and recorded");

        String text = Files.readString(record);
        for (String forged : List.of("", text + " ", text.replace(' ', '\t'), "x".repeat(1 << 16), text + "\n")) {
            Files.writeString(record, forged);
            assertFalse(AotCache.verifiedBefore(cache), "a record that is not exactly the file's: " + forged.length());
        }
        Files.delete(record);
        Files.createSymbolicLink(record, cacheDir.resolve("elsewhere"));
        Files.writeString(cacheDir.resolve("elsewhere"), text);
        assertFalse(AotCache.verifiedBefore(cache), "a link is no record");
        Files.delete(record);
        assertEquals(0, new ProcessBuilder("mkfifo", record.toString()).start().waitFor());
        assertFalse(AotCache.verifiedBefore(cache), "a FIFO is no record, and is not opened: that would wait");
        assertFalse(AotCache.underway(cacheDir, "none", record), "nor a claim");
        Files.delete(record);
        Files.delete(cacheDir.resolve("elsewhere"));
        Files.writeString(record.resolveSibling(record.getFileName() + ".999"), text); // a killed writer's
        assertFalse(AotCache.verifiedBefore(cache));
        Files.setLastModifiedTime(record.resolveSibling(record.getFileName() + ".999"),
                FileTime.fromMillis(System.currentTimeMillis() - 11 * 60 * 1000));
        Path orphan = Files.writeString(cacheDir.resolve(key(7) + "-00000000.aot.verified"), text);
        AotCache.removeOldCaches(cacheDir);
        assertFalse(Files.exists(record.resolveSibling(record.getFileName() + ".999")), "a half-written record");
        assertFalse(Files.exists(orphan), "the record of a cache that is gone");
        assertTrue(Files.exists(cache));
    }

    @Test
    void eachProfileHasACacheOfItsOwnAndTrainsOnlyWhenAsked(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
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
            child.add(aged(cacheDir.resolve(key(i) + "-00000000.aot"), now - i * 1000));
            pool.add(aged(cacheDir.resolve("pool-worker-" + key(10 + i) + "-00000000.aot"), now - i * 1000 - 500));
        }
        String k = key(100);
        Path staleConfig = aged(cacheDir.resolve(k + ".123.tmp.config"), now - 11 * 60 * 1000);
        Path stalePartial = aged(cacheDir.resolve(k + ".123.tmp"), now - 11 * 60 * 1000);
        Path runningConfig = aged(cacheDir.resolve(k + ".456.tmp.config"), now - 5000);
        Path runningPartial = aged(cacheDir.resolve(k + ".456.tmp"), now - 5000);
        Path finishedPartial = aged(cacheDir.resolve(k + ".789.tmp"), now - 11 * 60 * 1000); // to adopt
        Path forgottenPartial = aged(cacheDir.resolve(key(101) + ".321.tmp"), now - 25 * 60 * 60 * 1000L);
        Path futurePartial = aged(cacheDir.resolve(key(102) + ".321.tmp"), now + 24 * 60 * 60 * 1000L);
        Path deadClaim = Files.writeString(cacheDir.resolve(k + ".training"), "4194305 0");
        Path youngEmptyClaim = Files.writeString(cacheDir.resolve(key(103) + ".training"), "");
        Path futureEmptyClaim = aged(cacheDir.resolve(key(104) + ".training"), now + 24 * 60 * 60 * 1000L);
        Files.writeString(futureEmptyClaim, "");
        Files.setLastModifiedTime(futureEmptyClaim, FileTime.fromMillis(now + 24 * 60 * 60 * 1000L));
        Path claimDirectory = Files.createDirectories(cacheDir.resolve(key(105) + ".training").resolve("x"));
        List<Path> foreign = List.of( // named as ours are not: another program's, left alone
                aged(cacheDir.resolve("notes.training"), now - 25 * 60 * 60 * 1000L),
                aged(cacheDir.resolve("report.aot.verified"), now - 25 * 60 * 60 * 1000L),
                aged(cacheDir.resolve("backup.aot.verified.tar"), now - 25 * 60 * 60 * 1000L),
                aged(cacheDir.resolve("old.321.tmp"), now - 25 * 60 * 60 * 1000L),
                aged(cacheDir.resolve(key(106).toUpperCase() + ".1.tmp"), now - 25 * 60 * 60 * 1000L));
        AotCache.removeOldCaches(cacheDir);
        for (int i = 0; i < 6; i++) {
            assertEquals(i < 4, Files.exists(child.get(i)), "child cache " + i);
            assertEquals(i < 4, Files.exists(pool.get(i)), "pool worker cache " + i);
        }
        assertFalse(Files.exists(staleConfig) || Files.exists(stalePartial), "a killed training's files");
        assertTrue(Files.exists(runningConfig) && Files.exists(runningPartial), "a running training's files");
        assertTrue(Files.exists(finishedPartial), "a finished training's cache, not yet published");
        assertFalse(Files.exists(forgottenPartial), "one that no JVM adopted within a day");
        assertFalse(Files.exists(futurePartial), "one dated a day ahead: the clock was set back");
        assertFalse(Files.exists(deadClaim), "a claim whose training child is gone");
        assertTrue(Files.exists(youngEmptyClaim), "a claim just made, its child's pid not written yet");
        assertFalse(Files.exists(futureEmptyClaim), "an empty claim dated a day ahead");
        assertTrue(Files.exists(claimDirectory), "a directory is not deleted, and the clean-up goes on");
        for (Path f : foreign) {
            assertTrue(Files.exists(f), f.getFileName().toString());
        }
    }

    /** Looks the cache of {@code jar} up with a stand-in trainer, which must train once and publish. */
    private static void assertTrainsOnce(Path cacheDir, Path jar, String why) throws Exception {
        AtomicInteger trainings = new AtomicInteger();
        AotCache.options(jar.toString(), CHILD, o -> fakeTraining(o, trainings));
        assertEquals(1, trainings.get(), why);
        awaitCache(cacheDir);
    }

    /** A key as the cache names them: 32 hex digits. */
    private static String key(int n) {
        return String.format("%032x", n);
    }

    @Test
    void aTrainingThatAnotherProcessRunsIsNotStartedAgainUntilItsChildIsGone(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        Process otherTraining = new ProcessBuilder("sleep", "60").start();
        try {
            Path marker = claimOf(cacheDir, key, otherTraining);
            AtomicInteger trainings = new AtomicInteger();
            assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, o -> fakeTraining(o, trainings)));
            assertEquals(0, trainings.get(), "another process trains this cache");
            assertTrue(Files.exists(marker));

            end(otherTraining);
            assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, o -> fakeTraining(o, trainings)));
            assertEquals(1, trainings.get(), "its child is gone: this JVM trains");
            awaitCache(cacheDir);
            assertFalse(Files.exists(marker), "the claim is given up once the cache is published");
        } finally {
            otherTraining.destroyForcibly();
        }
    }

    @Test
    void aTrainingThatCannotStartLeavesNoClaimAndIsTriedAgain(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, o -> {
            throw new IllegalStateException("no JVM to start");
        }));
        assertFalse(Files.exists(cacheDir.resolve(key + ".training")), "no claim left");
        assertTrainsOnce(cacheDir, jar, "tried again");
    }

    @Test
    void aCacheWrittenUnderAGroupWritableUmaskIsPublishedOwnerOnlyAndUsed(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        AtomicInteger trainings = new AtomicInteger();
        AotCache.options(jar.toString(), CHILD, o -> {
            ProcessHandle training = fakeTraining(o, trainings);
            try { // as the JVM writes it under umask 002
                Files.setPosixFilePermissions(Path.of(o.getFirst().substring("-XX:AOTCacheOutput=".length())),
                        PosixFilePermissions.fromString("rw-rw-r--"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return training;
        });
        Path cache = awaitCache(cacheDir);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                cache.resolveSibling(cache.getFileName() + ".verified"))), "its record too");
        assertEquals("-XX:AOTCache=" + cache, AotCache.options(jar.toString(), CHILD, null).getFirst());
        assertEquals(1, trainings.get());
    }

    @Test
    void aClaimThatIsADirectoryIsSaidAndTrainingGoesOn(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        Files.createDirectories(cacheDir.resolve(key + ".training").resolve("x"));
        assertTrainsOnce(cacheDir, jar, "trained, unclaimed");
    }

    @Test
    void aClaimDatedAheadOfTheClockHoldsNothingUp(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        long dayAhead = System.currentTimeMillis() + 24 * 60 * 60 * 1000L;
        Path marker = aged(cacheDir.resolve(key + ".training"), dayAhead);
        Files.writeString(marker, "");
        Files.setLastModifiedTime(marker, FileTime.fromMillis(dayAhead));
        Path configuration = aged(cacheDir.resolve(key + ".4242.tmp.config"), dayAhead);
        assertFalse(AotCache.underway(cacheDir, key, marker), "an empty claim and a configuration dated a day ahead");
        assertTrainsOnce(cacheDir, jar, "trained");
        assertFalse(Files.exists(configuration), "taken for a killed training's, and cleaned");
    }

    @Test
    void aClaimIsReadAsUntrustedAndAnEmptyOneHoldsOnlyWhileYoung(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        long now = System.currentTimeMillis();
        AtomicInteger trainings = new AtomicInteger();
        String[][] cases = { // content, age in seconds, whether a training is taken to run
                {"", "1", "true"}, {"", "31", "false"}, {"garbage", "1", "false"}, {"1 2 3", "1", "false"},
                {"-5 0", "1", "false"}, {"99999999999999999999 0", "1", "false"}, {"4194305 12", "1", "false"},
                {"x".repeat(1 << 20), "1", "false"}};
        for (int i = 0; i < cases.length; i++) {
            Path jar = Files.writeString(dir.resolve("app" + i + ".jar"), "stand-in jar " + i);
            String key = AotCache.key(jar.toString(), CHILD);
            Path marker = aged(cacheDir.resolve(key + ".training"), now - Long.parseLong(cases[i][1]) * 1000);
            Files.writeString(marker, cases[i][0]);
            Files.setLastModifiedTime(marker, FileTime.fromMillis(now - Long.parseLong(cases[i][1]) * 1000));
            boolean underway = Boolean.parseBoolean(cases[i][2]);
            assertEquals(underway, AotCache.underway(cacheDir, key, marker), "case " + i);
            int before = trainings.get();
            AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings));
            assertEquals(underway ? before : before + 1, trainings.get(), "case " + i);
            if (!underway) {
                awaitCache(cacheDir);
                assertFalse(Files.exists(marker), "case " + i + ": the claim taken over, and given up");
            }
        }
    }

    @Test
    void anAssemblyUnderwayCountsAsATraining(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        // No process has pid 4194305 (past the kernel's limit): the claim's training child is gone.
        Path marker = Files.writeString(cacheDir.resolve(key + ".training"), "4194305 0");
        Path configuration = aged(cacheDir.resolve(key + ".4242.tmp.config"), System.currentTimeMillis() - 1000);
        AtomicInteger trainings = new AtomicInteger();
        assertTrue(AotCache.underway(cacheDir, key, marker));
        assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings)));
        assertEquals(0, trainings.get());
        Files.setLastModifiedTime(configuration, FileTime.fromMillis(System.currentTimeMillis() - 11 * 60 * 1000));
        assertFalse(AotCache.underway(cacheDir, key, marker), "an assembly unchanged for 10 minutes was killed");
    }

    @Test
    void aTrainingThatLostTheRaceToPublishIsDeletedByTheNextLookUp(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        AtomicInteger trainings = new AtomicInteger();
        AotCache.options(jar.toString(), CHILD, options -> fakeTraining(options, trainings));
        Path cache = awaitCache(cacheDir);
        Path lost = Files.writeString(cacheDir.resolve(key + ".4242.tmp"), "assembled cache, second");
        Path assembling = Files.writeString(cacheDir.resolve(key + ".4343.tmp"), "half a cache");
        Path itsConfiguration = Files.writeString(cacheDir.resolve(key + ".4343.tmp.config"), "configuration");
        assertEquals("-XX:AOTCache=" + cache, AotCache.options(jar.toString(), CHILD, null).getFirst());
        assertFalse(Files.exists(lost), "a finished training whose cache was not published");
        assertTrue(Files.exists(assembling) && Files.exists(itsConfiguration), "an assembly that still runs");
    }

    @Test
    void aTrainingThatOutlivedItsJvmIsAdoptedAndItsClaimDeleted(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        long now = System.currentTimeMillis();
        List<Path> older = new java.util.ArrayList<>(); // earlier builds' caches, the newest first
        for (int i = 0; i < 5; i++) {
            older.add(aged(cacheDir.resolve(key(i) + "-00000000.aot"), now - (i + 1) * 60_000));
        }
        assertEquals(0, new ProcessBuilder("mkfifo", cacheDir.resolve(key + ".4141.tmp").toString()).start()
                .waitFor()); // not a cache, and not opened: its read would wait
        Files.writeString(cacheDir.resolve(key + ".4242.tmp"), "assembled cache");
        // No process has pid 4194305 (past the kernel's limit): the claim's training child is gone.
        Path marker = Files.writeString(cacheDir.resolve(key + ".training"), "4194305 0");
        AtomicInteger trainings = new AtomicInteger();
        List<String> options = AotCache.options(jar.toString(), CHILD, o -> fakeTraining(o, trainings));
        assertEquals(0, trainings.get());
        Path cache = cacheDir.resolve(key + "-" + AotCache.checksum(Path.of(options.getFirst()
                .substring("-XX:AOTCache=".length()))) + ".aot");
        assertEquals("-XX:AOTCache=" + cache, options.getFirst());
        assertFalse(Files.exists(marker), "the claim of a training that is over");
        // The adopting JVM cleans up as the training's would have: the four newest caches stay, the adopted one too.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // The clean-up deletes the oldest last (newest first, past the four kept): when it is gone, all are.
        while (Files.exists(older.get(4)) && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        assertTrue(Files.exists(cache));
        for (int i = 0; i < older.size(); i++) {
            assertEquals(i < 3, Files.exists(older.get(i)), "an earlier build's cache, " + (i + 1) + " back");
        }
    }

    @Test
    void aCacheIsNotAdoptedWhileItsTrainingChildRuns(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        String key = AotCache.key(jar.toString(), CHILD);
        Process training = new ProcessBuilder("sleep", "60").start();
        try {
            Path marker = claimOf(cacheDir, key, training);
            Path partial = Files.writeString(cacheDir.resolve(key + ".4242.tmp"), "half a cache");
            assertEquals(List.of(), AotCache.options(jar.toString(), CHILD, null));
            assertTrue(Files.exists(partial) && Files.exists(marker), "left to the training");
            end(training);
            assertTrue(AotCache.options(jar.toString(), CHILD, null).getFirst().startsWith("-XX:AOTCache="),
                    "adopted once the training child is gone");
            assertFalse(Files.exists(marker));
        } finally {
            training.destroyForcibly();
        }
    }

    @Test
    void twoJvmsThatMissTheCacheAtOnceTrainItOnce(@TempDir Path dir) throws Exception {
        Path cacheDir = useCacheDirectoryIn(dir);
        Path jar = standInJar(dir);
        Path go = dir.resolve("go");
        List<Process> jvms = List.of(
                Jvm.start(TrainingRace.class, cacheDir.toString(), jar.toString(), go.toString()),
                Jvm.start(TrainingRace.class, cacheDir.toString(), jar.toString(), go.toString()));
        try {
            for (Process jvm : jvms) {
                assertEquals("ready", Jvm.readLine(jvm));
            }
            Files.writeString(go, "go");
            List<String> said = new java.util.ArrayList<>();
            for (Process jvm : jvms) {
                said.add(Jvm.readLine(jvm));
                assertTrue(jvm.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, jvm.exitValue());
            }
            assertEquals(1, said.stream().filter("trained"::equals).count(), said.toString());
            assertEquals(1, said.stream().filter("found it trained"::equals).count(), said.toString());
            try (var files = Files.list(cacheDir)) {
                List<String> left = files.map(f -> f.getFileName().toString()).sorted().toList();
                assertEquals(2, left.size(), "one cache and its record, and nothing of a training: " + left);
                assertTrue(left.get(0).endsWith(".aot") && left.get(1).equals(left.get(0) + ".verified"),
                        left.toString());
            }
        } finally {
            jvms.forEach(Jvm::kill9);
        }
    }

    /** A jar of the class path whose cache a test looks up: the cache's key needs only its path, size and time. */
    private static Path standInJar(Path dir) throws IOException {
        return Files.writeString(dir.resolve("app.jar"), "stand-in jar");
    }

    /** Kills a stand-in training child and waits until it is gone. */
    private static void end(Process child) throws InterruptedException {
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }

    /** The claim on {@code key}'s training that a JVM whose training child is {@code child} writes. */
    private static Path claimOf(Path cacheDir, String key, Process child) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + child.pid() + "/stat"));
        String startTime = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
        return Files.writeString(cacheDir.resolve(key + ".training"), child.pid() + " " + startTime);
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

    /** A training's stand-in: writes a cache where the options say, and returns a child that has nothing to do. */
    static ProcessHandle fakeTraining(List<String> options, AtomicInteger trainings) {
        trainings.incrementAndGet();
        String output = options.getFirst().substring("-XX:AOTCacheOutput=".length());
        try {
            // Each training's cache differs, so that a rebuilt one has a name of its own.
            Files.writeString(Path.of(output), "assembled cache " + (trainings.get() - 1));
            return new ProcessBuilder("true").start().toHandle();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
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
