package org.multiprocess4j;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ProcessQueue as a BlockingQueue, across processes, and with producers killed at random points. */
class ProcessQueueTest {

    record Point(int x, String label) implements java.io.Serializable {
    }

    @Test
    void everyKindOfElementComesOutAsItWentIn() throws Exception {
        try (ProcessQueue<Object> q = ProcessQueue.create(4096)) {
            // Half a surrogate pair (a cut emoji) has no UTF-8 form: it must not come out as '?'.
            List<Object> in = List.of(new byte[]{1, 2, 3}, "héllo", 42, -7L, 2.5, true, new Point(3, "p"), "",
                    "a\uD800b", "\uDE00", "\uD83D\uDE00");
            for (Object o : in) {
                assertTrue(q.offer(o));
            }
            assertEquals(in.size(), q.size());
            assertEquals("héllo", new ArrayList<>(q).get(1), "an iterator shows a snapshot");
            assertArrayEquals((byte[]) in.getFirst(), (byte[]) q.peek());
            assertArrayEquals((byte[]) in.getFirst(), (byte[]) q.take());
            for (Object o : in.subList(1, in.size())) {
                assertEquals(o, q.poll(1, TimeUnit.SECONDS));
            }
            assertNull(q.poll());
            assertNull(q.poll(20, TimeUnit.MILLISECONDS), "an empty queue times out");
            assertThrows(NullPointerException.class, () -> q.offer(null));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.put(new byte[5000]));
            assertTrue(e.getMessage().contains("does not fit a queue of 4096 bytes")
                    && e.getMessage().contains("4091 of payload"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> q.offer(new Object()));
            assertEquals(Handle.Kind.QUEUE, q.handle().kind());
        }
    }

    @Test
    void aFullQueueRefusesOrWaitsAndDrainsInOrder() throws Exception {
        try (ProcessQueue<Integer> q = ProcessQueue.create(64)) { // 64 bytes: seven 9-byte Integer records
            int n = 0;
            while (q.offer(n)) {
                n++;
            }
            assertEquals(7, n);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> q.add(99));
            assertTrue(full.getMessage().contains("7 messages in its ring of 64 bytes"), full.getMessage());
            assertFalse(q.offer(99, 20, TimeUnit.MILLISECONDS), "a full queue times out");
            try (ProcessQueue<Integer> view = ProcessQueue.attach(q.handle())) {
                assertThrows(IllegalArgumentException.class, () -> q.drainTo(view), "another view of itself");
            }
            assertEquals(7, q.size());
            List<Integer> out = new ArrayList<>();
            assertEquals(3, q.drainTo(out, 3));
            assertEquals(List.of(0, 1, 2), out);
            q.put(7);
            assertEquals(5, q.drainTo(out));
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), out);
            assertTrue(q.isEmpty());
            assertEquals(12, q.remainingCapacity());
        }
    }

    /** Cannot be read back: its readObject throws. */
    static final class Unreadable implements java.io.Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) throws java.io.IOException {
            throw new java.io.IOException("not readable here");
        }
    }

    /** Cannot be read back: its readObject throws an Error, as a class missing here does. */
    static final class UnreadableError implements java.io.Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @java.io.Serial
        private void readObject(java.io.ObjectInputStream in) {
            throw new NoClassDefFoundError("not here");
        }
    }

    @Test
    void aDrainLosesOnlyTheMessageThatThrowsAnError() {
        try (ProcessQueue<Object> q = ProcessQueue.create(4096)) {
            q.addAll(List.of(1, new UnreadableError(), 2, 3));
            List<Object> out = new ArrayList<>();
            NoClassDefFoundError e = assertThrows(NoClassDefFoundError.class, () -> q.drainTo(out));
            assertEquals("not here", e.getMessage());
            assertEquals(List.of(1, 2, 3), out, "the messages after it arrive too");
            assertTrue(q.isEmpty());
        }
    }

    /** Drains {@code q} into a collection whose first add says so in {@code adding} and then never returns. */
    static void drainStuck(ProcessQueue<Integer> q, LongArray adding) {
        q.drainTo(new ArrayList<Integer>() {
            @java.io.Serial
            private static final long serialVersionUID = 1L;

            @Override
            public boolean add(Integer e) {
                adding.setRelease(0, 1);
                while (true) {
                    java.util.concurrent.locks.LockSupport.park();
                }
            }
        });
    }

    @Test
    void aConsumerKilledInsideADrainLosesOneMessageAtMost() throws Exception {
        try (ProcessQueue<Integer> q = ProcessQueue.create(4096); LongArray adding = SharedCTypes.rawArray(CType.c_long, 1)) {
            for (int i = 0; i < 10; i++) {
                q.put(i);
            }
            try (ChildProcess c = new ChildProcess(ProcessQueueTest::drainStuck, q, adding).daemon(true)) {
                c.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (adding.getAcquire(0) == 0) {
                    assertTrue(System.nanoTime() < deadline, "the child never drained");
                    Thread.onSpinWait();
                }
                c.kill();
                c.join();
            }
            assertEquals(9, q.size(), "only the message being added was lost");
            assertEquals(1, q.take(), "the rest are there, in order");
        }
    }

    /**
     * A view closed while the helper that slept for its waiters still sleeps (its last waiter timed out): woken by
     * a signal meant for another view's waiter, the helper hands the wake-up on and ends, rather than die reading
     * the closed view and keep the wake-up from the other waiter.
     */
    @Test
    void aClosedViewsSleepingHelperHandsASignalOn() throws Exception {
        List<Throwable> uncaught = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(e));
        try (ProcessQueue<Integer> q = ProcessQueue.create(4096)) {
            ProcessQueue<Integer> other = ProcessQueue.attach(q.handle());
            Thread early = Thread.ofVirtual().start(() -> { // a virtual thread waits on the condition at once
                try {
                    assertNull(other.poll(30, TimeUnit.MILLISECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            early.join();
            other.close(); // nobody waits: allowed, while its helper sleeps on the word for up to a second
            Integer[] got = new Integer[1];
            Thread taker = Thread.ofVirtual().start(() -> {
                try {
                    got[0] = q.take();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (taker.getState() != Thread.State.WAITING && taker.getState() != Thread.State.TIMED_WAITING) {
                assertTrue(System.nanoTime() < deadline, "the taker never waited");
                Thread.onSpinWait();
            }
            q.put(7);
            taker.join();
            assertEquals(7, got[0]);
            assertEquals(List.of(), uncaught, "no helper died");
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }

    @Test
    void aUseAfterCloseSaysWhichQueueWasClosed() {
        ProcessQueue<String> q = ProcessQueue.create(4096);
        String handle = q.handle().toString();
        q.close();
        for (org.junit.jupiter.api.function.Executable use : List.<org.junit.jupiter.api.function.Executable>of(
                () -> q.offer("x"), q::poll, q::size, () -> q.take(), () -> q.put("y"))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use);
            assertTrue(e.getMessage().contains(handle) && e.getMessage().contains("was closed"), e.getMessage());
        }
    }

    /**
     * A record that its kind's tag says cannot be (a peer's stray write): the queue's memory is damaged, said so,
     * rather than an index or a buffer out of bounds.
     */
    @Test
    void aMessageItsTagDisownsIsDamageNotAnIndexError() throws Exception {
        try (ProcessQueue<Object> q = ProcessQueue.create(4096)) {
            org.multiprocess4j.internal.queue.QueueCore raw = rawView(q);
            for (byte[] m : List.of(new byte[] {3, 1}, new byte[] {4, 1, 2}, new byte[] {5}, new byte[] {6})) {
                assertTrue(raw.put(m, 0, false));
                IllegalStateException e = assertThrows(IllegalStateException.class, q::poll, "tag " + m[0]);
                assertTrue(e.getMessage().startsWith("the queue's memory is damaged"), e.getMessage());
            }
            q.put(42);
            assertEquals(42, q.take(), "and it goes on");
        }
    }

    /** The queue's memory seen as a peer maps it, through the creator's descriptor, with no ProcessQueue on it. */
    private static org.multiprocess4j.internal.queue.QueueCore rawView(ProcessQueue<?> q) throws java.io.IOException {
        String[] f = q.handle().toString().split(":"); // mp4j1:pid:start:fd:arena id:arena size:block:generation:...
        java.lang.foreign.MemorySegment arena;
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(java.nio.file.Path.of("/proc",
                f[1], "fd", f[3]), java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            arena = file.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, Long.parseLong(f[5]),
                    java.lang.foreign.Arena.ofAuto());
        }
        long block = Long.parseLong(f[6]);
        return new org.multiprocess4j.internal.queue.QueueCore(arena.asSlice(block, Long.parseLong(f[9])),
                Long.parseUnsignedLong(f[4], 16), block, Integer.parseUnsignedInt(f[7]), false, () -> "a raw view");
    }

    @Test
    void anUnreadableMessageLosesOnlyItselfInADrain() {
        try (ProcessQueue<Object> q = ProcessQueue.create(4096)) {
            q.addAll(List.of("a", new Unreadable(), "c", new Unreadable(), "d"));
            List<Object> out = new ArrayList<>();
            RuntimeException e = assertThrows(RuntimeException.class, () -> q.drainTo(out));
            assertTrue(e.getMessage().contains("cannot be deserialized"), e.getMessage());
            assertEquals(1, e.getSuppressed().length, "the second unreadable one is told too");
            assertEquals(List.of("a", "c", "d"), out, "the readable messages all arrive, in order");
            assertTrue(q.isEmpty());
        }
    }

    @Test
    void removalsFromTheMiddleAndBadCapacitiesAreRefusedClearly() {
        try (ProcessQueue<String> q = ProcessQueue.create(4096)) {
            q.addAll(List.of("a", "b"));
            for (org.junit.jupiter.api.function.Executable removal : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> q.remove("b"), () -> q.removeAll(List.of("a")), () -> q.retainAll(List.of("a")),
                    () -> q.removeIf("b"::equals), () -> {
                        var it = q.iterator();
                        it.next();
                        it.remove();
                    })) {
                UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class, removal);
                assertTrue(refused.getMessage().contains("only from its head"), refused.getMessage());
            }
            assertEquals(List.of("a", "b"), new ArrayList<>(q), "nothing was removed");
        }
        for (long capacity : new long[] {63, -1, ProcessQueue.MAX_CAPACITY_BYTES + 1, Long.MAX_VALUE,
                Long.MAX_VALUE - 192}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ProcessQueue.create(capacity));
            assertTrue(e.getMessage().contains("from 64 to 2^47") && e.getMessage().contains("=" + capacity),
                    e.getMessage());
        }
        NullPointerException e = assertThrows(NullPointerException.class, () -> ProcessQueue.attach(null));
        assertEquals("handle", e.getMessage());
    }

    /** A message that proves itself: producer, index, and a checksum of both over a payload of varying length. */
    static byte[] message(int producer, long index) {
        byte[] m = new byte[16 + (int) (index % 50)];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m);
        b.putInt(producer).putLong(index);
        for (int i = 16; i < m.length; i++) {
            m[i] = (byte) (index * 31 + i);
        }
        CRC32C crc = new CRC32C();
        crc.update(m, 0, 12);
        crc.update(m, 16, m.length - 16);
        b.putInt(12, (int) crc.getValue());
        return m;
    }

    static long[] check(byte[] m) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m);
        CRC32C crc = new CRC32C();
        crc.update(m, 0, 12);
        crc.update(m, 16, m.length - 16);
        if (b.getInt(12) != (int) crc.getValue() || m.length != 16 + (int) (b.getLong(4) % 50)) {
            throw new AssertionError("a torn message");
        }
        return new long[]{b.getInt(0), b.getLong(4)};
    }

    /** Puts numbered messages for ever (or {@code count}), recording how many puts returned. */
    static void produce(ProcessQueue<byte[]> q, LongArray sent, Integer producer, Long count)
            throws InterruptedException {
        for (long i = 0; i < count; i++) {
            q.put(message(producer, i));
            sent.setRelease(producer, i + 1); // after the put returned: this message is in
        }
    }

    @Test
    void producersInOtherProcessesDeliverEveryMessageExactlyOnce() throws Exception {
        try (ProcessQueue<byte[]> q = ProcessQueue.create(4096)) {
            LongArray sent = SharedCTypes.rawArray(CType.c_long, 2);
            long each = 20_000;
            List<ChildProcess> producers = List.of(new ChildProcess(ProcessQueueTest::produce, q, sent, 0, each),
                    new ChildProcess(ProcessQueueTest::produce, q, sent, 1, each));
            producers.forEach(ChildProcess::start);
            long[] next = new long[2];
            for (long i = 0; i < 2 * each; i++) {
                byte[] m = q.poll(60, TimeUnit.SECONDS);
                assertTrue(m != null, "message " + i + " never came");
                long[] id = check(m);
                assertEquals(next[(int) id[0]]++, id[1], "each producer's messages in order, none twice");
            }
            for (ChildProcess p : producers) {
                assertTrue(p.join(Duration.ofSeconds(60)));
                assertEquals(0, p.exitCode(), String.valueOf(p.exception()));
            }
            assertTrue(q.isEmpty());
        }
    }

    private static void killProducersAtRandomPoints(int rounds) throws Exception {
        Random random = new Random(11);
        try (ProcessQueue<byte[]> q = ProcessQueue.create(2048)) {
            for (int round = 0; round < rounds; round++) {
                LongArray sent = SharedCTypes.rawArray(CType.c_long, 2);
                List<ChildProcess> producers = List.of(
                        new ChildProcess(ProcessQueueTest::produce, q, sent, 0, Long.MAX_VALUE).daemon(true),
                        new ChildProcess(ProcessQueueTest::produce, q, sent, 1, Long.MAX_VALUE).daemon(true));
                producers.forEach(ChildProcess::start);
                long[] next = new long[2];
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (next[0] < 50 || next[1] < 50) { // both running and the ring full at times
                    assertTrue(System.nanoTime() < deadline, "round " + round + ": the producers never ran");
                    byte[] m = q.poll(1, TimeUnit.SECONDS);
                    if (m != null) {
                        long[] id = check(m);
                        assertEquals(next[(int) id[0]]++, id[1], "round " + round + ": in order, none twice");
                    }
                }
                Thread.sleep(random.nextInt(5));
                for (ChildProcess p : producers) {
                    p.kill();
                    p.join();
                }
                byte[] m;
                while ((m = q.poll()) != null) {
                    long[] id = check(m);
                    assertEquals(next[(int) id[0]]++, id[1], "round " + round + ": in order, none twice");
                }
                for (int p = 0; p < 2; p++) {
                    long returned = sent.getAcquire(p);
                    assertTrue(next[p] == returned || next[p] == returned + 1, "round " + round + ": producer " + p
                            + " had " + returned + " puts return and " + next[p] + " messages arrived: only the one in "
                            + "flight may be lost");
                }
            }
            assertTrue(q.offer(new byte[]{1}) && q.poll() != null, "the queue still works");
        }
    }

    @Test
    void producersKilledAtRandomPointsLoseAtMostTheMessageInFlight() throws Exception {
        killProducersAtRandomPoints(5);
    }

    @Test
    @Tag("soak")
    void soakProducersKilledAtRandomPoints() throws Exception {
        killProducersAtRandomPoints(200);
    }
}
