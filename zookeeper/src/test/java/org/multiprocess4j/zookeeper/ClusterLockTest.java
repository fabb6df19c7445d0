package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;

/** Locks and values across worker JVMs on a real 3-member ensemble, with holders and members killed. */
class ClusterLockTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private String root;
    private Cluster cluster;
    private final List<Workers.Worker> workers = new ArrayList<>();

    @BeforeEach
    void connect() {
        root = "/test/locks-" + UUID.randomUUID();
        cluster = Cluster.connect(SharedEnsemble.config(root.substring("/test/".length())));
    }

    @AfterEach
    void cleanUp() {
        workers.forEach(Workers.Worker::close);
        cluster.close();
    }

    /**
     * A worker of {@code mode}. A holder ("hold") gets a short session, so that its lock passes on soon after it is
     * killed; the others one long enough to outlast a member's death and the election after it.
     */
    private Workers.Worker worker(String mode, String... more) {
        String session = mode.equals("hold") ? "2000" : "15000";
        List<String> args = new ArrayList<>(List.of(mode, SharedEnsemble.get().connectString(), root, session));
        args.addAll(List.of(more));
        Workers.Worker w = new Workers.Worker(args.toArray(String[]::new));
        workers.add(w);
        return w;
    }

    @Test
    void aReleaseFromAnotherThreadLeavesTheHoldersOwnAndAClosedClusterHoldsNothing() throws Exception {
        ClusterLock rlock = cluster.rlock("r");
        ClusterLock.Held held = rlock.hold();
        java.util.concurrent.CompletableFuture<Throwable> other = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                held.close();
                other.complete(null);
            } catch (Throwable t) {
                other.complete(t);
            }
        }).join();
        assertTrue(other.get() instanceof IllegalMonitorStateException, String.valueOf(other.get()));
        held.close(); // the holder's own: it releases
        assertFalse(rlock.isHeldByCurrentThread());
        try (Cluster second = Cluster.connect(SharedEnsemble.config(root.substring("/test/".length())))) {
            assertTrue(second.rlock("r").tryLock(30, java.util.concurrent.TimeUnit.SECONDS), "released");
            second.rlock("r").unlock();
        }

        ClusterLock lock = cluster.lock("l");
        ClusterSemaphore semaphore = cluster.semaphore("s", 1);
        lock.lock();
        cluster.close();
        assertFalse(lock.isHeldByCurrentThread(), "the session that held it is closed");
        assertThrows(IllegalMonitorStateException.class, lock::fencingToken);
        IllegalStateException closed = assertThrows(IllegalStateException.class, semaphore::acquire);
        assertTrue(closed.getMessage().endsWith("is closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> semaphore.tryAcquire(Duration.ofSeconds(1)));
    }

    @Test
    void aSemaphoreWaitsAsLongAsADurationHolds() throws Exception {
        ClusterSemaphore semaphore = cluster.semaphore("s", 1);
        try (ClusterSemaphore.Permit permit = semaphore.tryAcquire(Duration.ofSeconds(Long.MAX_VALUE))) {
            assertNotNull(permit);
            assertNull(semaphore.tryAcquire(Duration.ofSeconds(Long.MIN_VALUE)), "a negative timeout does not wait");
        }
    }

    @Test
    void shouldCountExactlyUnderTheLockAcrossJvmsInFencingTokenOrder() throws Exception {
        countAcrossWorkers(3, 60, false);
    }

    @Test
    void shouldCountExactlyWhileAMemberIsKilledAndRestarted() throws Exception {
        countAcrossWorkers(2, 80, true);
    }

    private void countAcrossWorkers(int n, int each, boolean killMember) throws Exception {
        for (int i = 0; i < n; i++) {
            worker("count", Integer.toString(each));
        }
        if (killMember) {
            workers.get(0).await("CS", BOUND);
            LocalEnsemble zk = SharedEnsemble.get();
            zk.kill(1);
            workers.get(0).await("CS", BOUND); // progress with a member down
            zk.restart(1, true);
        }
        List<long[]> sections = new ArrayList<>();
        for (Workers.Worker w : workers) {
            w.await("DONE", BOUND);
            assertEquals(0, w.waitExit());
            for (String line : w.output()) {
                assertFalse(line.startsWith("LOST "), "a section cut by a lost session or lock: " + line);
                if (line.startsWith("CS ")) {
                    String[] f = line.split(" ");
                    sections.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
        }
        assertEquals((long) n * each, cluster.value("count", CType.c_long).get(), "every locked increment counted");
        // In fencing-token order, each critical section read exactly what the one before wrote: none overlapped.
        TreeMap<Long, Long> byToken = new TreeMap<>();
        sections.forEach(s -> byToken.put(s[0], s[1]));
        assertEquals(n * each, byToken.size(), "fencing tokens are unique");
        long expected = 0;
        for (long seen : byToken.values()) {
            assertEquals(expected++, seen, "sections in token order read consecutive counts");
        }
    }

    @Test
    void shouldGiveEveryGetAndAddADistinctResultWhileAMemberIsKilled() throws Exception {
        int each = 100;
        worker("add", Integer.toString(each));
        worker("add", Integer.toString(each));
        workers.get(0).await("GOT", BOUND);
        SharedEnsemble.get().kill(2);
        workers.get(1).await("GOT", BOUND);
        SharedEnsemble.get().restart(2, true);
        Set<Long> results = new HashSet<>();
        for (Workers.Worker w : workers) {
            w.await("DONE", BOUND);
            for (String line : w.output()) {
                if (line.startsWith("GOT ")) {
                    assertTrue(results.add(Long.parseLong(line.substring(4))), "a result seen twice: " + line);
                }
            }
        }
        assertEquals(2 * each, results.size());
        assertEquals(2 * each, cluster.value("added", CType.c_long).get(), "no increment lost or doubled");
    }

    @Test
    void shouldTellTheNextHolderWhenAHolderIsKilledAfterWritingUnderTheLock() throws Exception {
        Workers.Worker holder = worker("hold", "write");
        String held = holder.await("HELD", BOUND);
        ClusterLock lock = cluster.lock("counter");
        assertFalse(lock.tryLock(), "held by the worker");
        long start = System.nanoTime();
        holder.signal("KILL");
        assertTrue(lock.tryLock(20, TimeUnit.SECONDS), "the lock is free once the holder's session expires");
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        try {
            assertTrue(lock.previousOwnerDied(), "the new holder is told");
            assertTrue(lock.fencingToken() > Long.parseLong(held.split(" ")[1]), "a larger fencing token");
        } finally {
            lock.unlock();
        }
        assertTrue(waitedMs < 10_000, "freed after about the 2 s session timeout, not " + waitedMs + " ms");
        try (var again = lock.hold()) {
            assertFalse(again.previousOwnerDied(), "a clean release is not a death");
        }
    }

    @Test
    void shouldTellTheNextHolderOfAKilledHolderThatRecordedItsHoldingAndNotOfOneThatDidNot() throws Exception {
        for (String how : new String[] {"record", "none"}) {
            Workers.Worker holder = worker("hold", how);
            holder.await("HELD", BOUND);
            holder.signal("KILL");
            ClusterLock lock = cluster.lock("counter");
            assertTrue(lock.tryLock(20, TimeUnit.SECONDS), how);
            try {
                assertEquals(how.equals("record"), lock.previousOwnerDied(), how);
            } finally {
                lock.unlock();
            }
        }
        try (var again = cluster.lock("counter").hold()) {
            assertFalse(again.previousOwnerDied(), "a report is made once");
        }
    }

    @Test
    void shouldRefuseTheWriteOfAHolderPausedPastItsSession() throws Exception {
        ClusterValue count = cluster.value("count", CType.c_long);
        Workers.Worker holder = worker("hold", "none");
        holder.await("HELD", BOUND);
        holder.send("WRITE 1");
        holder.await("WROTE", BOUND);
        holder.signal("STOP"); // a GC pause, say, longer than the session
        ClusterLock lock = cluster.lock("counter");
        try {
            assertTrue(lock.tryLock(20, TimeUnit.SECONDS), "the paused holder's session expires");
            assertTrue(lock.previousOwnerDied());
            count.set(42);
            holder.signal("CONT");
            holder.send("WRITE 666");
            String answer = holder.await("", BOUND);
            assertTrue(answer.equals("REFUSED LOCK_LOST") || answer.equals("REFUSED SESSION_EXPIRED"), answer);
            assertEquals(42, count.get(), "the new holder's write stands");
            count.set(43); // the new holder still writes
        } finally {
            lock.unlock();
        }
        assertEquals(43, count.get());
    }

    @Test
    void shouldRefuseAReentryOfANonReentrantLockAndCountReentries() {
        ClusterLock lock = cluster.lock("plain");
        lock.lock();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, cluster.lock("plain")::lock,
                    "asked for again by name, the lock knows its holder (no wait on itself)");
            assertTrue(e.getMessage().contains("not re-entrant"), e.getMessage());
        } finally {
            lock.unlock();
        }
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
        ClusterLock r = cluster.rlock("re");
        r.lock();
        r.lock();
        r.unlock();
        assertTrue(r.isHeldByCurrentThread());
        r.unlock();
        assertFalse(r.isHeldByCurrentThread());
    }

    @Test
    void shouldExcludeThreadsOfOneJvmAndServeThemInTurn() throws Exception {
        ClusterLock lock = cluster.lock("threads");
        ClusterValue v = cluster.value("threads", CType.c_int);
        Thread[] ts = new Thread[3];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20; i++) {
                    lock.lock();
                    try {
                        v.set(v.get() + 1);
                    } finally {
                        lock.unlock();
                    }
                }
            });
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(60, v.get());
    }
}
