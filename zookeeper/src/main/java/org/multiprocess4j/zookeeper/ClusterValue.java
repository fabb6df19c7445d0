package org.multiprocess4j.zookeeper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * came between, retried otherwise, so two clients never both add to the same old value. The version last seen is
 * kept, so an update by a client that wrote last costs one write and no read. Reads ({@link #get()}) are
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
    private final int size;
    private final boolean floating;
    private final boolean unsigned;
    /** The value and version last read or written by this object. */
    private volatile Snapshot last;

    private record Snapshot(long bits, int version) {
    }

    /** A snapshot whose version matches every version: a write conditioned on it is unconditional. */
    private static final Snapshot ANY = new Snapshot(0, -1);

    private ClusterValue(Cluster cluster, String path, String name, CType<?, ?> type, ClusterLock lock) {
        this.cluster = cluster;
        this.path = path;
        this.name = name;
        this.type = type;
        this.lock = lock;
        this.size = (int) type.byteSize();
        this.floating = type.typecode() == 'f' || type.typecode() == 'd';
        this.unsigned = "BHILQ".indexOf(type.typecode()) >= 0;
    }

    static ClusterValue open(Cluster cluster, String path, String name, CType<?, ?> type, ClusterLock lock) {
        if (type == null || "bBhHiIlLqQfd".indexOf(type.typecode()) < 0) {
            throw new IllegalArgumentException("type must be a numeric C type (c_byte .. c_ulonglong, c_float,"
                    + " c_double): type=" + type);
        }
        String signature = signature(type);
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
                String found = new String(client.getData().forPath(path + "/type"), StandardCharsets.US_ASCII);
                if (!found.equals(signature)) {
                    throw new IllegalArgumentException("value '" + name + "' exists with type " + found
                            + ", not " + signature + ": type=" + type);
                }
            }
            return null;
        });
        return new ClusterValue(cluster, path, name, type, lock);
    }

    private static String signature(CType<?, ?> type) {
        return switch (type.typecode()) { // long and long long have one layout on LP64
            case 'q' -> "c_long";
            case 'Q' -> "c_ulong";
            default -> type.ctypesName();
        };
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
        locked(() -> tryWrite("set", ANY, bits).bits);
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
        locked(() -> tryWrite("setDouble", ANY, bits).bits);
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
        Snapshot s = last;
        if (s == null) {
            s = read();
        }
        while (true) {
            long next = f.applyAsLong(s.bits);
            Snapshot written = tryWrite(what, s, next);
            if (written != null) {
                return returnOld ? s.bits : next;
            }
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
        if (data.length != size) {
            throw new IllegalStateException("value '" + name + "' holds " + data.length + " bytes, not the "
                    + size + " of " + type);
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
        if (floating) {
            throw new UnsupportedOperationException(method + " is for integer types; value '" + name + "' is "
                    + type + ": use " + method + "Double");
        }
    }

    private void floating(String method) {
        if (!floating) {
            throw new UnsupportedOperationException(method + " is for c_float and c_double; value '" + name
                    + "' is " + type + ": use " + method.replace("Double", ""));
        }
    }

    private long inRange(long value) {
        if (size == 8) {
            return value;
        }
        long min = unsigned ? 0 : -(1L << (size * 8 - 1));
        long max = unsigned ? (1L << (size * 8)) - 1 : (1L << (size * 8 - 1)) - 1;
        if (value < min || value > max) {
            throw new IllegalArgumentException("value must be within " + type + "'s range " + min + ".." + max
                    + ": value=" + value);
        }
        return value;
    }

    /** The value wrapped to the type's width, sign- or zero-extended back to a long. */
    private long normalized(long v) {
        if (size == 8) {
            return v;
        }
        int shift = 64 - size * 8;
        return unsigned ? (v << shift) >>> shift : (v << shift) >> shift;
    }

    private double toDouble(long bits) {
        return size == 4 ? Float.intBitsToFloat((int) bits) : Double.longBitsToDouble(bits);
    }

    private long fromDouble(double d) {
        return size == 4 ? Float.floatToRawIntBits((float) d) & 0xFFFF_FFFFL : Double.doubleToRawLongBits(d);
    }

    private byte[] encode(long bits) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        switch (size) {
            case 1 -> b.put((byte) bits);
            case 2 -> b.putShort((short) bits);
            case 4 -> b.putInt((int) bits);
            default -> b.putLong(bits);
        }
        return b.array();
    }

    private long decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long raw = switch (size) {
            case 1 -> b.get();
            case 2 -> b.getShort();
            case 4 -> b.getInt();
            default -> b.getLong();
        };
        return floating ? (size == 4 ? raw & 0xFFFF_FFFFL : raw) : normalized(raw);
    }
}
