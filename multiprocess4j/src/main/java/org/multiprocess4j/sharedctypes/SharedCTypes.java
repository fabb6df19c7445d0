package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessRLock;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Allocates C values, arrays and structures in shared memory: the Java form of Python's
 * {@code multiprocessing.sharedctypes}.
 *
 * <table class="striped">
 * <caption>Python and Java side by side</caption>
 * <thead><tr><th>Python</th><th>Java</th></tr></thead>
 * <tbody>
 * <tr><td>{@code RawValue('d', 2.4)}</td><td>{@code rawValue(c_double, 2.4)} or {@code rawValue('d', 2.4)}</td></tr>
 * <tr><td>{@code RawValue(MyStruct, 4, 6)}</td><td>{@code rawValue(MyStruct.TYPE, 4, 6)}</td></tr>
 * <tr><td>{@code RawArray('h', 7)}</td><td>{@code rawArray(c_short, 7)}</td></tr>
 * <tr><td>{@code RawArray('i', (9, 2, 8))}</td><td>{@code rawArray(c_int, new int[] {9, 2, 8})}</td></tr>
 * <tr><td>{@code Value('i', 7)}</td><td>{@code value(c_int, 7)}</td></tr>
 * <tr><td>{@code Value('i', 7, lock=False)}</td><td>{@code value(c_int, 7, false)}</td></tr>
 * <tr><td>{@code Value(MyStruct, 4, 6, lock=False)}</td><td>{@code value(MyStruct.TYPE, List.of(4, 6), false)}</td></tr>
 * <tr><td>{@code Array('i', 3, lock=lock)}</td><td>{@code array('i', 3, lock)}: a {@code long} or {@code int} is a
 * size, anything else an initializer, decided by the compiler</td></tr>
 * <tr><td>{@code Array('c', b'hi', lock=lock)}</td><td>{@code array(c_char, "hi".getBytes(US_ASCII), lock)}</td></tr>
 * <tr><td>{@code copy(obj)}, {@code synchronized(obj, lock)}</td><td>{@code copy(obj)}, {@code synchronize(obj, lock)}</td></tr>
 * </tbody>
 * </table>
 *
 * <p>The factories form one regular set: for each of a typecode, a {@link CType} and a {@link StructType}; for
 * arrays each of a size and an initializer, for values each of no value and a value; and for the synchronized
 * {@code value}/{@code array} each of no lock argument (a new {@link ProcessRLock}), a {@code boolean} (Python's
 * {@code lock=True/False}) and a lock to share. An {@code int} or {@code long} argument is always a size: Java
 * picks that overload at compile time, so a size is never taken for an initializer. A structure's field values are
 * a {@code List} in the synchronized forms, so that no lock choice after them can be taken for a field.
 *
 * <p>Typed factories return the typed class of the C type ({@code rawValue(c_int, 7)} is an {@link IntValue});
 * typecode factories infer it from the assignment ({@code IntValue n = value('i', 7)}), and a mismatch is a
 * {@link ClassCastException} at that assignment. Raw objects are not process-safe for compound updates; the
 * synchronized ones returned by {@code value} and {@code array} take their lock once per access. Values are
 * zeroed unless given; initializers are checked in full before anything is written, and any element of the
 * wrong type or out of range is an {@link IllegalArgumentException} naming it.
 *
 * <p>Synchronized objects and dead lock holders: when a process dies holding the lock of a synchronized object,
 * the next accessor recovers the lock (see {@link SharedLock}) and proceeds. A single accessor of a primitive value
 * or element cannot be left half-done by a dead process (an aligned store is atomic); a structure assignment, a
 * range copy or a compound update held across {@code getLock().hold()} can be. Code that must repair such state
 * holds the lock explicitly and asks {@code held.previousOwnerDied()}.
 *
 * <p>An accessor called by the thread that already holds the object's lock does not take it again, so a compound
 * update inside {@code getLock().hold()} works with either lock kind. (Python deadlocks there when the lock is a
 * plain {@code Lock}; the accessor cannot be interrupted by another holder, since the current thread holds the
 * lock.)
 */
public final class SharedCTypes {
    private SharedCTypes() {
    }

    // ---- raw values ------------------------------------------------------------------------------------------

    /** A zeroed value of {@code type}. */
    public static <V extends SharedValue> V rawValue(CType<V, ?> type) {
        return newValue(type, null, null, false);
    }

    /**
     * A value of {@code type} set to {@code value}, as ctypes' {@code type(value)}.
     *
     * @throws IllegalArgumentException when {@code value} has the wrong type or is out of range
     */
    public static <V extends SharedValue> V rawValue(CType<V, ?> type, Object value) {
        return newValue(type, present(value), null, false);
    }

    /**
     * A value of the type {@code typecode} names, zeroed or set to {@code args[0]}.
     *
     * @throws IllegalArgumentException for an unknown typecode, more than one argument, or a bad value
     */
    public static <V extends SharedValue> V rawValue(char typecode, Object... args) {
        return cast(newValue(CType.of(typecode), args.length == 0 ? null : present(single(args)), null, false));
    }

    /**
     * A structure with its fields set to {@code fieldValues} in declaration order (fewer leave the rest zero), as
     * ctypes' {@code MyStruct(4, 6)}.
     */
    public static <S extends Struct<S>> S rawValue(StructType<S> type, Object... fieldValues) {
        return newStruct(type, Arrays.asList(fieldValues), null, false);
    }

    // ---- synchronized values ----------------------------------------------------------------------------------

    /** A zeroed value behind a new {@link ProcessRLock}. */
    public static <V extends SharedValue> V value(CType<V, ?> type) {
        return newValue(type, null, ProcessRLock.create(), true);
    }

    /** A value set to {@code value}, behind a new {@link ProcessRLock} (Python's {@code Value(type, value)}). */
    public static <V extends SharedValue> V value(CType<V, ?> type, Object value) {
        return newValue(type, present(value), ProcessRLock.create(), true);
    }

    /** A value set to {@code value}, behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <V extends SharedValue> V value(CType<V, ?> type, Object value, boolean lock) {
        return lock ? value(type, value) : rawValue(type, value);
    }

    /** A value set to {@code value}, behind the given lock, which other objects may share. */
    public static <V extends SharedValue> V value(CType<V, ?> type, Object value, SharedLock lock) {
        return newValue(type, present(value), Objects.requireNonNull(lock, "lock"), false);
    }

    /** {@link #value(CType)} by typecode: a zeroed value behind a new {@link ProcessRLock}. */
    public static <V extends SharedValue> V value(char typecode) {
        return cast(value(CType.of(typecode)));
    }

    /** {@link #value(CType, Object)} by typecode. */
    public static <V extends SharedValue> V value(char typecode, Object value) {
        return cast(value(CType.of(typecode), value));
    }

    /** {@link #value(CType, Object, boolean)} by typecode. */
    public static <V extends SharedValue> V value(char typecode, Object value, boolean lock) {
        return cast(value(CType.of(typecode), value, lock));
    }

    /** {@link #value(CType, Object, SharedLock)} by typecode. */
    public static <V extends SharedValue> V value(char typecode, Object value, SharedLock lock) {
        return cast(value(CType.of(typecode), value, lock));
    }

    /** A zeroed structure behind a new {@link ProcessRLock}. */
    public static <S extends Struct<S>> S value(StructType<S> type) {
        return newStruct(type, List.of(), ProcessRLock.create(), true);
    }

    /**
     * A structure with its fields set to {@code fieldValues} in declaration order (fewer leave the rest zero),
     * behind a new {@link ProcessRLock} (Python's {@code Value(MyStruct, 4, 6)} is
     * {@code value(MyStruct.TYPE, List.of(4, 6))}: the field values are a list, so that a lock choice after them
     * can never be taken for a field).
     */
    public static <S extends Struct<S>> S value(StructType<S> type, List<?> fieldValues) {
        return newStruct(type, fieldValues, ProcessRLock.create(), true);
    }

    /** A structure with its fields set, behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <S extends Struct<S>> S value(StructType<S> type, List<?> fieldValues, boolean lock) {
        return newStruct(type, fieldValues, lock ? ProcessRLock.create() : null, lock);
    }

    /** A structure with its fields set, behind the given lock. */
    public static <S extends Struct<S>> S value(StructType<S> type, List<?> fieldValues, SharedLock lock) {
        return newStruct(type, fieldValues, Objects.requireNonNull(lock, "lock"), false);
    }

    // ---- raw arrays -------------------------------------------------------------------------------------------

    /**
     * A zeroed array of {@code size} elements.
     *
     * @throws IllegalArgumentException when {@code size} is negative or too large
     */
    public static <A extends SharedArray> A rawArray(CType<?, A> type, long size) {
        return cast(newArray(type, size, null, null, false));
    }

    /**
     * An array holding the elements of {@code initializer} (a Java array, collection, iterable or stream, or
     * another shared array, whose bytes are copied at memory speed when its element type is the same, under its
     * lock if it has one; for {@code c_wchar} also a String), whose length sets the array's.
     *
     * @throws IllegalArgumentException when the initializer is not a sequence, or an element has the wrong type or
     *                                  is out of range
     */
    public static <A extends SharedArray> A rawArray(CType<?, A> type, Object initializer) {
        return cast(newArray(type, -1, initializer, null, false));
    }

    /** {@link #rawArray(CType, long)} by typecode. */
    public static <A extends SharedArray> A rawArray(char typecode, long size) {
        return cast(newArray(CType.of(typecode), size, null, null, false));
    }

    /** {@link #rawArray(CType, Object)} by typecode. */
    public static <A extends SharedArray> A rawArray(char typecode, Object initializer) {
        return cast(newArray(CType.of(typecode), -1, initializer, null, false));
    }

    /** A zeroed array of {@code size} structures. */
    public static <S extends Struct<S>> StructArray<S> rawArray(StructType<S> type, long size) {
        return cast(newArray(type, size, null, null, false));
    }

    /** An array of structures initialized from structures or from their field values (arrays or lists). */
    public static <S extends Struct<S>> StructArray<S> rawArray(StructType<S> type, Object initializer) {
        return cast(newArray(type, -1, initializer, null, false));
    }

    // ---- synchronized arrays ----------------------------------------------------------------------------------

    /** {@link #rawArray(CType, long)} behind a new {@link ProcessRLock} (Python's {@code Array(type, size)}). */
    public static <A extends SharedArray> A array(CType<?, A> type, long size) {
        return cast(newArray(type, size, null, ProcessRLock.create(), true));
    }

    /** {@link #rawArray(CType, long)} behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <A extends SharedArray> A array(CType<?, A> type, long size, boolean lock) {
        return lock ? array(type, size) : rawArray(type, size);
    }

    /** {@link #rawArray(CType, long)} behind the given lock. */
    public static <A extends SharedArray> A array(CType<?, A> type, long size, SharedLock lock) {
        return cast(newArray(type, size, null, Objects.requireNonNull(lock, "lock"), false));
    }

    /** {@link #rawArray(CType, Object)} behind a new {@link ProcessRLock}. */
    public static <A extends SharedArray> A array(CType<?, A> type, Object initializer) {
        return cast(newArray(type, -1, initializer, ProcessRLock.create(), true));
    }

    /** {@link #rawArray(CType, Object)} behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <A extends SharedArray> A array(CType<?, A> type, Object initializer, boolean lock) {
        return lock ? array(type, initializer) : rawArray(type, initializer);
    }

    /** {@link #rawArray(CType, Object)} behind the given lock. */
    public static <A extends SharedArray> A array(CType<?, A> type, Object initializer, SharedLock lock) {
        return cast(newArray(type, -1, initializer, Objects.requireNonNull(lock, "lock"), false));
    }

    /** {@link #array(CType, long)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, long size) {
        return cast(array(CType.of(typecode), size));
    }

    /** {@link #array(CType, long, boolean)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, long size, boolean lock) {
        return cast(array(CType.of(typecode), size, lock));
    }

    /** {@link #array(CType, long, SharedLock)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, long size, SharedLock lock) {
        return cast(array(CType.of(typecode), size, lock));
    }

    /** {@link #array(CType, Object)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, Object initializer) {
        return cast(array(CType.of(typecode), initializer));
    }

    /** {@link #array(CType, Object, boolean)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, Object initializer, boolean lock) {
        return cast(array(CType.of(typecode), initializer, lock));
    }

    /** {@link #array(CType, Object, SharedLock)} by typecode. */
    public static <A extends SharedArray> A array(char typecode, Object initializer, SharedLock lock) {
        return cast(array(CType.of(typecode), initializer, lock));
    }

    /** A zeroed array of {@code size} structures behind a new {@link ProcessRLock}. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, long size) {
        return cast(newArray(type, size, null, ProcessRLock.create(), true));
    }

    /** A zeroed array of structures behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, long size, boolean lock) {
        return lock ? array(type, size) : rawArray(type, size);
    }

    /** A zeroed array of structures behind the given lock. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, long size, SharedLock lock) {
        return cast(newArray(type, size, null, Objects.requireNonNull(lock, "lock"), false));
    }

    /** An array of structures behind a new {@link ProcessRLock}. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, Object initializer) {
        return cast(newArray(type, -1, initializer, ProcessRLock.create(), true));
    }

    /** An array of structures behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, Object initializer, boolean lock) {
        return lock ? array(type, initializer) : rawArray(type, initializer);
    }

    /** An array of structures behind the given lock. */
    public static <S extends Struct<S>> StructArray<S> array(StructType<S> type, Object initializer, SharedLock lock) {
        return cast(newArray(type, -1, initializer, Objects.requireNonNull(lock, "lock"), false));
    }

    // ---- multi-dimensional arrays: arrays whose elements are C arrays (c_int * 3 * 2) ----------------------------

    /**
     * A zeroed array of {@code size} rows of {@code rowType}: {@code rawArray(c_int.array(3), 2)} is ctypes'
     * {@code (c_int * 3 * 2)()}.
     */
    public static NestedArray rawArray(ArrayType rowType, long size) {
        return (NestedArray) newArray(rowType, size, null, null, false);
    }

    /** An array of rows initialized from nested Java arrays or lists ({@code new int[][] {{1, 2, 3}, {4, 5, 6}}}). */
    public static NestedArray rawArray(ArrayType rowType, Object initializer) {
        return (NestedArray) newArray(rowType, -1, initializer, null, false);
    }

    /** {@link #rawArray(ArrayType, long)} behind a new {@link ProcessRLock}. */
    public static NestedArray array(ArrayType rowType, long size) {
        return (NestedArray) newArray(rowType, size, null, ProcessRLock.create(), true);
    }

    /** {@link #rawArray(ArrayType, long)} behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static NestedArray array(ArrayType rowType, long size, boolean lock) {
        return lock ? array(rowType, size) : rawArray(rowType, size);
    }

    /** {@link #rawArray(ArrayType, long)} behind the given lock. */
    public static NestedArray array(ArrayType rowType, long size, SharedLock lock) {
        return (NestedArray) newArray(rowType, size, null, Objects.requireNonNull(lock, "lock"), false);
    }

    /** {@link #rawArray(ArrayType, Object)} behind a new {@link ProcessRLock}. */
    public static NestedArray array(ArrayType rowType, Object initializer) {
        return (NestedArray) newArray(rowType, -1, initializer, ProcessRLock.create(), true);
    }

    /** {@link #rawArray(ArrayType, Object)} behind a new {@link ProcessRLock} when {@code lock} is true, else raw. */
    public static NestedArray array(ArrayType rowType, Object initializer, boolean lock) {
        return lock ? array(rowType, initializer) : rawArray(rowType, initializer);
    }

    /** {@link #rawArray(ArrayType, Object)} behind the given lock. */
    public static NestedArray array(ArrayType rowType, Object initializer, SharedLock lock) {
        return (NestedArray) newArray(rowType, -1, initializer, Objects.requireNonNull(lock, "lock"), false);
    }

    // ---- copy, synchronize, attach ----------------------------------------------------------------------------

    /**
     * A new raw object in shared memory with the same type and bytes as {@code obj} (read under its lock when it
     * is synchronized), as Python's {@code copy(obj)}.
     */
    public static <T extends SharedObject> T copy(T obj) {
        Objects.requireNonNull(obj, "obj");
        return switch (obj) {
            case SharedValue v -> {
                SharedValue c = newValue(v.type(), null, null, false);
                copyBytes(v.lock, v.segment, 0, c.segment, 0, v.segment.byteSize());
                yield cast(c);
            }
            case SharedArray a -> cast(newArray(a.elementType(), a.length(), a, null, false));
            case Struct<?> s -> {
                Struct<?> c = newStruct(s.structType(), List.of(), null, false);
                copyBytes(s.lock, s.segment, s.offset, c.segment, c.offset, s.type.byteSize());
                yield cast(c);
            }
            default -> throw new IllegalArgumentException("obj must be a shared value, array or structure: obj="
                    + obj);
        };
    }

    /** {@code synchronize(obj, lock)} with a new {@link ProcessRLock}. */
    public static <T extends SharedObject> T synchronize(T obj) {
        return synchronize(obj, null, true);
    }

    /**
     * A synchronized wrapper of the raw {@code obj} that takes {@code lock} once per access (Python's
     * {@code synchronized(obj, lock)}; {@code synchronized} is a Java keyword). Same memory as {@code obj}.
     *
     * @throws IllegalArgumentException when {@code obj} is already synchronized
     */
    public static <T extends SharedObject> T synchronize(T obj, SharedLock lock) {
        return synchronize(obj, Objects.requireNonNull(lock, "lock"), false);
    }

    private static <T extends SharedObject> T synchronize(T obj, SharedLock given, boolean create) {
        Objects.requireNonNull(obj, "obj");
        boolean already = switch (obj) {
            case SharedData d -> d.isSynchronized();
            case Struct<?> s -> s.isSynchronized();
            default -> throw new IllegalArgumentException("obj must be a shared value, array or structure: obj="
                    + obj);
        };
        if (already) {
            throw new IllegalArgumentException("obj is already synchronized; wrap its getObj() instead: obj=" + obj);
        }
        SharedLock lock = create ? ProcessRLock.create() : given;
        return switch (obj) {
            case SharedData d -> cast(d.withLock(lock, create));
            case Struct<?> s -> cast(s.structType().viewOwning(s.block, s.offset, lock, create));
            default -> throw new AssertionError(obj);
        };
    }

    /**
     * Attaches to the value, array or structure {@code handle} names, in this or another process, as the typed
     * class of its C type; a handle of a synchronized object gives a synchronized object with the same lock.
     *
     * @throws IllegalArgumentException when the handle does not name a shared value, array or structure
     * @throws IllegalStateException when the memory no longer exists or its header does not match
     */
    public static SharedObject attach(Handle handle) {
        return Events.attaching(handle, () -> attachUnrecorded(handle));
    }

    private static SharedObject attachUnrecorded(Handle handle) {
        HandleCodec.HandleData data = HandleCodec.decoded(handle);
        String sig = data.signature();
        char kind = sig.charAt(0);
        if (kind != 'v' && kind != 'a') {
            throw new IllegalArgumentException("handle does not name a shared value or array: handle=" + handle);
        }
        DataType type = typeOf(sig.substring(1), handle);
        if (kind == 'v' && type instanceof ArrayType) { // no writer names one: an array's handle is of kind 'a'
            throw new IllegalArgumentException("handle of a value names an array type, which only an array's "
                    + "handle does: type=" + type + ", handle=" + handle);
        }
        long stride = data.stride() == 0 ? type.byteSize() : data.stride();
        if (data.stride() != 0 && (kind != 'a' || data.count() < 2 || stride <= type.byteSize()
                || stride % type.byteAlignment() != 0)) {
            throw new IllegalArgumentException("handle's stride must belong to an array view of at least 2 elements "
                    + "and exceed the element size, " + type.byteSize() + ", by a multiple of its alignment, "
                    + type.byteAlignment() + ": stride=" + data.stride() + ", count=" + data.count() + ", handle="
                    + handle);
        }
        long expectedBytes;
        try {
            expectedBytes = SharedArray.span(type, data.count(), stride);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("handle's count of " + type + " elements overflows a size in bytes: "
                    + "count=" + data.count() + ", handle=" + handle);
        }
        if (data.bytes() != expectedBytes || (kind == 'v' && data.count() != 1)) {
            throw new IllegalArgumentException("handle's size does not match its type " + type + ": bytes="
                    + data.bytes() + ", count=" + data.count() + ", handle=" + handle);
        }
        if ((data.block() + data.view()) % type.byteAlignment() != 0) {
            throw new IllegalArgumentException("handle's object is not aligned for its type " + type + ": offset "
                    + data.block() + " + view " + data.view() + " is not a multiple of " + type.byteAlignment()
                    + ", handle=" + handle);
        }
        SharedBlock block = SharedBlock.attach(data.arena(), data.block(), data.generation());
        if (data.view() > block.segment().byteSize() - data.bytes()) {
            block.close();
            throw new IllegalArgumentException("handle's object lies outside its block: view=" + data.view()
                    + ", bytes=" + data.bytes() + ", block size=" + block.segment().byteSize() + ", handle=" + handle);
        }
        SharedLock lock;
        try {
            lock = data.lock() == null ? null
                    : SharedLock.attach((Handle) HandleCodec.handle(data.lock(), data.lockData()));
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
        long base = data.view();
        // instanceof, not a pattern switch: a child attaching its arguments would pay the switch's bootstrap
        if (kind == 'v' && type instanceof StructType<?> s) {
            return s.viewOwning(block, base, lock, false);
        }
        if (kind == 'v' && type instanceof CType<?, ?> c) {
            return c.kind.newValue(c, block, base, lock, false);
        }
        return newArrayObject(type, block, base, data.count(), stride, lock, false);
    }

    static <T> T attachAs(Handle handle, Class<T> expected) {
        return Events.attaching(handle, () -> attachAsUnrecorded(handle, expected));
    }

    private static <T> T attachAsUnrecorded(Handle handle, Class<T> expected) {
        SharedObject obj = attach(handle);
        if (!expected.isInstance(obj)) {
            String found = obj.toString();
            obj.close();
            throw new IllegalArgumentException("handle names " + found + ", not a " + expected.getSimpleName()
                    + ": handle=" + handle);
        }
        return expected.cast(obj);
    }

    private static DataType typeOf(String sig, Handle handle) {
        String className = null;
        if (sig.startsWith("{")) {
            int at = sig.lastIndexOf('@');
            if (at < 0) {
                throw new IllegalArgumentException("handle's structure signature names no class: handle=" + handle);
            }
            className = sig.substring(at + 1);
            sig = sig.substring(0, at);
        }
        return typeOf(sig, className, handle);
    }

    /**
     * The type a signature names: a typecode or a structure, then any number of {@code [length]} dimensions, the
     * outermost last (as ArrayType writes them). Read in a loop, not by recursion: the signature is input.
     */
    private static DataType typeOf(String sig, String className, Handle handle) {
        java.util.ArrayDeque<Integer> lengths = new java.util.ArrayDeque<>();
        int end = sig.length(); // the base type is sig[0, end): indices, not copies, keep this linear
        while (end > 0 && sig.charAt(end - 1) == ']') {
            int open = sig.lastIndexOf('[', end - 1);
            int length = open < 0 ? -1 : (int) HandleCodec.decimal(sig, open + 1, end - 1, Integer.MAX_VALUE);
            if (length < 0) {
                throw new IllegalArgumentException("handle's type signature has a bad array length: signature='"
                        + (sig.length() > 200 ? sig.substring(0, 200) + "..." : sig) + "', handle=" + handle);
            }
            lengths.push(length); // the innermost dimension ends up first
            if (lengths.size() > ArrayType.MAX_DIMENSIONS) {
                throw new IllegalArgumentException("handle's type has more than " + ArrayType.MAX_DIMENSIONS
                        + " array dimensions: handle=" + handle);
            }
            end = open;
        }
        String base = sig.substring(0, end);
        DataType type;
        if (base.startsWith("{")) {
            StructType<?> struct = StructType.forClassName(className);
            if (!struct.signature().equals(base)) {
                throw new IllegalArgumentException("handle's structure layout does not match class "
                        + struct.javaClass().getName() + ": handle's layout=" + base + " class's="
                        + struct.signature() + ", handle=" + handle);
            }
            type = struct;
        } else if (base.length() == 1) {
            type = CType.of(base.charAt(0));
        } else {
            throw new IllegalArgumentException("handle's type signature is not a typecode: signature='"
                    + (sig.length() > 200 ? sig.substring(0, 200) + "..." : sig) + "', handle=" + handle);
        }
        for (int length : lengths) {
            type = type.array(length);
        }
        return type;
    }

    // ---- internals --------------------------------------------------------------------------------------------

    static SharedArray arrayView(DataType element, SharedBlock block, long base, long length, SharedLock lock) {
        return arrayView(element, block, base, length, null, lock);
    }

    /** A contiguous view whose primitive elements are read with {@code layout} (null: their type's own). */
    static SharedArray arrayView(DataType element, SharedBlock block, long base, long length, ValueLayout layout,
                                 SharedLock lock) {
        return switch (element) {
            case CType<?, ?> c -> c.kind.newArray(c, block, base, length, c.byteSize(), layout, lock,
                    false);
            case ArrayType a -> new NestedArray(a, block, base, length, a.byteSize(), layout, lock, false);
            case StructType<?> s -> new StructArray<>(s, block, base, length, s.byteSize(), lock, false);
        };
    }

    private static SharedArray newArrayObject(DataType element, SharedBlock block, long base, long length,
                                              SharedLock lock, boolean ownsLock) {
        return newArrayObject(element, block, base, length, element.byteSize(), lock, ownsLock);
    }

    private static SharedArray newArrayObject(DataType element, SharedBlock block, long base, long length,
                                              long stride, SharedLock lock, boolean ownsLock) {
        // instanceof, not a pattern switch: a child attaching its arguments would pay the switch's bootstrap
        if (element instanceof CType<?, ?> c) {
            return c.kind.newArray(c, block, base, length, stride, null, lock, ownsLock);
        }
        if (element instanceof StructType<?> s) {
            return new StructArray<>(s, block, base, length, stride, lock, ownsLock);
        }
        return new NestedArray((ArrayType) element, block, base, length, stride, null, lock, ownsLock);
    }

    /**
     * A new block's descriptor ({@code docs/FORMAT.md}): what its handles say of it, so that an inspector can show
     * the object's type and handle.
     */
    private static String descriptor(long count, String signature, SharedLock lock) {
        return count + "\n" + signature + (lock == null ? "" : "\n" + lock.handle());
    }

    private static <V extends SharedValue> V newValue(CType<V, ?> type, Object value, SharedLock lock,
                                                      boolean ownsLock) {
        SharedBlock block = SharedBlock.allocate(type.byteSize(), type.byteAlignment(),
                descriptor(1, "v" + type.signature(), lock));
        try {
            if (value != null) {
                type.store(block.segment(), 0, value, "value");
            }
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
        return cast(type.kind.newValue(type, block, 0, lock, ownsLock));
    }

    private static <S extends Struct<S>> S newStruct(StructType<S> type, List<?> fieldValues, SharedLock lock,
                                                  boolean ownsLock) {
        SharedBlock block = SharedBlock.allocate(Math.max(1, type.byteSize()), type.byteAlignment(),
                descriptor(1, type.handleSignature('v'), lock));
        try {
            type.storeFields(block.segment(), 0, fieldValues, "fieldValues");
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
        return type.viewOwning(block, 0, lock, ownsLock);
    }

    private static SharedArray newArray(DataType type, long size, Object initializer, SharedLock lock,
                                        boolean ownsLock) {
        if (initializer instanceof SharedArray source && source.elementType().signature().equals(type.signature())
                && source.layout == null) {
            return copyOf(source, type, lock, ownsLock);
        }
        List<?> values = null;
        if (initializer instanceof SharedArray source) {
            // Another element type, or the same in another byte order (an array field of a big-endian structure,
            // whose bytes a native array would read swapped): element by element, each value checked.
            initializer = source.toList();
        }
        if (initializer != null) {
            if (initializer instanceof String text && type == CType.c_wchar) {
                initializer = text.codePoints().toArray();
            } else if (initializer instanceof String && type == CType.c_char) {
                throw new IllegalArgumentException("initializer for a c_char array must be bytes, not a String: "
                        + "encode it with an explicit charset, e.g. text.getBytes(StandardCharsets.UTF_8): "
                        + "initializer=\"" + initializer + "\"");
            }
            values = Initializers.asList(initializer);
            if (values == null) {
                throw new IllegalArgumentException("initializer must be a Java array, collection, iterable or stream: "
                        + "initializer=" + initializer + " (" + initializer.getClass().getSimpleName() + ")");
            }
            size = values.size();
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0: size=" + size);
        }
        long elementSize = type.byteSize();
        if (elementSize != 0 && size > Long.MAX_VALUE / elementSize / 2) {
            throw new IllegalArgumentException("size too large for " + type + ": size=" + size);
        }
        SharedBlock block = SharedBlock.allocate(Math.max(1, size * elementSize), type.byteAlignment(),
                descriptor(size, SharedArray.signatureOf(type), lock));
        try {
            if (values != null) {
                MemorySegment segment = block.segment();
                for (int i = 0; i < values.size(); i++) {
                    type.store(segment, i * elementSize, values.get(i), "initializer[" + i + "]");
                }
            }
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
        return newArrayObject(type, block, 0, size, lock, ownsLock);
    }

    /**
     * A new, contiguous array with {@code source}'s elements, copied under {@code source}'s lock, if any: in one
     * memory copy, or one per element from a view with a step.
     */
    private static SharedArray copyOf(SharedArray source, DataType type, SharedLock lock, boolean ownsLock) {
        long size = type.byteSize();
        long bytes = Math.multiplyExact(size, source.length());
        SharedBlock block = SharedBlock.allocate(Math.max(1, bytes), type.byteAlignment(),
                descriptor(source.length(), SharedArray.signatureOf(type), lock));
        try {
            if (source.contiguous()) {
                copyBytes(source.lock, source.segment, 0, block.segment(), 0, bytes);
            } else {
                SharedLock l = source.lock;
                boolean took = Locks.take(l);
                try {
                    for (long i = 0; i < source.length(); i++) {
                        MemorySegment.copy(source.segment, i * source.stride, block.segment(), i * size, size);
                    }
                } finally {
                    Locks.release(l, took);
                }
            }
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
        return newArrayObject(type, block, 0, source.length(), lock, ownsLock);
    }

    private static void copyBytes(SharedLock lock, MemorySegment from, long fromOffset, MemorySegment to,
                                  long toOffset, long bytes) {
        boolean took = Locks.take(lock);
        try {
            MemorySegment.copy(from, fromOffset, to, toOffset, bytes);
        } finally {
            Locks.release(lock, took);
        }
    }

    /** {@code value}, which must not be null: a zero value is asked for by leaving the value out. */
    private static Object present(Object value) {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null: leave it out for a zeroed value, as "
                    + "rawValue(type) or value(type): value=null");
        }
        return value;
    }

    private static Object single(Object[] args) {
        if (args.length > 1) {
            throw new IllegalArgumentException("a primitive value takes at most one argument: args.length="
                    + args.length);
        }
        return args.length == 0 ? null : args[0];
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
