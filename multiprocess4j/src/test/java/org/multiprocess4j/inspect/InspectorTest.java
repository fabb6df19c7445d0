package org.multiprocess4j.inspect;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessEvent;
import org.multiprocess4j.ProcessRLock;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.ProcessQueue;
import org.multiprocess4j.ProcessSemaphore;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.Point;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inspector shows a live process's objects and their states, a dead lock owner, and refuses bad pids clearly. */
class InspectorTest {
    private static final long PID = ProcessHandle.current().pid();

    private static List<Inspector.ObjectView> objects() {
        return Inspector.of(PID).arenas().stream().flatMap(a -> a.objects().stream()).toList();
    }

    @Test
    void aLiveProcessShowsItsObjectsAndAHeldLockWithItsOwner() throws Exception {
        try (ProcessLock lock = ProcessLock.create();
             DoubleArray data = SharedCTypes.rawArray(CType.c_double, 1234);
             ProcessQueue<String> queue = ProcessQueue.create(8192);
             ProcessSemaphore semaphore = ProcessSemaphore.bounded(5)) {
            data.set(0, 1.5);
            queue.put("one");
            queue.put("two");
            semaphore.acquire();
            lock.lock();
            try {
                List<Inspector.ObjectView> objects = objects();
                String holder = "held by pid " + PID + " thread " + Thread.currentThread().threadId();
                assertTrue(objects.stream().anyMatch(o -> o.kind().equals("lock") && o.state().equals(holder)),
                        objects.toString());
                assertTrue(objects.stream().anyMatch(o -> o.kind().equals("array") && o.bytes() == 1234 * 8
                        && o.type().equals("c_double") && o.length() == 1234), objects.toString());
                assertTrue(objects.stream().anyMatch(o -> o.kind().equals("queue")
                        && o.state().startsWith("2 messages")), objects.toString());
                assertTrue(objects.stream().anyMatch(o -> o.kind().equals("semaphore")
                        && o.state().startsWith("4 permits free of 5")), objects.toString());
                Inspector.ProcessView me = Inspector.of(PID);
                assertTrue(Inspector.all().stream().anyMatch(p -> p.pid() == PID), "found among all processes");
                String text = Inspector.text(List.of(me), false);
                assertTrue(text.contains(holder) && text.contains("c_double \u00d7 1234"), text);
                String json = Inspector.json(List.of(me));
                assertTrue(json.trim().startsWith("[") && json.contains("\"kind\":\"queue\"")
                        && json.contains("\"type\":\"c_double\",\"length\":1234,\"handle\":\"mp4j1:"), json);
                for (Inspector.ArenaView a : me.arenas()) {
                    assertTrue(a.usedBytes() <= a.bytes() && a.id().matches("[0-9a-f]+"), a.toString());
                }
            } finally {
                lock.unlock();
            }
        }
    }

    @Test
    void everyObjectShowsItsTypeLengthAndTheHandleItWasMadeWith() {
        try (IntValue raw = SharedCTypes.rawValue(CType.c_int, 7);
             var synced = SharedCTypes.value(CType.c_long, 9L, true);
             var points = SharedCTypes.rawArray(Point.TYPE, 3);
             var point = SharedCTypes.value(Point.TYPE);
             var text = SharedCTypes.array(CType.c_char, 16, false);
             ProcessLock lock = ProcessLock.create();
             ProcessRLock rlock = ProcessRLock.create();
             ProcessEvent event = ProcessEvent.create()) {
            List<Inspector.ObjectView> objects = objects();
            expect(objects, raw.handle(), "value", "c_int", 1);
            expect(objects, synced.handle(), "value", "c_long", 1);
            expect(objects, points.handle(), "array", "struct Point", 3);
            expect(objects, point.handle(), "struct", "struct Point", 1);
            expect(objects, text.handle(), "array", "c_char", 16);
            expect(objects, lock.handle(), "lock", "", 1);
            expect(objects, rlock.handle(), "rlock", "", 1);
            expect(objects, event.handle(), "event", "", 1);
            assertTrue(objects.stream().anyMatch(o -> o.kind().equals("event") && o.state().startsWith("clear")),
                    objects.toString());
            // The handle the inspector shows attaches, as the object's own would.
            String shown = objects.stream().filter(o -> o.handle().equals(raw.handle().toString())).findFirst()
                    .orElseThrow().handle();
            try (IntValue again = IntValue.attach(Handle.parse(shown))) {
                assertEquals(7, again.get());
            }
        }
    }

    private static void expect(List<Inspector.ObjectView> objects, Handle handle, String kind, String type,
                               long length) {
        Inspector.ObjectView o = objects.stream().filter(v -> v.handle().equals(handle.toString())).findFirst()
                .orElseThrow(() -> new AssertionError("no object shows handle " + handle + ": " + objects));
        assertEquals(List.of(kind, type, length), List.of(o.kind(), o.type(), o.length()), o.toString());
    }

    static void holdForever(ProcessLock lock, IntValue held) throws InterruptedException {
        lock.lock();
        held.set(1);
        Thread.sleep(600_000);
    }

    @Test
    void aLockWhoseHolderWasKilledShowsItsOwnerDead() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            IntValue held = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess child = new ChildProcess(InspectorTest::holdForever, lock, held);
            child.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (held.getVolatile() == 0) {
                assertTrue(System.nanoTime() < deadline, "the child never took the lock");
                Thread.sleep(2);
            }
            assertTrue(objects().stream().anyMatch(o -> o.state().startsWith("held by pid " + child.pid() + " thread ")),
                    objects().toString());
            child.kill();
            child.join();
            assertTrue(objects().stream().anyMatch(o -> o.kind().equals("lock")
                    && o.state().startsWith("held by pid " + child.pid() + " thread ")
                    && o.state().contains("(owner dead")), objects().toString());
            lock.lock(); // recovered
            lock.unlock();
            assertFalse(objects().stream().anyMatch(o -> o.state().contains("pid " + child.pid())));
            child.close();
        }
    }

    /** Attaches to the lock whose handle is args[0], takes it, prints its pid, and waits to be killed. */
    public static final class HoldAndWait {
        public static void main(String[] args) throws Exception {
            org.multiprocess4j.SharedLock lock = org.multiprocess4j.SharedLock.attach(
                    org.multiprocess4j.Handle.parse(args[0]));
            lock.lock();
            System.out.println(ProcessHandle.current().pid());
            Thread.sleep(600_000);
        }
    }

    /** A holder killed and not yet reaped (a zombie) runs no more: the next taker recovers the lock, as shown. */
    @Test
    void aKilledHolderNotYetReapedShowsItsOwnerDead() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            // The shell starts the holder, then becomes a sleep that never reaps it.
            List<String> command = List.of(org.multiprocess4j.testing.Jvm.java(), "--enable-native-access=ALL-UNNAMED",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    HoldAndWait.class.getName(), lock.handle().toString());
            String quoted = String.join(" ", command.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
            Process parent = new ProcessBuilder("sh", "-c", quoted + " & exec sleep 600")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                long holder = Long.parseLong(org.multiprocess4j.testing.Jvm.readLine(parent).trim());
                ProcessHandle.of(holder).orElseThrow().destroyForcibly();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + holder + "/stat"))
                        .matches("\\d+ \\(.*\\) Z .*\\s*")) {
                    assertTrue(System.nanoTime() < deadline, "the holder did not become a zombie");
                    Thread.sleep(2);
                }
                assertTrue(objects().stream().anyMatch(o -> o.kind().equals("lock")
                        && o.state().startsWith("held by pid " + holder) && o.state().contains("(owner dead")),
                        objects().toString());
            } finally {
                parent.destroyForcibly().waitFor();
            }
        }
    }

    /** A handle is shown only when the library would take it: the descriptor's shape is checked as attach checks it. */
    @Test
    void aDescriptorWhoseShapeTheLibraryRefusesMakesNoHandle() {
        for (Object[] refused : new Object[][] {
                {"vq", false, 1L, 64L, 0L}, {"v", false, 1L, 8L, 0L}, {"aq", false, 3L, 8L, 0L},
                {"vi[1]", false, 1L, 4L, 0L}, {"vq", false, 2L, 16L, 0L}, {"aq", false, 1L, 8L, 4L},
                {"L", true, 1L, 64L, 0L}, {"L", false, 1L, 64L, 344L}, {"R", false, 1L, 32L, 0L},
                {"C", false, 1L, 16L, 0L}, {"S", false, 1L, 64L, 0L}, {"Q", false, 1L, 64L, 0L},
                {"v{S;a:i}", false, 1L, 4L, 0L}, {"ai[2147483647][2147483647][2147483647]", false, 5L, 8L, 0L}}) {
            assertTrue(Descriptors.shapeProblem((String) refused[0], (Boolean) refused[1], (Long) refused[2],
                    (Long) refused[3], (Long) refused[4]) != null, java.util.Arrays.toString(refused));
        }
        for (Object[] taken : new Object[][] {
                {"vq", false, 1L, 8L, 0L}, {"ai[3]", false, 2L, 24L, 8L}, {"ai", false, 0L, 1L, 8L},
                {"L", false, 1L, 64L, 128L}, {"R", false, 1L, 64L, 0L}, {"C", true, 1L, 16L, 8L},
                {"E", false, 1L, 1152L, 64L}, {"Q", false, 1L, 4096L, 64L}, {"v{S;a:i}@x.S", false, 1L, 4L, 0L}}) {
            assertEquals(null, Descriptors.shapeProblem((String) taken[0], (Boolean) taken[1], (Long) taken[2],
                    (Long) taken[3], (Long) taken[4]), java.util.Arrays.toString(taken));
        }
    }

    /** Text cut short for the terminal never ends in half a surrogate pair (which prints as '?'). */
    @Test
    void aShortenedTextKeepsWholeCharacters() {
        for (int at = 155; at < 162; at++) {
            String cut = Descriptors.shortened("a".repeat(at) + "\uD83D\uDE00".repeat(20));
            String body = cut.substring(0, cut.length() - 1);
            assertTrue(cut.endsWith("\u2026") && !Character.isHighSurrogate(body.charAt(body.length() - 1))
                    && cut.length() <= 160, at + ": " + cut);
        }
    }

    @Test
    void aThreadIdIsNotTakenForAProcess() throws Exception {
        Thread sleeper = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException ignored) {
                // ends
            }
        });
        try {
            long self = ProcessHandle.current().pid();
            long thread = -1;
            try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                thread = tasks.mapToLong(t -> Long.parseLong(t.getFileName().toString())).filter(t -> t != self)
                        .findFirst().orElseThrow();
            }
            long tid = thread;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Inspector.of(tid));
            assertTrue(e.getMessage().contains("thread of process " + self), e.getMessage());
        } finally {
            sleeper.interrupt();
        }
    }

    @Test
    void badPidsAreRefusedClearly() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> Inspector.of(-4));
        assertEquals("pid must be > 0: pid=-4", negative.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Inspector.of(4_000_000_000L));
        assertTrue(none.getMessage().contains("no process 4000000000"), none.getMessage());
        String text = Inspector.text(List.of(new Inspector.ProcessView(1, "init", List.of(), List.of())), false);
        assertTrue(text.startsWith("process 1 holds no shared memory of multiprocess4j"), text);
    }

    @Test
    void anotherUsersProcessIsRefusedWithAMessageNotAStackTrace() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name"))
                        && java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin/runuser")),
                "needs root and runuser, to run the inspector as another user (nobody)");
        try (var _ = org.multiprocess4j.sharedctypes.SharedCTypes.rawValue(
                org.multiprocess4j.sharedctypes.CType.c_int, 1)) {
            java.nio.file.Path classes = java.nio.file.Path.of(Inspector.class.getProtectionDomain().getCodeSource()
                    .getLocation().toURI());
            java.nio.file.Path readable = worldReadableCopy(classes); // the checkout may be private to root
            try {
                Process p = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--",
                        ProcessHandle.current().info().command().orElseThrow(), "-cp", readable.toString(),
                        Inspector.class.getName(), Long.toString(ProcessHandle.current().pid()))
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
                assertEquals(1, p.exitValue(), out);
                assertTrue(out.contains("belongs to another user"), out);
                assertFalse(out.contains("Exception") || out.contains("\tat "), "a message, not a stack trace: "
                        + out);
            } finally {
                try (var files = java.nio.file.Files.walk(readable)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /** A copy of {@code tree} in a new folder of /tmp that every user can read. */
    private static java.nio.file.Path worldReadableCopy(java.nio.file.Path tree) throws java.io.IOException {
        var dirs = java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x");
        var files = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
        java.nio.file.Path copy = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "mp4j-classes");
        java.nio.file.Files.setPosixFilePermissions(copy, dirs);
        try (var walk = java.nio.file.Files.walk(tree)) {
            for (java.nio.file.Path from : (Iterable<java.nio.file.Path>) walk::iterator) {
                java.nio.file.Path to = copy.resolve(tree.relativize(from).toString());
                if (java.nio.file.Files.isDirectory(from)) {
                    java.nio.file.Files.createDirectories(to);
                    java.nio.file.Files.setPosixFilePermissions(to, dirs);
                } else {
                    java.nio.file.Files.copy(from, to);
                    java.nio.file.Files.setPosixFilePermissions(to, files);
                }
            }
        }
        return copy;
    }

    @Test
    void anEmptyArrayIsListedWithItsHandle() {
        try (IntArray empty = SharedCTypes.rawArray(CType.c_int, 0)) {
            List<Inspector.ObjectView> objects = objects();
            assertTrue(objects.stream().anyMatch(o -> o.handle().equals(empty.handle().toString()) && o.length() == 0),
                    objects.toString());
        }
    }

    @Test
    void wordsLeftInFreedMemoryThatLookLikeABlockHideNoLiveObject() {
        LongArray freed = SharedCTypes.rawArray(CType.c_long, 8);
        for (int i = 0; i < 8; i += 2) { // a live tag and a size that fits, as a block header would have them
            freed.set(i, 0x4D50344A00000001L);
            freed.set(i + 1, 200_000);
        }
        freed.close();
        try (IntValue value = SharedCTypes.rawValue(CType.c_int, 5)) {
            List<Inspector.ObjectView> objects = objects();
            assertTrue(objects.stream().anyMatch(o -> o.handle().equals(value.handle().toString())), objects.toString());
            assertTrue(objects.stream().noneMatch(o -> o.bytes() == 200_000), objects.toString());
        }
    }

    @Test
    void aHostileArenaFileIsReadWithinBoundsAndWithoutAnError() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("mp4j-hostile", ".arena");
        long size = 1L << 40; // 1 TiB, sparse: a walk through every 8 bytes of it would take hours
        byte[] longType = ("1\nv{" + "A".repeat(60_000) + ";a:i}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(232 + longType.length)
                .order(java.nio.ByteOrder.nativeOrder());
        head.putLong(0, 0x4D50344A41524E41L).putInt(8, 2).putInt(12, 64).putLong(16, 1).putLong(24, 1)
                .putLong(32, 0xABCDEFL).putLong(40, size);
        long live = 0x4D50344AL << 32;
        long descriptor = 0x4D503444L << 32;
        head.putLong(64, live | 1).putLong(72, Long.MAX_VALUE); // a live tag with an absurd size
        head.putLong(80, live | 2).putLong(88, 16); // a 16-byte block at 96, its descriptor (an int) at 112
        head.putLong(112, descriptor | 4).put(120, "1\nvi".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        // At 128 what a freed array's elements may leave: a live tag and a size, but no descriptor after them.
        head.putLong(128, live | 3).putLong(136, 16);
        // A 8-byte block at 208 whose descriptor, at 216, holds a type of 60,000 characters.
        head.putLong(192, live | 4).putLong(200, 8).putLong(216, descriptor | longType.length).put(224, longType);
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            out.write(head, 0);
            out.truncate(size);
            out.write(java.nio.ByteBuffer.wrap(new byte[] {1}), size - 1); // sparse: only the ends hold data
        }
        // Held through 300 descriptors: the arena is walked once, not 300 times through its 64 MiB gap.
        Process holder = new ProcessBuilder("python3", "-c", "import os,sys,time; f=open(sys.argv[1],'rb'); "
                + "d=[os.dup(f.fileno()) for _ in range(300)]; "
                + "os.unlink(sys.argv[1]); print(os.getpid(), flush=True); time.sleep(600)", file.toString()).start();
        try {
            long pid = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(
                    holder.getInputStream())).readLine().trim());
            List<Inspector.ArenaView> arenas = Inspector.of(pid).arenas();
            assertEquals(1, arenas.size(), "one arena, however many descriptors: " + arenas);
            Inspector.ArenaView arena = arenas.getFirst();
            assertEquals("abcdef", arena.id());
            assertEquals(size, arena.bytes());
            assertEquals(List.of(96L, 208L), arena.objects().stream().map(Inspector.ObjectView::offset).toList(),
                    "blocks with their descriptors only: " + arena.objects());
            assertEquals("c_int", arena.objects().get(0).type());
            String shown = arena.objects().get(1).type();
            assertEquals(160, shown.length(), "a hostile descriptor's type is cut short: " + shown.length());
            assertTrue(shown.startsWith("struct AAA") && shown.endsWith("\u2026"), shown);
            assertTrue(arena.note().startsWith("more than 67108864 bytes without a block"), arena.note());
        } finally {
            holder.destroyForcibly().waitFor();
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
