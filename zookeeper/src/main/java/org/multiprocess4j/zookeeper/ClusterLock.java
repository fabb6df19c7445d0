package org.multiprocess4j.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.multiprocess4j.coordination.RobustLock;

/**
 * A lock named in a ZooKeeper ensemble that excludes threads of every JVM on every host that uses it: the
 * cluster form of {@code ProcessLock} (non-re-entrant, from {@link Cluster#lock}) and {@code ProcessRLock}
 * (re-entrant, from {@link Cluster#rlock}).
 *
 * <p>Guarantees: mutual exclusion while sessions live; waiters are served in arrival order (each watches only the
 * waiter ahead of it, so a release wakes one client). When a holder's session ends without a release — its
 * process killed, its host gone, or paused longer than the session timeout — ZooKeeper deletes its node and the
 * lock passes on. The next holder is told ({@link #previousOwnerDied()}, {@link Held#previousOwnerDied()}, true
 * until it releases) when the dead holder had <em>recorded</em> its holding: its first write through the
 * {@link Cluster} while holding records it, in the same multi-operation, so a holder that dies after changing
 * anything under the lock is always reported, at no extra round trip. A lock that guards state outside
 * ZooKeeper calls {@link #recordHolding()} after acquiring (one write). Each acquisition gets a
 * {@linkplain #fencingToken() fencing token}, larger than every earlier holder's, and every write the holding
 * thread makes through its {@link Cluster} is refused once the lock is lost
 * ({@link ClusterLostException.State#LOCK_LOST}). Releasing a lost lock throws that exception too, so a holder
 * learns its work may have been overlapped.
 *
 * <p>Not provided: conditions ({@link #newCondition()} throws). A non-re-entrant lock may be released by any
 * thread of the JVM that holds it (as Python's {@code Lock}); asking for it again from its holding thread throws
 * rather than deadlocking. Costs, as Curator's {@code InterProcessMutex}: an uncontended acquire is a create and a
 * listing, a release one write.
 *
 * {@snippet :
 * ClusterLock lock = cluster.lock("ledger");
 * try (var held = lock.hold()) {
 *     if (held.previousOwnerDied()) {
 *         repair();
 *     }
 *     balance.getAndAdd(100);      // fenced: refused if the lock was lost meanwhile
 * }
 * }
 */
public final class ClusterLock implements RobustLock {
    /*
     * Implementation overview.
     *
     * The lock is the persistent node <root>/locks/<name> (or rlocks/) whose children are ephemeral sequential
     * nodes, one per waiting or holding acquisition: the child with the lowest sequence holds the lock. A waiter
     * watches the child just ahead of it and looks again when that one is deleted.
     *
     * The parent's data records holdings, and its version's parity says whether the last recorded holder
     * released: odd while a recorded holding lasts, even once released. A holding is recorded lazily, by the
     * holder's first write through the Cluster (or recordHolding()): that write's multi-operation also checks the
     * holder's node, and writes "H:<its child>" to the parent at the version seen when the lock was taken — after
     * an "F" at that version when it was odd, so the version ends odd either way. A release deletes the child and,
     * when the holding was recorded or the last holder had died, writes "F" in the same multi-operation, leaving
     * the version even. So an acquirer that finds the version odd knows the last recorded holder's session ended
     * holding the lock: the "previous owner died" report, read from the version that the acquirer's listing of
     * the children already returns. No write on the way in: the lock costs what Curator's does. The fencing token
     * is the holder's sequence number: holders hold in sequence order.
     *
     * A try cut by connection loss is retried, and may already have been applied: a write's marker tells (see
     * Cluster.versionedWrite), and so does a release's (a release whose delete finds no node reads its marker: its
     * own number means an earlier try deleted it; anything else, that the lock was lost).
     */

    private static final byte[] FREE = "F".getBytes(StandardCharsets.US_ASCII);

    private final Cluster cluster;
    private final String dir;
    private final String name;
    private final boolean reentrant;
    /** This JVM's holding of the lock, if it holds it; only the holding thread writes it. */
    private volatile Holding holding;

    ClusterLock(Cluster cluster, String dir, String name, boolean reentrant) {
        this.cluster = cluster;
        this.dir = dir;
        this.name = name;
        this.reentrant = reentrant;
    }

    /** The lock's name. */
    public String name() {
        return name;
    }

    /** Whether the thread holding the lock may acquire it again. */
    public boolean isReentrant() {
        return reentrant;
    }

    /**
     * Acquires the lock, waiting as long as it takes.
     *
     * @throws ClusterLostException when the ensemble cannot be reached within the operation bound
     */
    @Override
    public void lock() {
        try {
            acquire(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Acquires the lock unless the thread is interrupted while waiting. */
    @Override
    public void lockInterruptibly() throws InterruptedException {
        acquire(Long.MAX_VALUE, true);
    }

    /** Acquires the lock if no other acquisition is ahead now; false too while the ensemble cannot be reached. */
    @Override
    public boolean tryLock() {
        try {
            return acquire(0, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Acquires the lock, waiting at most {@code time}; false when it timed out. While the ensemble cannot be
     * reached, it waits for the connection until {@code time} has passed and then returns false, as for a lock
     * held by another (a place it had taken in the queue is deleted once the connection is back, or with the
     * session): {@code lock()} would throw {@link ClusterLostException} after the operation bound instead. Only a
     * connection lost during one of its calls holds it up to the operation bound ({@link ClusterConfig}).
     */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        return acquire(Math.max(0, unit.toNanos(time)), true);
    }

    /**
     * Acquires the lock and returns a token that releases it when closed.
     *
     * @throws ClusterLostException when the ensemble cannot be reached within the operation bound
     */
    @Override
    public Held hold() {
        lock();
        return new Held(this, holding);
    }

    /**
     * Releases the lock.
     *
     * @throws IllegalMonitorStateException when this JVM does not hold it (for a re-entrant lock: this thread)
     * @throws ClusterLostException (LOCK_LOST) when the lock had been lost while held: another client may have
     *                              held it meanwhile
     */
    @Override
    public void unlock() {
        unlock(holding);
    }

    /** Releases holding {@code h} (one level of it, when re-entrant), if it is this JVM's holding now. */
    private void unlock(Holding h) {
        synchronized (this) { // two threads releasing a non-re-entrant lock at once: one releases, one is refused
            if (h == null || holding != h || reentrant && h.thread != Thread.currentThread()) {
                throw new IllegalMonitorStateException("ClusterLock '" + name + "' is not held by "
                        + (reentrant ? "this thread" : "this JVM") + (h != null && holding != h
                        ? " (that holding was released already)" : ""));
            }
            if (reentrant && --h.count > 0) {
                return;
            }
            holding = null;
        }
        cluster.released(h);
        String what = "release lock '" + name + "'";
        try {
            while (!cluster.call(what, () -> release(h, what))) {
                // the marker went with an ended session: nothing was applied; release again
            }
        } catch (ClusterLostException e) {
            if (e.state() == ClusterLostException.State.CONNECTION_LOST
                    || e.state() == ClusterLostException.State.QUORUM_LOST) {
                deleteWhenReachable(h.node);
                throw new ClusterLostException(e.ensemble(), e.state(), what + " could not be confirmed: its node"
                        + " will be deleted once the ensemble answers (the next holder may then be told that the"
                        + " previous owner died)", e);
            }
            throw e;
        }
    }

    /**
     * Deletes the holding's node, leaving the lock's version even: with an "F" conditioned on the version the
     * record left (odd), or when the holding followed a death on the one seen at acquisition (odd); otherwise
     * checked against the version seen at acquisition (even). When the version moved meanwhile (a record written
     * by the holding thread, a release from another thread racing its first write; or another client's write
     * to the lock node), the release is redone at the version found: an "F" when it is odd, a check when even. Each try also sets a marker, which tells a retry that finds the node gone whether an earlier try
     * deleted it (released) or something else did (the lock was lost).
     *
     * @return false when nothing was applied because the marker was gone
     */
    private boolean release(Holding h, String what) throws Exception {
        CuratorFramework client = cluster.client();
        Cluster.Marker marker = cluster.takeMarker(what);
        byte[] id = cluster.newWriteId();
        // The version the release expects, and whether it is odd (an "F" at it leaves it even) or even (checked).
        int expected = h.recorded ? h.recordedVersion : h.parentVersion;
        while (true) {
            try {
                client.transaction().forOperations(client.transactionOp().delete().forPath(h.node),
                        (expected & 1) == 0 ? client.transactionOp().check().withVersion(expected).forPath(dir)
                                : client.transactionOp().setData().withVersion(expected).forPath(dir, FREE),
                        client.transactionOp().setData().forPath(marker.path(), id));
                cluster.giveBack(marker);
                return true;
            } catch (KeeperException e) {
                int failed = Cluster.failedIndex(e);
                if (failed == 1 && e.code() == KeeperException.Code.BADVERSION) {
                    // Recorded meanwhile by the holding thread (odd), or changed by another client: release at the
                    // version it has, so that it ends even either way and the next holder hears of no death.
                    Stat now = client.checkExists().forPath(dir);
                    if (now != null && now.getVersion() == expected) { // read from a member behind the write that
                        Nodes.sync(cluster, dir);                       // moved it (another client's): catch up
                        now = client.checkExists().forPath(dir);
                    }
                    if (now == null) {
                        throw e;
                    }
                    expected = now.getVersion();
                    continue;
                }
                if (failed == 2 && e.code() == KeeperException.Code.NONODE) {
                    return false;
                }
                if (failed == 0 && e.code() == KeeperException.Code.NONODE) {
                    byte[] seen = cluster.readMarker(what, marker);
                    if (seen != null && java.util.Arrays.equals(seen, id)) {
                        cluster.giveBack(marker);
                        return true; // deleted by an earlier try of this release, cut by connection loss
                    }
                    h.markLost();
                    throw new ClusterLostException(cluster.config().connectString(),
                            ClusterLostException.State.LOCK_LOST, "lock '" + name + "' (fencing token " + h.token
                            + ") was lost while held", e);
                }
                throw e;
            }
        }
    }


    private void deleteWhenReachable(String node) {
        try {
            cluster.client().delete().guaranteed().inBackground().forPath(node);
        } catch (Exception e) {
            // the session's end deletes it
        }
    }

    /** Whether the current holder took the lock from a holder whose session ended while holding it. */
    @Override
    public boolean previousOwnerDied() {
        Holding h = holding;
        return h != null && h.previousOwnerDied;
    }

    /**
     * The fencing token of the current holding: larger than that of every earlier holding of this lock.
     *
     * @throws IllegalMonitorStateException when this JVM does not hold the lock
     */
    public long fencingToken() {
        Holding h = holding;
        if (h == null || cluster.isClosed()) {
            throw new IllegalMonitorStateException("ClusterLock '" + name + "' is not held by this JVM"
                    + (h == null ? "" : ": its Cluster connection is closed, and with it the session that held it"));
        }
        return h.token;
    }

    /**
     * Records the current holding in the ensemble now (one write), so that if this holder dies before its first
     * write, the next holder is still told: for a lock that guards state outside ZooKeeper. A holding is
     * otherwise recorded by its first write through the {@link Cluster}, in the same multi-operation.
     *
     * @throws IllegalMonitorStateException when the current thread does not hold the lock
     * @throws ClusterLostException (LOCK_LOST) when the lock was lost
     */
    public void recordHolding() {
        Holding h = holding;
        if (h == null || h.thread != Thread.currentThread()) {
            throw new IllegalMonitorStateException("ClusterLock '" + name + "' is not held by this thread");
        }
        if (!h.recorded) {
            try {
                cluster.write("record holding of lock '" + name + "'");
            } catch (Cluster.OpFailed e) {
                throw new AssertionError("a record has no operations of its own", e); // write was given none
            }
        }
    }

    /** Whether the current thread holds this lock (and it has not been lost). */
    @Override
    public boolean isHeldByCurrentThread() {
        Holding h = holding;
        return h != null && h.thread == Thread.currentThread() && !h.isLost() && !cluster.isClosed();
    }

    /** Conditions are not provided by cluster locks. */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("ClusterLock has no conditions");
    }

    @Override
    public String toString() {
        return "ClusterLock[" + name + (reentrant ? ", re-entrant" : "") + "]";
    }

    private boolean acquire(long nanos, boolean interruptible) throws InterruptedException {
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException("interrupted before acquiring ClusterLock '" + name + "'");
        }
        cluster.checkOpen(); // a closed connection refuses, rather than answer false as for a lock held elsewhere
        Holding current = holding;
        if (current != null && current.isLost()) {
            if (current.thread != Thread.currentThread()) {
                synchronized (this) { // its holder's writes stay refused: it is still in that thread's fences
                    if (holding == current) {
                        holding = null;
                    }
                }
            } else if (reentrant) {
                throw new ClusterLostException(cluster.config().connectString(), ClusterLostException.State.LOCK_LOST,
                        "ClusterLock '" + name + "' was lost while this thread held it (fencing token "
                                + current.token + "): release the holds it took first", null);
            } else { // taken again by the thread that lost it: the old holding fences nothing more
                cluster.released(current);
                holding = null;
            }
            current = holding;
        }
        if (current != null && current.thread == Thread.currentThread()) {
            if (reentrant) {
                current.count++;
                return true;
            }
            throw new IllegalStateException("ClusterLock '" + name + "' is not re-entrant and this thread holds it:"
                    + " use Cluster.rlock for a re-entrant lock");
        }
        long deadline = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + nanos;
        String what = "acquire lock '" + name + "'";
        CuratorFramework client = cluster.client();
        if (!reachableBy(client, deadline)) {
            return false;
        }
        String node = cluster.call(what, () -> client.create().creatingParentsIfNeeded().withProtection()
                .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/lock-"));
        boolean done = false;
        try {
            while (true) {
                if (!reachableBy(client, deadline)) {
                    return false;
                }
                Stat parent = new Stat();
                List<String> children = cluster.call(what,
                        () -> client.getChildren().storingStatIn(parent).forPath(dir));
                children.removeIf(child -> !child.matches(".*lock-\\d{10}")); // only acquisitions take part
                children.sort(Comparator.comparing(ClusterLock::sequence));
                String mine = node.substring(node.lastIndexOf('/') + 1);
                int index = children.indexOf(mine);
                if (index < 0) { // the session ended while waiting: queue again
                    String again = cluster.call(what, () -> client.create().creatingParentsIfNeeded()
                            .withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/lock-"));
                    node = again;
                    continue;
                }
                if (index == 0) { // an odd version: the last holder recorded its holding and never released
                    Holding h = new Holding(this, node, Long.parseLong(sequence(mine)),
                            (parent.getVersion() & 1) == 1, parent.getVersion(), Thread.currentThread());
                    done = true;
                    cluster.held(h); // fenced before another thread can see it and release it
                    holding = h;
                    return true;
                }
                long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                CountDownLatch gone = new CountDownLatch(1);
                String ahead = dir + "/" + children.get(index - 1);
                // A timed wait sleeps through a lost connection and its return (the watch is set again when it is
                // back; its deadline ends it otherwise): woken at once, its next call would wait out the operation
                // bound. Anything else (the session expired, the client closed) wakes it.
                boolean timed = deadline != Long.MAX_VALUE;
                Watcher watcher = e -> {
                    Watcher.Event.KeeperState state = e.getState();
                    if (!timed || e.getType() != Watcher.Event.EventType.None
                            || state != Watcher.Event.KeeperState.Disconnected
                            && state != Watcher.Event.KeeperState.SyncConnected
                            && state != Watcher.Event.KeeperState.ConnectedReadOnly) {
                        gone.countDown();
                    }
                };
                boolean watching = cluster.call(what, () -> {
                    try {
                        client.getData().usingWatcher(watcher).forPath(ahead);
                        return true;
                    } catch (KeeperException.NoNodeException e) {
                        return false;
                    }
                });
                if (watching && !await(gone, left, interruptible)) {
                    try { // a waiter that gives up leaves no watcher behind on the node ahead
                        client.watchers().remove(watcher).locally().forPath(ahead);
                    } catch (Exception e) {
                        // already triggered or gone
                    }
                    return false;
                }
            }
        } finally {
            if (!done) {
                String abandoned = node;
                try {
                    if (client.getZookeeperClient().isConnected()) {
                        cluster.call(what, () -> client.delete().guaranteed().forPath(abandoned));
                    } else { // not to wait out the operation bound: Curator retries it until the connection is back
                        cluster.call(what, () -> client.delete().guaranteed().inBackground().forPath(abandoned));
                    }
                } catch (RuntimeException e) {
                    // the guaranteed delete goes on in the background; the session's end deletes it anyway
                }
            }
        }
    }

    /**
     * Whether the ensemble can be reached, waiting for the connection until {@code deadline} at most: a timed
     * acquisition gives up at its deadline, as for a busy lock, rather than wait out the operation bound in calls
     * that cannot succeed. An acquisition without a deadline goes on (its calls then end it with
     * {@link ClusterLostException}).
     */
    private static boolean reachableBy(CuratorFramework client, long deadline) throws InterruptedException {
        if (deadline == Long.MAX_VALUE || client.getZookeeperClient().isConnected()) {
            return true;
        }
        long left = deadline - System.nanoTime();
        // Only a timed tryLock, which is interruptible, has time left here: tryLock() has none.
        return left > 0 && client.blockUntilConnected((int) Math.max(1, Math.min(Integer.MAX_VALUE,
                TimeUnit.NANOSECONDS.toMillis(left))), TimeUnit.MILLISECONDS);
    }

    private static boolean await(CountDownLatch latch, long nanos, boolean interruptible)
            throws InterruptedException {
        if (interruptible) {
            return nanos == Long.MAX_VALUE ? awaitForever(latch) : latch.await(nanos, TimeUnit.NANOSECONDS);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return nanos == Long.MAX_VALUE ? awaitForever(latch) : latch.await(nanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean awaitForever(CountDownLatch latch) throws InterruptedException {
        latch.await();
        return true;
    }

    private static String sequence(String child) {
        return child.length() >= 10 ? child.substring(child.length() - 10) : child;
    }

    /** One acquisition of the lock, held now. */
    static final class Holding {
        private final ClusterLock lock;
        private final String node;
        private final long token;
        private final boolean previousOwnerDied;
        private volatile int parentVersion;
        private final Thread thread;
        /** Whether the holding's record has been written to the lock's node (see the overview). */
        private volatile boolean recorded;
        /** The lock node's version once the record is written (odd), which the release's "F" is conditioned on. */
        private volatile int recordedVersion;
        private volatile boolean lost;
        private volatile boolean released;
        private int count = 1;

        Holding(ClusterLock lock, String node, long token, boolean previousOwnerDied, int parentVersion,
                Thread thread) {
            this.parentVersion = parentVersion;
            this.lock = lock;
            this.node = node;
            this.token = token;
            this.previousOwnerDied = previousOwnerDied;
            this.thread = thread;
        }

        String node() {
            return node;
        }

        long token() {
            return token;
        }

        String lockName() {
            return lock.name;
        }

        boolean isLost() {
            return lost;
        }

        void markLost() {
            lost = true;
        }

        boolean isReleased() {
            return released;
        }

        boolean isRecorded() {
            return recorded;
        }

        void markRecorded() {
            recordedVersion = (parentVersion & 1) == 1 ? parentVersion + 2 : parentVersion + 1; // see recordOps
            recorded = true;
        }

        /**
         * The lock node's version when this holding's node is still the first acquisition, else null: for a
         * record refused because another client changed the lock node.
         */
        Integer versionIfStillFirst(CuratorFramework client) throws Exception {
            Stat stat = new Stat();
            List<String> children = client.getChildren().storingStatIn(stat).forPath(lock.dir);
            children.removeIf(child -> !child.matches(".*lock-\\d{10}"));
            children.sort(Comparator.comparing(ClusterLock::sequence));
            return !children.isEmpty() && node.endsWith("/" + children.getFirst()) ? stat.getVersion() : null;
        }

        /** Records this holding at {@code version} from now on (after another client changed the lock node). */
        void recordAt(int version) {
            parentVersion = version;
        }

        /** Whether the lock's node holds this holding's record (written by a try cut by connection loss). */
        boolean recordStands(CuratorFramework client) throws Exception {
            return java.util.Arrays.equals(client.getData().forPath(lock.dir), record());
        }

        private byte[] record() {
            return ("H:" + node.substring(node.lastIndexOf('/') + 1)).getBytes(StandardCharsets.US_ASCII);
        }

        /**
         * The operations that record this holding, to go in the holder's next write: "H:<node>" at the version
         * seen at acquisition, after an "F" when the last holder died holding, so the version ends odd.
         */
        List<CuratorOp> recordOps(CuratorFramework client) throws Exception {
            String dir = lock.dir;
            byte[] record = record();
            int parentVersion = this.parentVersion;
            return (parentVersion & 1) == 1
                    ? List.of(client.transactionOp().setData().withVersion(parentVersion).forPath(dir, FREE),
                            client.transactionOp().setData().withVersion(parentVersion + 1).forPath(dir, record))
                    : List.of(client.transactionOp().setData().withVersion(parentVersion).forPath(dir, record));
        }

        void markReleased() {
            released = true;
        }
    }

    /**
     * One acquisition of the lock, released by {@link #close()}: {@code try (var held = lock.hold()) { ... }}.
     * Closing it again does nothing; it never releases a later acquisition.
     */
    public static final class Held implements RobustLock.Hold {
        private final ClusterLock lock;
        private final Holding holding;
        private boolean closed;

        private Held(ClusterLock lock, Holding holding) {
            this.lock = lock;
            this.holding = holding;
        }

        /** The lock held. */
        public ClusterLock lock() {
            return lock;
        }

        /** Whether the previous holder's session ended while it held the lock. */
        @Override
        public boolean previousOwnerDied() {
            return holding.previousOwnerDied;
        }

        /** The fencing token of this acquisition. */
        public long fencingToken() {
            return holding.token;
        }

        /** Releases this acquisition; a second call does nothing. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            try {
                lock.unlock(holding);
            } catch (IllegalMonitorStateException notTheHolder) {
                throw notTheHolder; // another thread's call: the holder's own close still releases it
            } catch (RuntimeException e) {
                closed = true; // lost, say: released all the same, and a second call does nothing
                throw e;
            }
            closed = true;
        }
    }
}
