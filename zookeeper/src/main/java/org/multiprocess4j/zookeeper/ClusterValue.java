package org.multiprocess4j.zookeeper;

import java.nio.charset.StandardCharsets;
import java.util.function.LongUnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.multiprocess4j.coordination.LongVariable;
import org.multiprocess4j.sharedctypes.CType;

/**
 * A value of a numeric C type named in a ZooKeeper ensemble: the cluster form of the library's shared values (a
 * {@link LongVariable} when its type is an integer type). Its
 * node holds exactly the bytes the value has in C (little-endian, the type's size), so a program that reads the
 * node reads a C value.
 *
 * <p>Integer types ({@code c_byte} to {@code c_ulonglong}) use the {@code long} methods, floating types the
 * {@code double} ones; the other family's methods throw {@link UnsupportedOperationException}. Unsigned values
 * read zero-extended ({@code c_ulong}'s 64 bits as a {@code long}, as {@link Long#toUnsignedString(long)} reads
 * them); {@code getAndAdd} wraps at the type's width, as C does; {@code set} refuses a value outside the type's
 * range.
 *
 * <p>Linearizable updates: every write is a versioned {@code setData} — {@code compareAndSet}, {@code getAndSet},
 * {@code getAndAdd} and {@code incrementAndGet} are read-modify-write cycles that succeed only if no other write
 * came between, retried otherwise, so two clients never both add to the same old value. While this object is the
 * value's only writer, the version it wrote last is trusted, so an update costs one write and no read; once
 * another client's write is seen, updates read first. Reads ({@link #get()}) are
 * ZooKeeper reads: in order for this client, possibly behind a write another client has just made. Every write is
 * fenced by the cluster locks the calling thread holds (see {@link Cluster}). A synchronized value
 * ({@link Cluster#synchronizedValue}) also takes its lock in every call.
 */
public final class ClusterValue implements LongVariable {
    private final Cluster cluster;
    private final String path;
    private final String name;
    private final CType<?, ?> type;
    private final ClusterLock lock;
    private final CScalar scalar;
    /** The value and version last read or written by this object. */
    private volatile Snapshot last;
    /**
     * Whether an update may start from {@link #last} without reading: true while this object is the value's only
     * writer. A failed conditional write costs the ensemble as much as a write, so under contention updates read
     * first.
     */
    private volatile boolean trustLast = true;

    private record Snapshot(long bits, int version) {
    }


    private ClusterValue(Cluster cluster, String path, String name, CType<?, ?> type, ClusterLock lock) {
        this.cluster = cluster;
        this.path = path;
        this.name = name;
        this.type = type;
        this.lock = lock;
        this.scalar = CScalar.of(type, "type");
    }

    static ClusterValue open(Cluster cluster, String path, String name, CType<?, ?> type, ClusterLock lock) {
        String signature = CScalar.of(type, "type").signature();
        CuratorFramework client = cluster.client();
        String what = "open value '" + name + "'";
        cluster.call(what, () -> {
            Nodes.ensureParent(client, path);
            try {
                client.transaction().forOperations(
                        client.transactionOp().create().forPath(path, new byte[(int) type.byteSize()]),
                        client.transactionOp().create().forPath(path + "/type",
                                signature.getBytes(StandardCharsets.US_ASCII)));
            } catch (KeeperException.NodeExistsException e) {
                byte[] found = client.getData().forPath(path + "/type");
                if (!signature.equals(Nodes.text(found))) {
                    throw new IllegalArgumentException("value '" + name + "' exists with type " + Nodes.shown(found)
                            + ", not " + signature + ": type=" + type);
                }
            }
            return null;
        });
        return new ClusterValue(cluster, path, name, type, lock);
    }

    /** The value's name. */
    public String name() {
        return name;
    }

    /** The value's C type. */
    public CType<?, ?> type() {
        return type;
    }

    /**
     * The lock a synchronized value takes in every call.
     *
     * @throws UnsupportedOperationException when this value is not synchronized
     */
    public ClusterLock getLock() {
        if (lock == null) {
            throw new UnsupportedOperationException("value '" + name + "' is not synchronized: it has no lock");
        }
        return lock;
    }

    /** The value, of an integer type. */
    @Override
    public long get() {
        integral("get");
        return locked(() -> read().bits);
    }

    /**
     * Sets the value, of an integer type.
     *
     * @throws IllegalArgumentException when {@code value} is outside the type's range
     */
    @Override
    public void set(long value) {
        integral("set");
        long bits = inRange(value);
        locked(() -> update("set", old -> bits, false, true));
    }

    /** Sets the value to {@code newValue} if it is {@code expected}; whether it was. */
    @Override
    public boolean compareAndSet(long expected, long newValue) {
        integral("compareAndSet");
        long bits = inRange(newValue);
        return locked(() -> compareAndSetBits(expected, bits)) != 0;
    }

    /** Sets the value and returns the one it replaced. */
    @Override
    public long getAndSet(long newValue) {
        integral("getAndSet");
        long bits = inRange(newValue);
        return locked(() -> update("getAndSet", old -> bits, true));
    }

    /** Adds {@code delta}, wrapping at the type's width, and returns the value before. */
    @Override
    public long getAndAdd(long delta) {
        integral("getAndAdd");
        return locked(() -> update("getAndAdd", old -> normalized(old + delta), true));
    }

    /** Adds {@code delta}, wrapping at the type's width, and returns the new value. */
    @Override
    public long addAndGet(long delta) {
        integral("addAndGet");
        return locked(() -> update("addAndGet", old -> normalized(old + delta), false));
    }

    /** Adds one and returns the new value. */
    @Override
    public long incrementAndGet() {
        return addAndGet(1);
    }

    /** Subtracts one and returns the new value. */
    @Override
    public long decrementAndGet() {
        return addAndGet(-1);
    }

    /** The value, of a floating type. */
    public double getDouble() {
        floating("getDouble");
        return toDouble(locked(() -> read().bits));
    }

    /** Sets the value, of a floating type ({@code c_float} rounds it to float). */
    public void setDouble(double value) {
        floating("setDouble");
        long bits = fromDouble(value);
        locked(() -> update("setDouble", old -> bits, false, true));
    }

    /** Sets the value to {@code newValue} if it is {@code expected} (compared as the type's bits); whether it was. */
    public boolean compareAndSetDouble(double expected, double newValue) {
        floating("compareAndSetDouble");
        long bits = fromDouble(newValue);
        return locked(() -> compareAndSetBits(fromDouble(expected), bits)) != 0;
    }

    /** Sets the value and returns the one it replaced. */
    public double getAndSetDouble(double newValue) {
        floating("getAndSetDouble");
        long bits = fromDouble(newValue);
        return toDouble(locked(() -> update("getAndSetDouble", old -> bits, true)));
    }

    /** Adds {@code delta} and returns the value before. */
    public double getAndAddDouble(double delta) {
        floating("getAndAddDouble");
        return toDouble(locked(() -> update("getAndAddDouble", old -> fromDouble(toDouble(old) + delta), true)));
    }

    @Override
    public String toString() {
        return "ClusterValue[" + name + ", " + type + (lock == null ? "" : ", synchronized") + "]";
    }

    private long compareAndSetBits(long expected, long bits) {
        Snapshot s = last;
        if (s == null || s.bits != expected) {
            s = read();
        }
        while (s.bits == expected) {
            Snapshot tried = s;
            Snapshot written = tryWrite("compareAndSet", tried, bits);
            if (written != null) {
                return 1;
            }
            s = read();
        }
        return 0;
    }

    /** Applies {@code f} in a versioned read-modify-write cycle; the old or new bits. */
    private long update(String what, LongUnaryOperator f, boolean returnOld) {
        return update(what, f, returnOld, false);
    }

    /**
     * Applies {@code f} in a versioned read-modify-write cycle; the old or new bits. A {@code blind} update (a
     * set) starts from the version last seen whoever wrote since: a stale one costs a refused write, not a read.
     * Sets are versioned too, so that a set retried after connection loss is never applied twice.
     */
    private long update(String what, LongUnaryOperator f, boolean returnOld, boolean blind) {
        Snapshot s = last;
        if (s == null || !trustLast && !blind) {
            Snapshot before = s;
            s = read();
            // Had nobody else written since this object's last write, the kept version would have served.
            trustLast = before != null && before.version == s.version;
        }
        while (true) {
            long next = f.applyAsLong(s.bits);
            Snapshot written = tryWrite(what, s, next);
            if (written != null) {
                return returnOld ? s.bits : next;
            }
            trustLast = false; // another client writes this value too: read before the next update
            s = read();
        }
    }

    /** Writes {@code bits} if the node's version is still {@code seen}'s; the new snapshot, or null. */
    private Snapshot tryWrite(String what, Snapshot seen, long bits) {
        int version = cluster.versionedWrite(what + " value '" + name + "'", path, encode(bits), seen.version);
        if (version == Cluster.STALE) {
            return null;
        }
        Snapshot written = new Snapshot(bits, version);
        last = version == Cluster.APPLIED ? null : written;
        return written;
    }

    private Snapshot read() {
        Stat stat = new Stat();
        byte[] data = cluster.call("read value '" + name + "'",
                () -> cluster.client().getData().storingStatIn(stat).forPath(path));
        if (data == null || data.length != scalar.size) {
            throw new IllegalStateException("value '" + name + "' holds " + (data == null ? "no data" : data.length
                    + " bytes") + ", not the " + scalar.size + " bytes of " + type + ": another client wrote it");
        }
        Snapshot s = new Snapshot(decode(data), stat.getVersion());
        last = s;
        return s;
    }

    private long locked(java.util.function.LongSupplier op) {
        if (lock == null) {
            return op.getAsLong();
        }
        lock.lock();
        try {
            return op.getAsLong();
        } finally {
            lock.unlock();
        }
    }

    private void integral(String method) {
        scalar.requireIntegral(method, "value '" + name + "'");
    }

    private void floating(String method) {
        scalar.requireFloating(method, "value '" + name + "'");
    }

    private long inRange(long value) {
        return scalar.inRange(value);
    }

    private long normalized(long v) {
        return scalar.normalized(v);
    }

    private double toDouble(long bits) {
        return scalar.toDouble(bits);
    }

    private long fromDouble(double d) {
        return scalar.fromDouble(d);
    }

    private byte[] encode(long bits) {
        return scalar.encode(bits);
    }

    private long decode(byte[] data) {
        return scalar.read(data, 0);
    }
}
