package org.multiprocess4j.zookeeper;

import static org.multiprocess4j.zookeeper.Faults.POOL;
import static org.multiprocess4j.zookeeper.Faults.direct;
import static org.multiprocess4j.zookeeper.Faults.member0Port;
import static org.multiprocess4j.zookeeper.Faults.outcome;
import static org.multiprocess4j.zookeeper.Faults.through;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.coordination.Backend;
import org.multiprocess4j.sharedctypes.CType;

/**
 * Writes, releases and acquisitions whose tries are cut (answers dropped past the bound, sessions expired by
 * session theft, interrupts) or whose nodes another client changes: each outcome is reported as it happened.
 */
@SuppressWarnings("try")
class ClusterRetriesTest {
    private static String root() {
        return Faults.root("retries");
    }

    private static void log(String s) {
        System.out.println("[retries] " + s);
    }

    private static void await(String what, BooleanSupplier cond, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within " + bound + ": " + what);
            Thread.sleep(20);
        }
    }

    private static long valueOf(Cluster other, String name) {
        return other.value(name, CType.c_long).get();
    }

    private static int children(Cluster other, String path) {
        try {
            return other.client().checkExists().forPath(path) == null ? 0
                    : other.client().getChildren().forPath(path).size();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** Ends c's session on the server (session stealing) and waits until Curator reported LOST. */
    private static void expire(Cluster c) throws Exception {
        CountDownLatch lost = new CountDownLatch(1);
        c.client().getConnectionStateListenable().addListener((cl, s) -> {
            if (s == ConnectionState.LOST) {
                lost.countDown();
            }
        });
        ZooKeeper zk = c.client().getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper thief = new ZooKeeper(SharedEnsemble.get().connectString(), 5000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zk.getSessionId(), zk.getSessionPasswd());
        assertTrue(connected.await(10, TimeUnit.SECONDS));
        thief.close();
        assertTrue(lost.await(20, TimeUnit.SECONDS), "LOST reported");
    }

    /**
     * Was a bug: A write that failed past the bound (but was applied) leaves the record standing: the next write is
     * reported applied, never made.
     */
    @Test
    void shouldMakeTheNextWriteAfterAnAppliedWriteThatFailedPastTheBound() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(5000), Duration.ofMillis(500), Duration.ofMillis(1000));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterValue a = c.value("a", CType.c_long);
            ClusterValue b = c.value("b", CType.c_long);
            a.set(1);
            b.set(1);
            ClusterLock lock = c.lock("l");
            lock.lock();
            proxy.holdResponses();
            Thread cutter = Thread.ofPlatform().start(() -> {
                try {
                    await("a applied", () -> valueOf(other, "a") == 5, Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    return;
                }
                proxy.refuse(true);
                proxy.cutAll();
            });
            Object aOut = outcome(() -> a.set(5));
            cutter.join();
            proxy.refuse(false);
            assertTrue(c.client().blockUntilConnected(10, TimeUnit.SECONDS));
            Object bOut = outcome(() -> b.set(7));
            try {
                lock.unlock();
            } catch (RuntimeException e) {
                log("unlock: " + e);
            }
            long aSeen = valueOf(other, "a");
            long bSeen = valueOf(other, "b");
            log("a.set(5) -> " + aOut + " (a=" + aSeen + "); then b.set(7) -> " + bOut + " (b=" + bSeen + ")");
            assertFalse("ok".equals(bOut) && bSeen != 7, "b.set(7) returned normally but b is " + bSeen);
        }
    }

    /**
     * Was a bug: CONNECTION_LOST/QUORUM_LOST claims "nothing applied" (ClusterLostException's doc), but the write was
     * applied.
     */
    @Test
    void shouldSayAWriteLostPastTheBoundMayHaveBeenApplied() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(5000), Duration.ofMillis(500), Duration.ofMillis(1000));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterCounter n = c.counter("n", 1);
            n.add(1);
            proxy.holdResponses();
            Thread cutter = Thread.ofPlatform().start(() -> {
                try {
                    await("add applied", () -> other.counter("n", 1).sum() == 2, Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    return;
                }
                proxy.refuse(true);
                proxy.cutAll();
            });
            Object out = outcome(() -> n.add(1));
            cutter.join();
            proxy.refuse(false);
            long seen = other.counter("n", 1).sum();
            log("add(1) -> " + out + "; sum seen " + seen);
            assertFalse(out instanceof ClusterLostException && seen == 2 && !out.toString().contains("may have been"),
                    "reported as not done, yet applied: " + out);
        }
    }

    /**
     * Was a bug: An applied write whose session ended before its retry: reported as a plain failure (NoNode of the
     * marker).
     */
    @Test
    void shouldSayAWriteAppliedBeforeTheSessionExpiredMayHaveBeenApplied() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(2000), Duration.ofSeconds(2), Duration.ofSeconds(30));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterValue a = c.value("a", CType.c_long);
            CountDownLatch ready = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Object> f = CompletableFuture.supplyAsync(() -> {
                a.set(1); // this thread's marker
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return e;
                }
                try {
                    a.set(5);
                    return "ok";
                } catch (RuntimeException e) {
                    return e;
                }
            }, POOL);
            ready.await();
            proxy.holdResponses();
            go.countDown();
            await("a applied", () -> valueOf(other, "a") == 5, Duration.ofSeconds(10));
            proxy.refuse(true);
            proxy.cutAll();
            List<String> markers = other.client().getChildren().forPath("/clients"); // c's: other only reads
            await("session ended on the server", () -> {
                try {
                    return java.util.Collections.disjoint(markers, other.client().getChildren().forPath("/clients"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, Duration.ofSeconds(20));
            proxy.refuse(false);
            Object out = f.get(60, TimeUnit.SECONDS);
            log("a.set(5), applied, then session expired -> " + out);
            assertTrue("ok".equals(out) || out instanceof ClusterLostException e
                    && e.state() == ClusterLostException.State.SESSION_EXPIRED, "applied, but: " + out);
        }
    }

    /**
     * Was a bug: LOCK_LOST says "refused" for a write that was applied (its retry found the lock released by another
     * thread).
     */
    @Test
    void shouldReportAWriteAppliedBeforeItsLockWasLostAsApplied() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(5000), Duration.ofSeconds(8));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterValue v = c.value("v", CType.c_long);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Object> out = new AtomicReference<>("none");
            Thread writer = Thread.ofPlatform().start(() -> {
                v.set(2);
                lock.lock();
                lock.recordHolding();
                held.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                out.set(outcome(() -> v.set(3)));
            });
            held.await();
            proxy.holdResponses();
            go.countDown();
            await("v applied", () -> valueOf(other, "v") == 3, Duration.ofSeconds(10));
            AtomicReference<Object> rel = new AtomicReference<>("none");
            Thread releaser = Thread.ofPlatform().start(() -> {
                rel.set(outcome(() -> lock.unlock()));
            });
            await("released", () -> children(other, "/locks/l") == 0, Duration.ofSeconds(10));
            proxy.cutAll();
            writer.join(20_000);
            releaser.join(20_000);
            log("v.set(3) -> " + out.get() + " (v=" + valueOf(other, "v") + "); release -> " + rel.get());
            assertFalse(out.get() instanceof ClusterLostException e
                    && e.state() == ClusterLostException.State.LOCK_LOST, "refused, yet applied: " + out.get());
        }
    }

    /**
     * Was a bug: Another thread's lock() of a lost non-re-entrant lock marks the holder's holding released: its writes
     * go unfenced.
     */
    @Test
    void shouldKeepFencingTheOldHolderWhenAnotherThreadRetakesALostLock() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterValue v = c.value("v", CType.c_long);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Object> out = new AtomicReference<>("none");
            CountDownLatch expired = new CountDownLatch(1);
            CountDownLatch seenLost = new CountDownLatch(1);
            Thread t1 = Thread.ofPlatform().start(() -> {
                lock.lock();
                held.countDown();
                try {
                    expired.await();
                    await("holding marked lost", () -> !lock.isHeldByCurrentThread(), Duration.ofSeconds(10));
                    seenLost.countDown();
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                out.set(outcome(() -> v.set(9)));
            });
            held.await();
            expire(c);
            expired.countDown();
            seenLost.await();
            boolean mine = lock.tryLock(5, TimeUnit.SECONDS); // this thread, same JVM
            go.countDown();
            t1.join(10_000);
            log("main took the lost lock: " + mine + "; old holder's write -> " + out.get());
            assertTrue(mine);
            assertTrue(out.get() instanceof ClusterLostException e && e.state() == ClusterLostException.State.LOCK_LOST,
                    "the old holder's write under a lock now held by another thread: " + out.get());
            lock.unlock();
        }
    }

    /**
     * Was a bug: An inner lock() of a lost re-entrant holding takes a fresh holding; its unlock leaves the outer block
     * unheld and unfenced.
     */
    @Test
    void shouldRefuseANestedLockAfterTheOuterHoldWasLost() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster other = Cluster.connect(direct(root))) {
            ClusterLock rl = c.rlock("r");
            ClusterValue v = c.value("v", CType.c_long);
            StringBuilder trace = new StringBuilder();
            AtomicReference<Object> setOut = new AtomicReference<>("none");
            AtomicReference<Boolean> theirs = new AtomicReference<>(false);
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    rl.lock(); // outer
                    expire(c);
                    await("holding marked lost", () -> !rl.isHeldByCurrentThread(), Duration.ofSeconds(10));
                    try {
                        rl.lock(); // inner, after the loss
                        trace.append("inner lock ok; ");
                        rl.unlock();
                        trace.append("inner unlock ok; ");
                    } catch (RuntimeException e) {
                        trace.append("inner: ").append(e).append("; ");
                    }
                    trace.append("outer still held: ").append(rl.isHeldByCurrentThread()).append("; ");
                    ClusterLock their = other.rlock("r");
                    Thread ot = Thread.ofPlatform().start(() -> {
                        try {
                            theirs.set(their.tryLock(3, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            // no
                        }
                    });
                    ot.join();
                    try {
                        v.set(1); // inside the outer block
                        setOut.set("ok");
                    } catch (RuntimeException e) {
                        setOut.set(e);
                    }
                    try {
                        rl.unlock(); // outer
                        trace.append("outer unlock ok");
                    } catch (RuntimeException e) {
                        trace.append("outer unlock: ").append(e);
                    }
                } catch (Exception e) {
                    trace.append("unexpected ").append(e);
                }
            });
            t.join(30_000);
            log("" + trace + "; another client took the rlock meanwhile: " + theirs.get()
                    + "; write in the outer block -> " + setOut.get());
            assertFalse(theirs.get() && "ok".equals(setOut.get()),
                    "an unfenced write inside a block that holds the rlock, while another client holds it");
        }
    }

    /**
     * Was a bug: A lock looked up (not yet taken) in one backend, a value of the same name in another: both accepted.
     */
    @Test
    void shouldRefuseANameOfAnotherKindAcrossBackends() throws Exception {
        String address = "zookeeper://" + SharedEnsemble.get().connectString() + root() + "?sessionTimeoutMs=5000";
        try (Backend b1 = Backend.open(address); Backend b2 = Backend.open(address)) {
            b1.lock("x");
            Object out;
            try {
                b2.longValue("x");
                out = "accepted";
            } catch (IllegalArgumentException e) {
                out = e;
            }
            log("lock(\"x\") in one backend, longValue(\"x\") in another -> " + out);
            assertTrue(out instanceof IllegalArgumentException, "a name names one object: " + out);
        }
    }

    /**
     * Was a bug: A marker deleted by another client: the next write is refused as SESSION_EXPIRED "may have been
     * applied".
     */
    @Test
    void shouldWriteWhenAnotherClientDeletedTheMarker() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster admin = Cluster.connect(direct(root))) {
            ClusterValue v = c.value("v", CType.c_long);
            v.set(1);
            long session = c.client().getZookeeperClient().getZooKeeper().getSessionId();
            for (String child : admin.client().getChildren().forPath("/clients")) {
                admin.client().delete().forPath("/clients/" + child);
            }
            Object out = outcome(() -> v.set(2));
            boolean same = session == c.client().getZookeeperClient().getZooKeeper().getSessionId();
            log("set after the marker's deletion -> " + out + "; v=" + valueOf(admin, "v") + "; same session: " + same);
            assertFalse(out instanceof ClusterLostException e && e.state() == ClusterLostException.State.SESSION_EXPIRED
                    && same, "no session expired, nothing applied: " + out);
        }
    }

    /** Was a bug: One ephemeral marker per thread that ever wrote, never deleted while the session lives. */
    @Test
    void shouldNotLeaveAMarkerPerThreadThatWrote() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster admin = Cluster.connect(direct(root))) {
            ClusterValue v = c.value("v", CType.c_long);
            for (int i = 0; i < 200; i++) {
                Thread.ofVirtual().start(v::incrementAndGet).join();
            }
            int markers = children(admin, "/clients");
            log("200 short-lived threads wrote one at a time; ephemeral markers left: " + markers);
            assertTrue(markers <= 16, "markers: " + markers);
        }
    }

    /**
     * Was a bug: A holding whose node another client deleted (the lock taken by someone else meanwhile): unlock says
     * nothing.
     */
    @Test
    void shouldReportLockLostWhenAnotherClientDeletedTheHoldersNode() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster admin = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            lock.lock();
            for (String child : admin.client().getChildren().forPath("/locks/l")) {
                admin.client().delete().forPath("/locks/l/" + child);
            }
            ClusterLock theirs = admin.lock("l");
            boolean took = theirs.tryLock(5, TimeUnit.SECONDS);
            Object out = outcome(() -> lock.unlock());
            log("another client took the lock: " + took + "; our unlock -> " + out);
            theirs.unlock();
            assertTrue(out instanceof ClusterLostException, "the lock was lost while held: " + out);
        }
    }

    /** An interrupt while the protected create of lock() waits for its answer: lock() re-runs the create. */
    @Test
    void shouldLeaveNoNodeWhenAnInterruptCutsTheLocksCreate() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofMillis(5000), Duration.ofSeconds(8));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            lock.lock();
            lock.unlock(); // the lock's node exists
            AtomicReference<Object> out = new AtomicReference<>("none");
            proxy.delayResponses();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    lock.lock();
                    out.set("acquired");
                    lock.unlock();
                    out.set("acquired and released");
                } catch (RuntimeException e) {
                    out.set(e);
                }
            });
            await("create applied", () -> children(other, "/locks/l") > 0, Duration.ofSeconds(10));
            t.interrupt();
            proxy.deliver();
            t.join(15_000);
            boolean alive = t.isAlive();
            await("the orphaned node deleted", () -> children(other, "/locks/l") == 0, Duration.ofSeconds(10));
            List<String> left = other.client().getChildren().forPath("/locks/l");
            log("interrupted during create -> " + out.get() + ", alive " + alive + ", nodes left " + left);
            assertFalse(alive);
            assertTrue(left.isEmpty(), "left: " + left);
        }
    }

    /**
     * Was a bug: Another client sets the lock node's data (a version bump): the holder's next write called its held
     * lock lost; then, its release flipped the version's parity, and the next holder was told the previous owner
     * died. The holder holds the lock on, and the next holder hears of no death.
     */
    @Test
    void aForeignWriteToTheLockNodeNeitherLosesTheLockNorTellsTheNextHolderOfADeath() throws Exception {
        String root = root();
        byte[] junk = "x".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (Cluster c = Cluster.connect(direct(root)); Cluster admin = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterValue v = c.value("v", CType.c_long);
            for (int bumps : new int[] {1, 2}) { // after the record: the version even, then odd
                lock.lock();
                v.set(bumps); // records the holding
                for (int i = 0; i < bumps; i++) {
                    admin.client().setData().forPath("/locks/l", junk);
                }
                Object out = outcome(() -> v.set(10 + bumps));
                Object rel = outcome(() -> lock.unlock());
                log(bumps + " foreign setData on a recorded lock node: write -> " + out + "; unlock -> " + rel);
                assertEquals(List.of("ok", "ok"), List.of(out, rel), "the lock is still held");
                ClusterLock next = admin.lock("l");
                assertTrue(next.tryLock(10, TimeUnit.SECONDS));
                assertFalse(next.previousOwnerDied(), "the previous owner released the lock: it did not die");
                next.unlock();
            }
            lock.lock(); // a holding never recorded, the node bumped under it
            admin.client().setData().forPath("/locks/l", junk);
            lock.unlock();
            ClusterLock next = admin.lock("l");
            assertTrue(next.tryLock(10, TimeUnit.SECONDS));
            assertFalse(next.previousOwnerDied(), "an unrecorded holding released: no death");
            next.unlock();
        }
    }

    /** Was a bug: a permit lost with its holder's session was returned in silence, while another client held it. */
    @Test
    void aSemaphorePermitLostWithItsSessionSaysSoWhenReturned() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster other = Cluster.connect(direct(root))) {
            ClusterSemaphore.Permit permit = c.semaphore("s", 1).acquire();
            expire(c);
            ClusterSemaphore.Permit theirs = other.semaphore("s", 1).tryAcquire(Duration.ofSeconds(20));
            assertTrue(theirs != null, "the lost permit returned to the semaphore");
            ClusterLostException e = assertThrows(ClusterLostException.class, permit::close);
            assertEquals(ClusterLostException.State.LOCK_LOST, e.state());
            permit.close(); // a second close does nothing
            theirs.close();
            ClusterSemaphore.Permit again = c.semaphore("s", 1).tryAcquire(Duration.ofSeconds(20));
            assertTrue(again != null);
            again.close(); // held all along: returned in silence
        }
    }

    /**
     * Was a bug: a held permit closed by an interrupted thread (try-with-resources after a cancel) threw; closed while
     * the connection was down it took four operation bounds and then threw for a permit still held.
     */
    @Test
    void aHeldPermitIsReturnedQuietlyByAnInterruptedThreadAndWithoutAConnection() throws Exception {
        String root = root();
        try (CutProxy proxy = new CutProxy(member0Port());
             Cluster c = through(proxy, root, Duration.ofSeconds(20), Duration.ofSeconds(3));
             Cluster other = Cluster.connect(direct(root))) {
            ClusterSemaphore.Permit permit = c.semaphore("s", 1).acquire();
            Thread.currentThread().interrupt();
            try {
                permit.close();
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is kept");
            }
            ClusterSemaphore.Permit theirs = other.semaphore("s", 1).tryAcquire(Duration.ofSeconds(10));
            assertTrue(theirs != null, "the permit was returned");
            theirs.close();
            ClusterSemaphore.Permit cut = c.semaphore("s", 1).acquire();
            proxy.refuse(true);
            proxy.cutAll();
            Object out = outcome(cut::close);
            log("a held permit closed without a connection -> " + out);
            assertEquals("ok", out, "the permit was held: its session lives on");
            proxy.refuse(false);
            ClusterSemaphore.Permit after = other.semaphore("s", 1).tryAcquire(Duration.ofSeconds(30));
            assertTrue(after != null, "returned once the ensemble answered again");
            after.close();
        }
    }

    /** Was a bug: A Held closed twice: the second close releases a later acquisition by another thread of the JVM. */
    @Test
    void shouldNotReleaseALaterHoldingByClosingASpentHeld() throws Exception {
        String root = root();
        try (Cluster c = Cluster.connect(direct(root)); Cluster other = Cluster.connect(direct(root))) {
            ClusterLock lock = c.lock("l");
            ClusterLock.Held held = lock.hold();
            held.close();
            CountDownLatch taken = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<Object> heldAfter = new AtomicReference<>();
            Thread t2 = Thread.ofPlatform().start(() -> {
                lock.lock();
                taken.countDown();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    return;
                }
                heldAfter.set(lock.isHeldByCurrentThread());
            });
            taken.await();
            Object second;
            try {
                held.close(); // the first holding's token, closed again
                second = "ok";
            } catch (RuntimeException e) {
                second = e;
            }
            boolean theirs = other.lock("l").tryLock(3, TimeUnit.SECONDS);
            done.countDown();
            t2.join();
            log("second close of a spent Held -> " + second + "; t2 (which took the lock after) still holds: "
                    + heldAfter.get() + "; another client took it: " + theirs);
            assertFalse(theirs, "t2's holding was released by a stale Held");
        }
    }
}
