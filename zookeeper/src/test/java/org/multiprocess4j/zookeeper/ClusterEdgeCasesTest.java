package org.multiprocess4j.zookeeper;

import static org.multiprocess4j.zookeeper.Faults.POOL;
import static org.multiprocess4j.zookeeper.Faults.direct;
import static org.multiprocess4j.zookeeper.Faults.member0Port;
import static org.multiprocess4j.zookeeper.Faults.outcome;
import static org.multiprocess4j.zookeeper.Faults.through;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.coordination.Backend;
import org.multiprocess4j.sharedctypes.CType;

/**
 * Failure modes, each kept as a test of the behaviour expected: connection
 * loss cut between a write's application and its answer (through {@link CutProxy}), interrupts, deleted nodes,
 * lost holdings, hostile node contents and configuration.
 */
@SuppressWarnings("try")
class ClusterEdgeCasesTest {
    private static String root() {
        return Faults.root("edge");
    }

    private static ClusterConfig viaProxy(CutProxy proxy, String root) {
        return ClusterConfig.builder(proxy.connectString()).root(root).sessionTimeout(Duration.ofMillis(5000))
                .connectionTimeout(Duration.ofSeconds(5)).operationBound(Duration.ofSeconds(8)).build();
    }

    private static final java.time.Duration BOUND = java.time.Duration.ofSeconds(10);

    /** Waits until the lock at {@code dir} has {@code n} acquisitions queued or holding. */
    private static void awaitWaiters(Cluster c, String dir, int n) throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (c.client().getChildren().forPath(dir).size() < n) {
            assertTrue(System.nanoTime() < deadline, "no " + n + " acquisitions of " + dir + " within " + BOUND);
            Thread.onSpinWait(); // polls the ensemble: each look is a round trip
        }
    }

    private static void log(String s) {
        System.out.println("[edge] " + s);
    }

    /**
     * Was a bug: the marker node is per Cluster, so another thread's write overwrites it; a retried applied write is
     * applied again.
     */
    @Test
    void shouldApplyARetriedIncrementOnceWhileAnotherThreadWrites() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port()); Cluster c = Cluster.connect(viaProxy(proxy, root))) {
            ClusterValue a = c.value("a", CType.c_long);
            ClusterValue b = c.value("b", CType.c_long);
            a.incrementAndGet();
            a.incrementAndGet(); // now trusted: the next update writes without reading
            b.incrementAndGet();
            b.incrementAndGet();
            proxy.holdResponses();
            CompletableFuture<Long> fa = CompletableFuture.supplyAsync(a::incrementAndGet, POOL);
            proxy.awaitHeldAnswer(BOUND); // a's write applied, its answer dropped
            CompletableFuture<Long> fb = CompletableFuture.supplyAsync(b::incrementAndGet, POOL);
            proxy.awaitHeldAnswer(BOUND); // b's too, setting the marker after a's
            proxy.cutAll();
            log("a returned " + fa.get(30, TimeUnit.SECONDS) + ", b returned " + fb.get(30, TimeUnit.SECONDS));
            try (Cluster d = Cluster.connect(direct(root))) {
                assertEquals(3, d.value("b", CType.c_long).get());
                assertEquals(3, d.value("a", CType.c_long).get(), "one incrementAndGet of a, applied once");
            }
        }
    }

    /** Was a bug: an unconditional set that is the first write under a lock, retried after connection loss. */
    @Test
    void shouldFinishAFirstWriteUnderALockCutByConnectionLoss() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port()); Cluster c = Cluster.connect(viaProxy(proxy, root));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterValue v = c.value("v", CType.c_long);
            ClusterLock lock = c.lock("l");
            AtomicReference<Object> setOutcome = new AtomicReference<>("none");
            AtomicReference<Object> incOutcome = new AtomicReference<>("none");
            Thread t = Thread.ofPlatform().start(() -> {
                lock.lock();
                try {
                    proxy.holdResponses();
                    Thread.ofPlatform().start(() -> {
                        try {
                            proxy.awaitHeldAnswer(BOUND); // the set applied, its answer dropped
                        } catch (InterruptedException e) {
                            return;
                        }
                        proxy.cutAll();
                    });
                    setOutcome.set(outcome(() -> v.set(5)));
                    try {
                        incOutcome.set(v.incrementAndGet());
                    } catch (RuntimeException e) {
                        incOutcome.set(e);
                    }
                } finally {
                    try {
                        lock.unlock();
                    } catch (RuntimeException e) {
                        log("unlock: " + e);
                    }
                }
            });
            t.join(10_000);
            log("set outcome: " + setOutcome.get());
            log("increment outcome after 10 s: " + incOutcome.get() + ", thread alive: " + t.isAlive());
            boolean hung = t.isAlive();
            if (hung) {
                c.close(); // ends the loop
                t.join(10_000);
            }
            ClusterLock theirs = other.lock("l");
            assertTrue(theirs.tryLock(10, TimeUnit.SECONDS));
            boolean died = theirs.previousOwnerDied();
            theirs.unlock();
            log("next holder told previousOwnerDied=" + died + " (nobody died)");
            assertEquals("ok", setOutcome.get(), "the set was applied: it should succeed");
            assertFalse(hung, "incrementAndGet under the lock should not spin forever");
        }
    }

    /**
     * Was a bug: a release that fails (connection lost past the bound) leaves the node: the lock is held by nobody,
     * forever.
     */
    @Test
    void shouldFreeTheLockOfAReleaseCutOffPastTheBound() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(5000), Duration.ofMillis(1000));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            lock.lock();
            proxy.refuse(true);
            proxy.cutAll();
            try {
                lock.unlock();
                log("unlock returned");
            } catch (RuntimeException e) {
                log("unlock threw " + e);
            }
            proxy.refuse(false);
            assertTrue(c.client().blockUntilConnected(10, TimeUnit.SECONDS), "reconnects, same session");
            boolean mine = lock.tryLock(2, TimeUnit.SECONDS);
            boolean theirs = other.lock("l").tryLock(4, TimeUnit.SECONDS);
            log("after the failed release: same client tryLock=" + mine + ", other client tryLock=" + theirs);
            assertTrue(mine || theirs, "nobody holds the lock, yet nobody can take it");
        }
    }

    /** Was a bug: a value node deleted by another client makes an update spin forever in versionedWrite. */
    @Test
    void shouldSayWhenAValueNodeWasDeleted() throws Exception {
        String root = root();
        Cluster c = Cluster.connect(direct(root));
        try (Cluster admin = Cluster.connect(direct(root))) {
            ClusterValue v = c.value("x", CType.c_long);
            v.incrementAndGet();
            v.incrementAndGet(); // now trusted: the next update writes without reading
            admin.client().delete().deletingChildrenIfNeeded().forPath("/values/x");
            AtomicReference<Object> outcome = new AtomicReference<>("none");
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    outcome.set(v.incrementAndGet());
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            t.join(5_000);
            boolean hung = t.isAlive();
            c.close();
            t.join(10_000);
            log("incrementAndGet of a deleted value: hung=" + hung + ", then " + outcome.get());
            assertFalse(hung, "should fail with an exception naming the missing node");
        } finally {
            c.close();
        }
    }

    /** Was a bug: lock() (not interruptible) of an interrupted thread throws ClusterLostException QUORUM_LOST. */
    @Test
    void shouldKeepWaitingInLockThroughAnInterrupt() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster holder = Cluster.connect(direct(root))) {
            ClusterLock theirs = holder.lock("l");
            theirs.lock();
            AtomicReference<Object> outcome = new AtomicReference<>("none");
            Thread t = Thread.ofPlatform().start(() -> {
                ClusterLock mine = c.lock("l");
                try {
                    mine.lock();
                    outcome.set("acquired, interrupted=" + Thread.currentThread().isInterrupted());
                    mine.unlock();
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            awaitWaiters(holder, "/locks/l", 2);
            t.interrupt();
            theirs.unlock();
            t.join(10_000);
            log("interrupted lock(): " + outcome.get());
            Thread.currentThread().interrupt();
            Object get;
            try {
                get = c.value("v", CType.c_int).get();
            } catch (RuntimeException e) {
                get = e;
            } finally {
                Thread.interrupted();
            }
            log("value.get() with the interrupt flag set: " + get);
            assertTrue(outcome.get() instanceof String, "lock() waits through interrupts: " + outcome.get());
        }
    }

    /** Was a bug: each lock()/rlock() call makes a new ClusterLock, so re-entry through a second lookup deadlocks. */
    @Test
    void shouldReenterALockLookedUpTwice() throws Exception {
        String address = "zookeeper://" + SharedEnsemble.get().connectString() + root() + "?sessionTimeoutMs=5000";
        for (Backend backend : new Backend[] {Backend.sharedMemory(), Backend.open(address)}) {
            try (backend) {
                backend.rlock("r").lock();
                boolean reentered = backend.rlock("r").tryLock(2, TimeUnit.SECONDS);
                log(backend + ": rlock(\"r\") again from the holding thread: " + reentered);
                boolean otherKind;
                try {
                    backend.longValue("r");
                    otherKind = false;
                } catch (IllegalArgumentException e) {
                    otherKind = true;
                }
                log(backend + ": longValue(\"r\") of an rlock's name refused: " + otherKind);
                assertTrue(reentered, backend + ": a re-entrant lock re-enters");
            }
        }
    }

    /** Was a bug: a lost holding that was never unlocked stays in the thread's fences and refuses every later write. */
    @Test
    void shouldStopFencingWithALostHoldingOnceTakenAgain() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster admin = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterValue v = c.value("v", CType.c_long);
            lock.lock();
            for (String child : admin.client().getChildren().forPath("/locks/l")) {
                admin.client().delete().forPath("/locks/l/" + child); // as a session expiry would
            }
            try {
                v.set(1);
            } catch (ClusterLostException e) {
                log("write after the loss: " + e.state());
            }
            assertTrue(lock.tryLock(5, TimeUnit.SECONDS), "taken again after the loss");
            Object outcome = outcome(() -> v.set(2));
            lock.unlock();
            Object after = outcome(() -> v.set(3));
            log("write under the new holding: " + outcome + "; write after releasing it: " + after);
            assertEquals("ok", after, "no lock is held: nothing fences this write");
        }
    }

    /** Was a bug: sub-millisecond durations pass validation and become 0 ms. */
    @Test
    void shouldRefuseSubMillisecondTimeouts() {
        Object outcome;
        try {
            outcome = Cluster.connect(ClusterConfig.builder(SharedEnsemble.get().connectString()).root(root())
                    .connectionTimeout(Duration.ofNanos(999_999)).build());
            ((Cluster) outcome).close();
        } catch (RuntimeException e) {
            outcome = e;
        }
        log("connectionTimeout 0.999999 ms: " + outcome);
        assertTrue(outcome instanceof IllegalArgumentException, "refused when built, naming connectionTimeout");
    }

    /** Was a bug: a port outside 1..65535 passes the connect string check. */
    @Test
    void shouldRefusePortsOutOfRange() {
        long start = System.nanoTime();
        Object outcome;
        try {
            outcome = Cluster.connect(ClusterConfig.builder("127.0.0.1:99999").connectionTimeout(Duration.ofSeconds(2))
                    .build());
            ((Cluster) outcome).close();
        } catch (RuntimeException e) {
            outcome = e;
        }
        log("port 99999 after " + (System.nanoTime() - start) / 1_000_000 + " ms: " + outcome);
        assertTrue(outcome instanceof IllegalArgumentException, "refused by the builder");
    }

    @Test
    void shouldExplainAClosedClusterAndABadOption() {
        Cluster c = Cluster.connect(direct(root()));
        c.close();
        try {
            c.value("v", CType.c_int);
        } catch (RuntimeException e) {
            log("value() on a closed Cluster: " + e);
        }
        try {
            c.lock("l").lock();
        } catch (RuntimeException e) {
            log("lock() on a closed Cluster: " + e);
        }
        try {
            Backend.open("zookeeper://127.0.0.1:1/r?sessionTimeoutMs=%zz");
        } catch (RuntimeException e) {
            log("option %zz: " + e);
        }
    }

    /** A foreign child of a lock's node whose name sorts first blocks the lock with no explanation. */
    @Test
    void shouldIgnoreAForeignChildOfALockNode() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root))) {
            c.client().create().creatingParentsIfNeeded().forPath("/locks/f/0");
            Object outcome;
            try {
                outcome = c.lock("f").tryLock(1, TimeUnit.SECONDS);
            } catch (RuntimeException e) {
                outcome = e;
            }
            log("tryLock with a persistent child '0' in the lock node: " + outcome);
        }
    }

    /**
     * Was a bug: another thread's release of an unrecorded holding races the holder's first write: a false death
     * report.
     */
    @Test
    void shouldNotReportADeathWhenAnotherThreadReleasesDuringTheFirstWrite() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port()); Cluster c = Cluster.connect(viaProxy(proxy, root));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterValue v = c.value("v", CType.c_long);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            Thread writer = Thread.ofPlatform().start(() -> {
                lock.lock();
                held.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                v.set(1); // written under the lock, by its holder
            });
            held.await();
            proxy.delayResponses();
            go.countDown();
            proxy.awaitHeldAnswer(BOUND); // the holder's first write (and its record) applied, answer delayed
            Thread releaser = Thread.ofPlatform().start(lock::unlock); // then released (allowed from any thread)
            proxy.awaitHeldAnswer(BOUND); // the release applied too
            proxy.deliver();
            writer.join(10_000);
            releaser.join(10_000);
            ClusterLock theirs = other.lock("l");
            assertTrue(theirs.tryLock(5, TimeUnit.SECONDS));
            boolean died = theirs.previousOwnerDied();
            theirs.unlock();
            log("after a write and a release, both completed: next holder told previousOwnerDied=" + died);
            assertFalse(died, "nobody died");
        }
    }

    /** Was a bug: a thread waiting in lock() when its Cluster is closed waits forever. */
    @Test
    void shouldTellAWaiterThatItsClusterClosed() throws Exception {
        String root = root();
        Cluster c = Cluster.connect(direct(root));
        try (Cluster holder = Cluster.connect(direct(root))) {
            ClusterLock theirs = holder.lock("l");
            theirs.lock();
            AtomicReference<Object> outcome = new AtomicReference<>("none");
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try {
                    c.lock("l").lock();
                    outcome.set("acquired");
                } catch (RuntimeException e) {
                    outcome.set(e);
                }
            });
            awaitWaiters(holder, "/locks/l", 2);
            c.close();
            t.join(3_000);
            boolean alive = t.isAlive();
            t.interrupt();
            t.join(2_000);
            log("waiter after its Cluster closed: alive=" + alive + ", after an interrupt too: " + t.isAlive()
                    + ", outcome " + outcome.get());
            theirs.unlock();
            t.join(3_000);
            log("after the holder released: alive=" + t.isAlive() + ", outcome " + outcome.get());
            assertFalse(alive, "the waiter is told its connection closed");
        }
    }

    @Test
    void shouldRefuseARootWithDotDot() {
        Object outcome;
        try {
            ClusterConfig config = ClusterConfig.builder(SharedEnsemble.get().connectString()).root("/a/..").build();
            try (Cluster c = Cluster.connect(config)) {
                outcome = c.value("v", CType.c_int).get();
            }
        } catch (RuntimeException e) {
            outcome = e;
        }
        log("root /a/..: " + outcome);
        assertTrue(outcome instanceof IllegalArgumentException iae && iae.getMessage().startsWith("root must"),
                "refused by root(): " + outcome);
    }

    /** Was a bug: the parents of a root get the creator-only ACL too, so one user's root locks out another's. */
    @Test
    void shouldLetOtherUsersMakeRootsBesideACredentialedOne() {
        String base = "/edge-acl-" + UUID.randomUUID(); // not under /test: its parent would lock out every other test
        try (Cluster alice = Cluster.connect(ClusterConfig.builder(SharedEnsemble.get().connectString())
                .root(base + "/alice").digest("alice", "a").build())) {
            alice.value("v", CType.c_int).set(1);
        }
        Object outcome;
        try (Cluster bob = Cluster.connect(ClusterConfig.builder(SharedEnsemble.get().connectString())
                .root(base + "/bob").digest("bob", "b").build())) {
            bob.value("v", CType.c_int).set(2);
            outcome = "ok";
        } catch (RuntimeException e) {
            outcome = e;
        }
        log("bob in his own root beside alice's: " + outcome);
        assertEquals("ok", outcome);
    }

    /** Was a bug: an interrupted thread's write or release is applied, yet reported as not done (QUORUM_LOST). */
    @Test
    void shouldWriteAndReleaseDespiteAnInterrupt() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster other = Cluster.connect(direct(root))) {
            ClusterValue v = c.value("v", CType.c_long);
            ClusterLock lock = c.lock("l");
            lock.lock();
            Thread.currentThread().interrupt();
            Object set = outcome(() -> v.set(7));
            Thread.currentThread().interrupt();
            Object unlock = outcome(() -> lock.unlock());
            Thread.interrupted();
            boolean free = other.lock("l").tryLock(10, TimeUnit.SECONDS);
            other.lock("l").unlock();
            long seen = other.value("v", CType.c_long).get(); // after the lock: ordered after the set
            log("interrupted set: " + set + "; value seen by another client: " + seen);
            log("interrupted unlock: " + unlock + "; lock free for another client: " + free);
            assertEquals("ok", set, "an interrupt does not stop a write: it is kept for the caller");
            assertEquals("ok", unlock);
            assertTrue(free);
            assertEquals(7, seen);
        }
    }

    /** Was a bug: tryLock() on a closed connection answered false, as for a lock held elsewhere. */
    @Test
    void aClosedClusterRefusesItsLocksClearly() throws Exception {
        Cluster c = Cluster.connect(direct(root()));
        ClusterLock lock = c.lock("l");
        c.close();
        for (org.junit.jupiter.api.function.Executable use : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                lock::tryLock, () -> lock.tryLock(1, TimeUnit.SECONDS), lock::lock, () -> c.lock("other"),
                () -> c.rlock("other"))) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, use);
            assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        }
    }

    /**
     * Was a bug: a node another client made with no data, or with a kind record this library never writes, or with
     * a huge one, gave a NullPointerException, a message saying a name named a long value and not a long value, or a
     * message of 900,000 characters.
     */
    @Test
    void foreignNodeDataIsReportedClearlyAndShortly() throws Exception {
        String root = root();
        // The "foreign" writes go through c's own client: another session's write may not have reached the member c
        // reads from yet (ZooKeeper orders each session's reads after its own writes, not after others').
        try (Cluster c = Cluster.connect(direct(root))) {
            var client = c.client();
            client.create().creatingParentsIfNeeded().forPath("/values/nodata", null);
            client.create().forPath("/values/nodata/type", null);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> c.value("nodata", CType.c_long));
            assertTrue(e.getMessage().contains("no data"), e.getMessage());
            ClusterValue v = c.value("v", CType.c_long);
            client.setData().forPath("/values/v", null);
            IllegalStateException bytes = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    v::get);
            assertTrue(bytes.getMessage().contains("no data"), bytes.getMessage());
            client.create().creatingParentsIfNeeded().forPath("/values/big", new byte[8]);
            client.create().forPath("/values/big/type", new byte[900_000]);
            e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> c.value("big", CType.c_long));
            assertTrue(e.getMessage().length() < 1000 && e.getMessage().contains("900000 bytes, cut"),
                    e.getMessage().length() + " characters");
            client.create().creatingParentsIfNeeded().forPath("/counters/c", "x".repeat(600_000).getBytes());
            e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> c.counter("c", 2));
            assertTrue(e.getMessage().length() < 1000, e.getMessage().length() + " characters");
            client.create().creatingParentsIfNeeded().forPath("/semaphores/s", null);
            e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> c.semaphore("s", 1));
            assertTrue(e.getMessage().contains("no data"), e.getMessage());
        }
        String address = "zookeeper://" + SharedEnsemble.get().connectString() + root;
        try (Cluster admin = Cluster.connect(direct(root)); Backend backend = Backend.open(address)) {
            admin.client().create().creatingParentsIfNeeded().forPath("/kinds/g", "garbage".getBytes());
            admin.client().create().creatingParentsIfNeeded().forPath("/kinds/n", null);
            for (String name : new String[] {"g", "n"}) {
                // The backend's session may read from a member the admin's create has not reached yet: until then
                // its own create is refused and the record not yet readable, an error of another kind.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (true) {
                    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                            IllegalStateException.class, () -> backend.lock(name));
                    if (e.getMessage().contains("never writes")) {
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline, e.getMessage());
                    Thread.sleep(20);
                }
            }
        }
    }

    /** Was a bug: a root of a million characters was taken, and every call then failed as QUORUM_LOST. */
    @Test
    void aRootLongerThanPathsCanBeIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ClusterConfig.builder("127.0.0.1:2181").root("/" + "r".repeat(1_100_000)));
        assertTrue(e.getMessage().contains("at most 1000"), e.getMessage());
        ClusterConfig.builder("127.0.0.1:2181").root("/" + "r".repeat(999));
    }
}
