package org.multiprocess4j.zookeeper;

import org.multiprocess4j.sharedctypes.CType;

/**
 * An array of a numeric C type named in a ZooKeeper ensemble, kept in one node as the C bytes of the array (what
 * {@code SharedCTypes.rawArray} holds in shared memory), at most {@value ClusterData#MAX_BYTES} bytes.
 *
 * <p>Reads read the whole node. Every write is a versioned read-modify-write of the whole node retried on
 * conflict, so concurrent {@link #set} calls on different elements never lose one another, and
 * {@link #update} changes several elements at once atomically. Writes are fenced by the cluster locks the calling
 * thread holds, as every write of a {@link Cluster}.
 */
public final class ClusterArray extends ClusterData {
    private final CScalar element;
    private final int length;

    private ClusterArray(Cluster cluster, String path, String name, CScalar element, int length) {
        super(cluster, path, name, element.size * length);
        this.element = element;
        this.length = length;
    }

    static ClusterArray open(Cluster cluster, String path, String name, CType<?, ?> type, int length) {
        CScalar element = CScalar.of(type, "type");
        if (length < 1) {
            throw new IllegalArgumentException("length must be at least 1: length=" + length);
        }
        ClusterData.open(cluster, path, "array '" + name + "'", (long) element.size * length,
                element.signature() + "[" + length + "]");
        return new ClusterArray(cluster, path, name, element, length);
    }

    /** The number of elements. */
    public int length() {
        return length;
    }

    /** The element type. */
    public CType<?, ?> type() {
        return element.type;
    }

    /** Element {@code index}, of an integer type. */
    public long get(int index) {
        element.requireIntegral("get", describe());
        return element.read(read(), offset(index));
    }

    /** Element {@code index}, of a floating type. */
    public double getDouble(int index) {
        element.requireFloating("getDouble", describe());
        return element.toDouble(element.read(read(), offset(index)));
    }

    /**
     * Sets element {@code index}, of an integer type.
     *
     * @throws IllegalArgumentException when {@code value} is outside the type's range
     */
    public void set(int index, long value) {
        element.requireIntegral("set", describe());
        int at = offset(index);
        long bits = element.inRange(value);
        change("set", bytes -> element.write(bytes, at, bits));
    }

    /** Sets element {@code index}, of a floating type. */
    public void setDouble(int index, double value) {
        element.requireFloating("setDouble", describe());
        int at = offset(index);
        long bits = element.fromDouble(value);
        change("setDouble", bytes -> element.write(bytes, at, bits));
    }

    /** Every element, of an integer type, read at once. */
    public long[] toLongArray() {
        element.requireIntegral("toLongArray", describe());
        byte[] bytes = read();
        long[] out = new long[length];
        for (int i = 0; i < length; i++) {
            out[i] = element.read(bytes, i * element.size);
        }
        return out;
    }

    /** Every element, of a floating type, read at once. */
    public double[] toDoubleArray() {
        element.requireFloating("toDoubleArray", describe());
        byte[] bytes = read();
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = element.toDouble(element.read(bytes, i * element.size));
        }
        return out;
    }

    @Override
    public String toString() {
        return "ClusterArray[" + name + ", " + element.type + "[" + length + "]]";
    }

    @Override
    String describe() {
        return "array '" + name + "'";
    }

    private int offset(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index must be within 0.." + (length - 1) + ": index=" + index);
        }
        return index * element.size;
    }
}
