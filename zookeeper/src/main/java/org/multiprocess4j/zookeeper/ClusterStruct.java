package org.multiprocess4j.zookeeper;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.multiprocess4j.sharedctypes.ArrayType;
import org.multiprocess4j.sharedctypes.BitField;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DataType;
import org.multiprocess4j.sharedctypes.Field;
import org.multiprocess4j.sharedctypes.StructType;

/**
 * A C structure named in a ZooKeeper ensemble, described by the same {@link StructType} as in shared memory and
 * kept in one node as its C bytes (offsets, padding and nested structures as C lays them out), at most
 * {@value ClusterData#MAX_BYTES} bytes.
 *
 * <p>Fields are named by path: {@code "x"}, a nested structure's {@code "origin.x"}, an array field's
 * {@code "samples[3]"}; numeric fields only (bit fields are refused). Reads read the whole node; every write is a
 * versioned read-modify-write retried on conflict, fenced by the cluster locks the calling thread holds;
 * {@link #update} changes several fields at once atomically.
 */
public final class ClusterStruct extends ClusterData {
    private final StructType<?> type;
    private final Map<String, Located> fields = new ConcurrentHashMap<>();

    private record Located(int offset, CScalar scalar) {
    }

    private ClusterStruct(Cluster cluster, String path, String name, StructType<?> type) {
        super(cluster, path, name, (int) type.byteSize());
        this.type = type;
    }

    static ClusterStruct open(Cluster cluster, String path, String name, StructType<?> type) {
        if (type == null) {
            throw new IllegalArgumentException("type must not be null");
        }
        ClusterData.open(cluster, path, "structure '" + name + "'", type.byteSize(), signature(type));
        return new ClusterStruct(cluster, path, name, type);
    }

    /** The structure's type. */
    public StructType<?> type() {
        return type;
    }

    /**
     * The integer field at {@code field}.
     *
     * @throws IllegalArgumentException when the structure has no such numeric field
     */
    public long get(String field) {
        Located f = locate(field);
        f.scalar.requireIntegral("get", "field '" + field + "'");
        return f.scalar.read(read(), f.offset);
    }

    /** The floating field at {@code field}. */
    public double getDouble(String field) {
        Located f = locate(field);
        f.scalar.requireFloating("getDouble", "field '" + field + "'");
        return f.scalar.toDouble(f.scalar.read(read(), f.offset));
    }

    /**
     * Sets the integer field at {@code field}.
     *
     * @throws IllegalArgumentException when there is no such field or the value is outside its type's range
     */
    public void set(String field, long value) {
        Located f = locate(field);
        f.scalar.requireIntegral("set", "field '" + field + "'");
        long bits = f.scalar.inRange(value);
        change("set " + field + " of", bytes -> f.scalar.write(bytes, f.offset, bits));
    }

    /** Sets the floating field at {@code field}. */
    public void setDouble(String field, double value) {
        Located f = locate(field);
        f.scalar.requireFloating("setDouble", "field '" + field + "'");
        long bits = f.scalar.fromDouble(value);
        change("set " + field + " of", bytes -> f.scalar.write(bytes, f.offset, bits));
    }

    /**
     * The offset of the numeric field at {@code field}, as C's {@code offsetof}: for {@link #update}.
     *
     * @throws IllegalArgumentException when the structure has no such numeric field
     */
    public int offsetOf(String field) {
        return locate(field).offset;
    }

    @Override
    public String toString() {
        return "ClusterStruct[" + name + ", " + type + "]";
    }

    @Override
    String describe() {
        return "structure '" + name + "'";
    }

    private Located locate(String path) {
        if (path == null) {
            throw new IllegalArgumentException("field must not be null");
        }
        return fields.computeIfAbsent(path, this::resolve);
    }

    private Located resolve(String path) {
        StructType<?> in = type;
        long offset = 0;
        String[] parts = path.split("\\.", -1);
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p];
            // name, then any number of [index]: one per dimension of an array (c_int.array(3).array(2) takes [1][2])
            int open = part.indexOf('[');
            String fieldName = open < 0 ? part : part.substring(0, open);
            java.util.List<Integer> indices = new java.util.ArrayList<>();
            for (int at = open; at >= 0 && at < part.length(); ) {
                int close = part.indexOf(']', at);
                if (part.charAt(at) != '[' || close < 0) {
                    throw noField(path, "'" + part + "' is not a name followed by [index] parts");
                }
                try {
                    indices.add(Integer.parseInt(part.substring(at + 1, close)));
                } catch (NumberFormatException e) {
                    throw noField(path, "'" + part + "' has no number between a pair of its brackets");
                }
                at = close + 1;
            }
            Field field = null;
            for (Field f : in.fields()) {
                if (f.name().equals(fieldName)) {
                    field = f;
                }
            }
            if (field == null) {
                throw noField(path, in + " has no field '" + fieldName + "'");
            }
            if (field instanceof BitField) {
                throw noField(path, "'" + fieldName + "' is a bit field, which a cluster structure does not address");
            }
            offset += field.offset();
            DataType t = field.type();
            for (int index : indices) {
                if (!(t instanceof ArrayType array)) {
                    throw noField(path, "'" + part + "' has more [index] parts than '" + fieldName + "' has "
                            + "dimensions");
                }
                if (index < 0 || index >= array.length()) {
                    throw new IndexOutOfBoundsException("index must be within 0.." + (array.length() - 1)
                            + ": field=\"" + path + "\"");
                }
                t = array.element();
                offset += index * t.byteSize();
            }
            boolean last = p == parts.length - 1;
            if (t instanceof StructType<?> nested && !last) {
                in = nested;
            } else if (t instanceof CType<?, ?> c && last) {
                return new Located((int) offset, CScalar.of(c, "field \"" + path + "\"'s type"));
            } else {
                throw noField(path, "'" + part + "' is " + t + (last ? ", not a numeric field" : ", not a structure"));
            }
        }
        throw noField(path, "empty");
    }

    private IllegalArgumentException noField(String path, String why) {
        return new IllegalArgumentException("field must name a numeric field of " + type + ": field=\"" + path
                + "\" (" + why + ")");
    }

    private static String describe(DataType t) {
        return t instanceof StructType<?> nested ? signature(nested)
                : t instanceof ArrayType array ? describe(array.element()) + "[" + array.length() + "]"
                : t.toString();
    }

    /** The structure's layout, field by field: a type of another layout is refused on attach. */
    private static String signature(StructType<?> type) {
        StringBuilder s = new StringBuilder("struct ").append(type).append(' ').append(type.byteSize()).append('{');
        for (Field f : type.fields()) {
            s.append(f.name()).append('@').append(f.offset()).append(':');
            s.append(describe(f.type())).append(';');
        }
        return s.append('}').toString();
    }
}
