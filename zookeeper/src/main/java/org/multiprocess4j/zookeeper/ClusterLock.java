package org.multiprocess4j.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
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
 * next holder is told: {@link #previousOwnerDied()} and {@link Held#previousOwnerDied()} are true until it
 * releases. Each acquisition gets a {@linkplain #fencingToken() fencing token}, larger than every earlier
 * holder's, and every write the holding thread makes through its {@link Cluster} is refused once the lock is lost
 * ({@link ClusterLostException.State#LOCK_LOST}). Releasing a lost lock throws that exception too, so a holder
 * learns its work may have been overlapped.
 *
 * <p>Not provided: conditions ({@link #newCondition()} throws). A non-re-entrant lock may be released by any
 * thread of the JVM that holds it (as Python's {@code Lock}); asking for it again from its holding thread throws
 * rather than deadlocking. Costs per uncontended acquire and release: three writes and one read.
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
     * The parent's data records holders, and its version says whether the last holder released. Becoming the
     * lowest child, an acquirer writes "H:<its child>" to the parent, conditioned on the version it saw and on its
     * child existing (one multi-operation); a clean release deletes the child and writes "F" in one
     * multi-operation. The version is kept odd while the lock is held and even once released: an acquirer that
     * finds it even writes once; one that finds it odd knows the last holder's session ended holding the lock
     * (the "previous owner died" report) and writes "F" then "H" in its multi-operation, leaving it odd again. The
     * version comes with the acquirer's listing of the children, so the report costs no read. A waiter that
     * becomes lowest and dies before its "H" write never held the lock and is rightly not reported. The zxid of
     * the "H" write is the fencing token: zxids grow with every write to the ensemble.
     *
     * A try cut by connection loss is retried, and may already have been applied: an acquirer that then finds an
     * odd version reads the record, and finds its own; a release whose delete finds no node while the session is
     * unchanged was applied by the earlier try (a session that ended marks the holding lost).
     */

    private static final byte[] FREE = "F".getBytes(StandardCharsets.US_ASCII);

    private final Cluster cluster;
    private final String dir;
    private final String name;
    private final boolean reentrant;
    private final Held held = new Held(this);
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

    /** Acquires the lock if no other acquisition is ahead now. */
    @Override
    public boolean tryLock() {
        try {
            return acquire(0, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Acquires the lock, waiting at most {@code time}; false when it timed out. */
    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
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
        return held;
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
        Holding h = holding;
        if (h == null || reentrant && h.thread != Thread.currentThread()) {
            throw new IllegalMonitorStateException("ClusterLock '" + name + "' is not held by "
                    + (reentrant ? "this thread" : "this JVM"));
        }
        if (reentrant && --h.count > 0) {
            return;
        }
        holding = null;
        cluster.released(h);
        CuratorFramework client = cluster.client();
        try {
            cluster.call("release lock '" + name + "'", () -> client.transaction().forOperations(
                    client.transactionOp().delete().forPath(h.node),
                    client.transactionOp().setData().forPath(dir, FREE)));
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof KeeperException.NoNodeException && !h.isLost()
                    && cluster.call("release lock '" + name + "'", this::sessionId) == h.session) {
                return; // the session never ended, so the node was deleted by an earlier try of this release
            }
            if (e.getCause() instanceof KeeperException.NoNodeException || h.isLost()) {
                throw new ClusterLostException(cluster.config().connectString(), ClusterLostException.State.LOCK_LOST,
                        "lock '" + name + "' (fencing token " + h.token + ") was lost while held", e);
            }
            throw e;
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
        if (h == null) {
            throw new IllegalMonitorStateException("ClusterLock '" + name + "' is not held by this JVM");
        }
        return h.token;
    }

    /** Whether the current thread holds this lock (and it has not been lost). */
    @Override
    public boolean isHeldByCurrentThread() {
        Holding h = holding;
        return h != null && h.thread == Thread.currentThread() && !h.isLost();
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
        Holding current = holding;
        if (current != null && current.thread == Thread.currentThread() && !current.isLost()) {
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
        String node = cluster.call(what, () -> client.create().creatingParentsIfNeeded().withProtection()
                .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/lock-"));
        boolean done = false;
        boolean[] diedSeen = {false};
        try {
            while (true) {
                Stat parent = new Stat();
                List<String> children = cluster.call(what,
                        () -> client.getChildren().storingStatIn(parent).forPath(dir));
                children.sort(Comparator.comparing(ClusterLock::sequence));
                String mine = node.substring(node.lastIndexOf('/') + 1);
                int index = children.indexOf(mine);
                if (index < 0) { // the session ended while waiting: queue again
                    String again = cluster.call(what, () -> client.create().creatingParentsIfNeeded()
                            .withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/lock-"));
                    node = again;
                    continue;
                }
                if (index == 0) {
                    String held = node;
                    Holding h = cluster.call(what, () -> taken(held, mine, parent, diedSeen));
                    if (h != null) {
                        done = true;
                        holding = h;
                        cluster.held(h);
                        return true;
                    }
                    continue; // the parent changed meanwhile: look again
                }
                long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                CountDownLatch gone = new CountDownLatch(1);
                String ahead = dir + "/" + children.get(index - 1);
                boolean watching = cluster.call(what, () -> {
                    try {
                        client.getData().usingWatcher((org.apache.zookeeper.Watcher) e -> gone.countDown())
                                .forPath(ahead);
                        return true;
                    } catch (KeeperException.NoNodeException e) {
                        return false;
                    }
                });
                if (watching && !await(gone, left, interruptible)) {
                    return false;
                }
            }
        } finally {
            if (!done) {
                String abandoned = node;
                try {
                    client.delete().guaranteed().forPath(abandoned);
                } catch (Exception e) {
                    // the session's end deletes it
                }
            }
        }
    }

    /**
     * Records this acquisition as the holder; null when the parent changed since it was read, or the record's
     * outcome is unknown (then the caller looks again, and finds its own record).
     */
    private Holding taken(String node, String mine, Stat parent, boolean[] diedSeen) throws Exception {
        CuratorFramework client = cluster.client();
        byte[] record = ("H:" + mine).getBytes(StandardCharsets.US_ASCII);
        int version = parent.getVersion();
        boolean ownerDied = (version & 1) == 1;
        if (ownerDied) {
            Stat now = new Stat();
            byte[] data = client.getData().storingStatIn(now).forPath(dir);
            if (now.getVersion() != version) {
                return null;
            }
            if (java.util.Arrays.equals(data, record)) { // an earlier try of this acquisition was applied
                return new Holding(this, node, now.getMzxid(), diedSeen[0], Thread.currentThread(), sessionId());
            }
        }
        diedSeen[0] = ownerDied;
        long session = sessionId();
        try {
            List<CuratorTransactionResult> results = ownerDied
                    ? client.transaction().forOperations( // "F" then "H": the version stays odd while held
                            client.transactionOp().check().forPath(node),
                            client.transactionOp().setData().withVersion(version).forPath(dir, FREE),
                            client.transactionOp().setData().withVersion(version + 1).forPath(dir, record))
                    : client.transaction().forOperations(
                            client.transactionOp().check().forPath(node),
                            client.transactionOp().setData().withVersion(version).forPath(dir, record));
            long token = results.get(results.size() - 1).getResultStat().getMzxid();
            return new Holding(this, node, token, ownerDied, Thread.currentThread(), session);
        } catch (KeeperException e) {
            if (e.code() == KeeperException.Code.BADVERSION || e.code() == KeeperException.Code.NONODE) {
                return null;
            }
            throw e;
        }
    }

    private long sessionId() throws Exception {
        return cluster.client().getZookeeperClient().getZooKeeper().getSessionId();
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
        private final Thread thread;
        private final long session;
        private volatile boolean lost;
        private volatile boolean released;
        private int count = 1;

        Holding(ClusterLock lock, String node, long token, boolean previousOwnerDied, Thread thread, long session) {
            this.session = session;
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

        void markReleased() {
            released = true;
        }
    }

    /** A held lock, released by {@link #close()}: {@code try (var held = lock.hold()) { ... }}. */
    public static final class Held implements RobustLock.Hold {
        private final ClusterLock lock;

        private Held(ClusterLock lock) {
            this.lock = lock;
        }

        /** The lock held. */
        public ClusterLock lock() {
            return lock;
        }

        /** Whether the previous holder's session ended while it held the lock. */
        @Override
        public boolean previousOwnerDied() {
            return lock.previousOwnerDied();
        }

        /** The fencing token of this holding. */
        public long fencingToken() {
            return lock.fencingToken();
        }

        /** Releases the lock. */
        @Override
        public void close() {
            lock.unlock();
        }
    }
}
