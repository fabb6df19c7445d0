package org.multiprocess4j.zookeeper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryUntilElapsed;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.StructType;

/**
 * A connection to a ZooKeeper ensemble, and the named objects under its root path: {@link ClusterLock}s,
 * typed {@link ClusterValue}s and {@link ClusterCounter}s, the cluster forms of the library's shared-memory
 * locks and values, usable from any JVM on any host that reaches the ensemble.
 *
 * <p>An object is created on first use and attached by name afterwards, by this or any other client: two
 * clients that ask for {@code lock("jobs")} get the same lock. Names are 1 to 200 letters, digits, '_', '.' or
 * '-'. Objects persist in the ensemble until deleted there (their nodes are small).
 *
 * <p>Failures are never silent: an operation the ensemble could not perform within the configured
 * {@linkplain ClusterConfig#operationBound() bound} throws {@link ClusterLostException} saying whether the
 * members could not be reached or answered without a quorum; once the quorum is back, operations succeed again.
 * Every write a thread makes while it holds cluster locks of this connection is <em>fenced</em>: it is one
 * ZooKeeper multi-operation that also checks that each of those locks is still held, so a holder paused past its
 * session's expiry cannot overwrite its successor's work.
 *
 * {@snippet :
 * try (Cluster cluster = Cluster.connect(ClusterConfig.builder("zk1:2181,zk2:2181,zk3:2181").build())) {
 *     ClusterLock lock = cluster.lock("jobs");
 *     ClusterValue done = cluster.value("jobs-done", CType.c_long);
 *     try (var held = lock.hold()) {
 *         if (held.previousOwnerDied()) {
 *             repair();                    // a holder's session ended inside this block
 *         }
 *         done.set(done.get() + 1);         // refused if this lock was lost meanwhile
 *     }
 * }
 * }
 */
public final class Cluster implements AutoCloseable {
    private static final String NAME_RULE = "1 to 200 letters, digits, '_', '.' or '-', not '.' or '..'";

    /** {@link #versionedWrite}'s result for a write applied at an unknown version. */
    static final int APPLIED = -1;
    /** {@link #versionedWrite}'s result for a write not made because the version had changed. */
    static final int STALE = -2;

    private final ClusterConfig config;
    private final CuratorFramework client;
    private final String markerPrefix = "/clients/" + UUID.randomUUID() + "-";
    private final AtomicLong markerCount = new AtomicLong();
    private final java.util.Queue<Marker> freeMarkers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicLong writeIds = new AtomicLong();
    /** One lock object per lock of this connection: a thread's holding is known whichever call returned it. */
    private final Map<String, ClusterLock> locks = new ConcurrentHashMap<>();
    /** The locks this connection holds now, so that a lost session can mark them lost. */
    private final Set<ClusterLock.Holding> holdings = ConcurrentHashMap.newKeySet();
    /** The holdings of each thread, checked by its writes. */
    private final ThreadLocal<List<ClusterLock.Holding>> threadHoldings = ThreadLocal.withInitial(ArrayList::new);

    private Cluster(ClusterConfig config, CuratorFramework client) {
        this.config = config;
        this.client = client;
    }

    /**
     * Connects to the ensemble the configuration names, waiting at most its connection timeout.
     *
     * @throws ClusterLostException when no session could be established in that time
     */
    public static Cluster connect(ClusterConfig config) {
        Objects.requireNonNull(config, "config");
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(config.connectString())
                .namespace(config.root().substring(1))
                .sessionTimeoutMs((int) config.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) config.connectionTimeout().toMillis())
                .retryPolicy(new RetryUntilElapsed((int) config.operationBound().toMillis(),
                        (int) config.retryInterval().toMillis()));
        if (config.authScheme() != null) {
            if (config.authScheme().equals("digest")) {
                builder.authorization("digest", config.authCredentials());
            }
            builder.aclProvider(new CreatorOnly(config.root()));
        }
        CuratorFramework client = builder.build();
        Cluster cluster = new Cluster(config, client);
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.LOST) {
                cluster.holdings.forEach(ClusterLock.Holding::markLost);
            }
        });
        client.start();
        try {
            if (!client.blockUntilConnected((int) config.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                client.close();
                throw cluster.lost("cannot connect", null);
            }
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to " + config.connectString(), e);
        }
        return cluster;
    }

    /** The configuration this connection was made with. */
    public ClusterConfig config() {
        return config;
    }

    /**
     * The non-re-entrant lock named {@code name}: {@code multiprocessing.Lock} across hosts. Every call with the
     * same name returns the same object.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule
     * @throws IllegalStateException when this connection is closed
     */
    public ClusterLock lock(String name) {
        checkOpen();
        return locks.computeIfAbsent("/locks/" + checkedName(name), dir -> new ClusterLock(this, dir, name, false));
    }

    /**
     * The re-entrant lock named {@code name}: {@code multiprocessing.RLock} across hosts. Every call with the same
     * name returns the same object.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule
     * @throws IllegalStateException when this connection is closed
     */
    public ClusterLock rlock(String name) {
        checkOpen();
        return locks.computeIfAbsent("/rlocks/" + checkedName(name), dir -> new ClusterLock(this, dir, name, true));
    }

    /**
     * The value named {@code name} of the numeric C type {@code type}, created holding zero on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule, the type is not numeric, or the
     *                                  value exists with another type
     */
    public ClusterValue value(String name, CType<?, ?> type) {
        return ClusterValue.open(this, "/values/" + checkedName(name), name, type, null);
    }

    /**
     * The synchronized value named {@code name}: the value with the re-entrant lock of the same name (the
     * {@code Value} model), whose {@code get}/{@code set} take that lock and whose compound updates hold it.
     *
     * @throws IllegalArgumentException as {@link #value}
     */
    public ClusterValue synchronizedValue(String name, CType<?, ?> type) {
        return ClusterValue.open(this, "/values/" + checkedName(name), name, type, rlock(name));
    }

    /**
     * The array named {@code name} of {@code length} elements of the numeric C type {@code type}, created holding
     * zeros on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule, the type is not numeric, the array
     *                                  would exceed {@value ClusterData#MAX_BYTES} bytes, or it exists with
     *                                  another type or length
     */
    public ClusterArray array(String name, CType<?, ?> type, int length) {
        return ClusterArray.open(this, "/arrays/" + checkedName(name), name, type, length);
    }

    /**
     * The structure named {@code name} of type {@code type}, created holding zeros on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule, the structure would exceed
     *                                  {@value ClusterData#MAX_BYTES} bytes, or it exists with another layout
     */
    public ClusterStruct struct(String name, StructType<?> type) {
        return ClusterStruct.open(this, "/structs/" + checkedName(name), name, type);
    }

    /**
     * The semaphore named {@code name} with {@code permits} permits; a dead holder's permits return.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule, permits is below 1, or it exists
     *                                  with another number of permits
     */
    public ClusterSemaphore semaphore(String name, int permits) {
        return ClusterSemaphore.open(this, "/semaphores/" + checkedName(name), name, permits);
    }

    /**
     * The striped counter named {@code name} (the {@code LongAdder} model): increments spread over
     * {@code stripes} nodes, the sum read across them. For counts that many clients update often; a
     * {@link #value} is the fit when the count is read as often as it is written or must be compared and set.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule, stripes is outside 1..256, or the
     *                                  counter exists with another number of stripes
     */
    public ClusterCounter counter(String name, int stripes) {
        return ClusterCounter.open(this, "/counters/" + checkedName(name), name, stripes);
    }

    /** Closes the connection; the locks it holds are released by the session's end. */
    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "Cluster[" + config.connectString() + config.root() + "]";
    }

    CuratorFramework client() {
        return client;
    }

    /** Whether {@link #close()} was called. */
    boolean isClosed() {
        return client.getState() == CuratorFrameworkState.STOPPED;
    }

    /** @throws IllegalStateException when this connection is closed */
    void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("this Cluster connection to " + config.connectString() + " is closed");
        }
    }

    void held(ClusterLock.Holding holding) {
        holdings.add(holding);
        threadHoldings.get().add(holding);
    }

    void released(ClusterLock.Holding holding) {
        holding.markReleased(); // a holding released by another thread leaves its holder's list at its next write
        holdings.remove(holding);
        threadHoldings.get().remove(holding);
    }

    /**
     * Runs the write operations as one transaction, conditioned on every lock the calling thread holds still
     * being held.
     *
     * @return the results of {@code ops} (not of the checks)
     * @throws KeeperException of an operation of {@code ops} that failed (a bad version, say)
     * @throws ClusterLostException when a held lock was lost, or the ensemble could not be reached
     */
    @SafeVarargs
    final List<CuratorTransactionResult> write(String what, Operation<CuratorOp>... ops) throws OpFailed {
        List<ClusterLock.Holding> fences = threadHoldings.get();
        fences.removeIf(ClusterLock.Holding::isReleased);
        while (true) {
            for (ClusterLock.Holding h : fences) {
                if (h.isLost()) {
                    throw lockLost(what, h, null);
                }
            }
            List<CuratorOp> all = new ArrayList<>();
            List<ClusterLock.Holding> recording = new ArrayList<>();
            List<ClusterLock.Holding> recordOf = new ArrayList<>(); // the holding each record operation records
            int first = call(what, () -> {
                for (ClusterLock.Holding h : fences) {
                    all.add(client.transactionOp().check().forPath(h.node()));
                }
                for (ClusterLock.Holding h : fences) {
                    if (!h.isRecorded()) {
                        List<CuratorOp> record = h.recordOps(client);
                        all.addAll(record);
                        record.forEach(op -> recordOf.add(h));
                        recording.add(h);
                    }
                }
                int callers = all.size();
                for (Operation<CuratorOp> op : ops) {
                    all.add(op.run());
                }
                return callers;
            });
            try {
                List<CuratorTransactionResult> results = uninterruptibly(
                        () -> client.transaction().forOperations(all));
                recording.forEach(ClusterLock.Holding::markRecorded);
                return results.subList(first, results.size());
            } catch (KeeperException e) {
                int failed = failedIndex(e);
                if (failed >= 0 && failed < fences.size() && e.code() == KeeperException.Code.NONODE) {
                    fences.get(failed).markLost();
                    throw lockLost(what, fences.get(failed), e);
                }
                if (failed >= fences.size() && failed < first) { // a record failed: it stands already, or the lock
                    ClusterLock.Holding h = recordOf.get(failed - fences.size()); // changed under its holder
                    if (e.code() == KeeperException.Code.BADVERSION && call(what, () -> h.recordStands(client))) {
                        h.markRecorded(); // by an earlier write cut by connection loss: write again without it
                        continue;
                    }
                    Integer version = e.code() == KeeperException.Code.BADVERSION
                            ? call(what, () -> h.versionIfStillFirst(client)) : null;
                    if (version != null) { // another client changed the lock node, but this holder holds it
                        h.recordAt(version);
                        continue;
                    }
                    h.markLost();
                    throw lockLost(what, h, e);
                }
                if (failed >= first) {
                    throw new OpFailed(failed - first, e.code(), e);
                }
                throw lostOrTranslated(what, e);
            } catch (Exception e) {
                throw lostOrTranslated(what, e);
            }
        }
    }

    /** A write's failure: one through connection loss may have been applied before the connection was lost. */
    private RuntimeException lostOrTranslated(String what, Exception e) {
        RuntimeException t = translated(what, e);
        if (t instanceof ClusterLostException lost && lost.state() != ClusterLostException.State.LOCK_LOST) {
            return new ClusterLostException(lost.ensemble(), lost.state(), what + " may have been applied, or not: "
                    + lost.getMessage().replaceFirst(" \\(ensemble .*$", ""), e);
        }
        return t;
    }

    /** The index of the operation of a failed multi-operation that failed first, or -1. */
    static int failedIndex(KeeperException e) {
        List<OpResult> results = e.getResults();
        if (results != null) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.ErrorResult err
                        && err.getErr() != KeeperException.Code.OK.intValue()
                        && err.getErr() != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** An operation the caller passed to {@link #write} failed: which (its index among them) and why. */
    static final class OpFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;
        final KeeperException.Code code;

        OpFailed(int index, KeeperException.Code code, KeeperException cause) {
            super(cause);
            this.index = index;
            this.code = code;
        }
    }

    /**
     * Writes {@code data} to {@code path} if its version is still {@code version}, fenced as {@link #write}, and
     * with a marker that tells whether a try cut by connection loss was applied: each such write also sets this
     * client's ephemeral marker node to a fresh number, read back when a retry finds the version changed.
     *
     * @return the node's new version; {@link #APPLIED} when the write was applied but its version is not known;
     *         {@link #STALE} when the version had changed, so nothing was written
     */
    int versionedWrite(String what, String path, byte[] data, int version) {
        while (true) {
            Marker marker = takeMarker(what);
            byte[] id = newWriteId();
            try {
                int written = write(what,
                        () -> client.transactionOp().setData().withVersion(version).forPath(path, data),
                        () -> client.transactionOp().setData().forPath(marker.path, id))
                        .get(0).getResultStat().getVersion();
                giveBack(marker);
                return written;
            } catch (OpFailed f) {
                if (f.index == 0 && f.code == KeeperException.Code.BADVERSION) {
                    byte[] seen = readMarker(what, marker);
                    if (seen == null) { // the marker went with an ended session, which may have applied a try
                        throw new ClusterLostException(config.connectString(),
                                ClusterLostException.State.SESSION_EXPIRED, what + " may have been applied, or"
                                + " not: the session expired during the write", f.getCause());
                    }
                    giveBack(marker);
                    return Arrays.equals(seen, id) ? APPLIED : STALE; // a try cut by connection loss was applied
                }
                if (f.index == 1 && f.code == KeeperException.Code.NONODE) {
                    continue; // the marker is gone; the value's version had not moved, so no try was applied
                }
                giveBack(marker);
                if (f.index == 0 && f.code == KeeperException.Code.NONODE) {
                    throw new IllegalStateException(what + " failed: its node " + config.root() + path
                            + " was deleted by another client", f.getCause());
                }
                throw translated(what, (Exception) f.getCause());
            } catch (ClusterLostException e) {
                if (e.state() == ClusterLostException.State.LOCK_LOST
                        && Arrays.equals(readMarker(what, marker), id)) {
                    giveBack(marker);
                    return APPLIED; // made while the lock was held, by a try whose answer was lost
                }
                throw e; // the marker is not given back: its last write's outcome is unknown
            }
        }
    }

    /** A fresh id for a marker. */
    byte[] newWriteId() {
        return ByteBuffer.allocate(8).putLong(writeIds.incrementAndGet()).array();
    }

    /** A marker of this connection's current session, for one write and its retries. */
    Marker takeMarker(String what) {
        long session = call(what, () -> client.getZookeeperClient().getZooKeeper().getSessionId());
        for (Marker m; (m = freeMarkers.poll()) != null; ) {
            if (m.session == session) {
                return m;
            }
        }
        // None free: make a spare as well, so that a release racing this write needs no create of its own.
        freeMarkers.add(newMarker(what, session));
        return newMarker(what, session);
    }

    private Marker newMarker(String what, long session) {
        String path = markerPrefix + markerCount.incrementAndGet();
        call(what, () -> {
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path);
            } catch (KeeperException.NodeExistsException e) {
                // made by a try cut by connection loss
            }
            return null;
        });
        return new Marker(path, session);
    }

    /** Returns a marker whose last write's outcome is known, for another write. */
    void giveBack(Marker marker) {
        freeMarkers.add(marker);
    }

    /** The marker's number, or null when the node is gone. */
    byte[] readMarker(String what, Marker marker) {
        return call(what, () -> {
            try {
                return client.getData().forPath(marker.path);
            } catch (KeeperException.NoNodeException e) {
                return null;
            }
        });
    }

    /**
     * An ephemeral marker node of this connection: each versioned write sets it to a fresh number, and reads it back
     * to learn whether a try cut by connection loss was applied. One write uses a marker at a time; they are
     * pooled, so there are as many as writes at once, not as many as threads that ever wrote.
     */
    record Marker(String path, long session) {
    }

    private ClusterLostException lockLost(String what, ClusterLock.Holding h, Throwable cause) {
        return new ClusterLostException(config.connectString(), ClusterLostException.State.LOCK_LOST,
                what + " refused: lock '" + h.lockName() + "' (fencing token " + h.token()
                        + ") is no longer held by this client", cause);
    }

    /**
     * Runs a ZooKeeper operation, turning its failures into this library's. The call is uninterruptible: an
     * interrupt is kept for the caller, and an operation it cut is run again (every operation here is safe to
     * repeat: creates are protected, writes carry markers or are checked, a repeated delete is recognized).
     */
    <T> T call(String what, Operation<T> op) {
        try {
            return uninterruptibly(op);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw translated(what, e);
        }
    }

    private <T> T uninterruptibly(Operation<T> op) throws Exception {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                checkOpen();
                try {
                    return op.run();
                } catch (InterruptedException e) {
                    interrupted = true;
                    Thread.interrupted(); // Curator sets the flag again before it throws: clear it for the retry
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    RuntimeException translated(String what, Exception e) {
        if (e instanceof RuntimeException r && !(e instanceof IllegalStateException ise && isLoss(ise))) {
            return r;
        }
        if (isLoss(e)) {
            return lost(what, e);
        }
        if (e instanceof KeeperException.NoAuthException) {
            return new SecurityException(what + ": not authorized under " + config.root()
                    + " (the ACL refuses this client's credentials)", e);
        }
        return new IllegalStateException(what + " failed: " + e, e);
    }

    static boolean isLoss(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof KeeperException.ConnectionLossException
                    || t instanceof KeeperException.SessionExpiredException
                    || t instanceof KeeperException.OperationTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The exception for an operation that the ensemble did not perform, saying why as best it can be told. */
    ClusterLostException lost(String what, Throwable cause) {
        ClusterLostException.State state;
        String detail;
        if (cause instanceof KeeperException.SessionExpiredException) {
            state = ClusterLostException.State.SESSION_EXPIRED;
            detail = "the session expired";
        } else {
            List<String> answering = answeringMembers();
            if (answering.isEmpty()) {
                state = ClusterLostException.State.CONNECTION_LOST;
                detail = "no member could be reached";
            } else {
                state = ClusterLostException.State.QUORUM_LOST;
                detail = "members " + String.join(",", answering) + " answer but none serves: no quorum";
            }
        }
        return new ClusterLostException(config.connectString(), state, what + " failed: " + detail, cause);
    }

    /** The members that accept a TCP connection within 250 ms. */
    private List<String> answeringMembers() {
        List<String> answering = new ArrayList<>();
        for (String member : config.connectString().split(",")) {
            int colon = member.lastIndexOf(':');
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(member.substring(0, colon),
                        Integer.parseInt(member.substring(colon + 1))), 250);
                answering.add(member);
            } catch (IOException | RuntimeException e) {
                // not answering
            }
        }
        return answering;
    }

    static String checkedName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_.\\-]{1,200}") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("name must be " + NAME_RULE + ": name="
                    + (name == null ? "null" : "\"" + name + "\""));
        }
        return name;
    }

    /** A ZooKeeper operation. */
    @FunctionalInterface
    interface Operation<T> {
        T run() throws Exception;
    }

    /**
     * The creator-only ACL for the root and everything under it; the root's ancestors, which hold nothing, also
     * let anyone read them and create under them, so that other users can have roots of their own beside it.
     */
    private static final class CreatorOnly implements ACLProvider {
        // ZooKeeper asks contains(null) of an ACL: List.of would throw
        private static final List<ACL> ANCESTOR = java.util.Collections.unmodifiableList(new ArrayList<>(List.of(
                ZooDefs.Ids.CREATOR_ALL_ACL.get(0),
                new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE))));
        private final String root;

        CreatorOnly(String root) {
            this.root = root;
        }

        @Override
        public List<ACL> getDefaultAcl() {
            return ZooDefs.Ids.CREATOR_ALL_ACL;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return path != null && path.length() < root.length() && root.startsWith(path.endsWith("/") ? path
                    : path + "/") ? ANCESTOR : ZooDefs.Ids.CREATOR_ALL_ACL;
        }
    }
}
