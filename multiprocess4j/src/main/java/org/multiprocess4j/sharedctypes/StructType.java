package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The layout of a C structure or union: named fields of primitive, structure or fixed-length array types, and bit
 * fields, each at the offset C (and ctypes) gives it on this platform, with the padding C inserts. Declare one per
 * {@link Struct} subclass, in a {@code static final} field.
 *
 * <p>Layout rules (System V x86-64 and AArch64 Linux, as GCC and ctypes lay them out): each field starts at the
 * next multiple of its alignment; the structure's alignment is its largest field alignment; its size is rounded up
 * to a multiple of that alignment. {@link LayoutRules} declares a union (every field at offset 0), packing (no
 * field aligned beyond {@code pack} bytes) and byte order. A bit field follows the previous one in the same
 * storage unit unless it would cross a boundary of its type's size (see {@link BitField}).
 *
 * @param <S> the Java class that views structures of this type
 */
public final class StructType<S extends Struct<S>> extends DataType {
    private static final Map<Class<?>, StructType<?>> BY_CLASS = new ConcurrentHashMap<>();
    /** The most bytes a structure may span: as much as one block of shared memory can (2^48). */
    private static final long MAX_BYTES = 1L << 48;

    private final Class<?> javaClass;
    private final Supplier<S> factory;
    private final LayoutRules rules;
    private final Map<String, Field> fields;
    /** The layout each primitive field is read with (null for the others), in declaration order. */
    private final ValueLayout[] layouts;
    private final long size;
    private final long alignment;
    private final String signature;

    private StructType(Supplier<S> factory, Class<?> javaClass, LayoutRules rules, List<FieldSpec> specs) {
        this.factory = factory;
        this.javaClass = javaClass;
        this.rules = rules;
        String owner = javaClass.getSimpleName();
        long[] offsets = new long[specs.size()];
        int[] bitOffsets = new int[specs.size()];
        long bitPos = 0; // the next free bit of a structure
        long end = 0;    // the end of the furthest field, in bits
        long align = 1;
        StringBuilder sig = new StringBuilder("{").append(owner).append(rules.signature());
        for (int i = 0; i < specs.size(); i++) {
            FieldSpec spec = specs.get(i);
            DataType type = spec.type();
            if (rules.union()) {
                bitPos = 0;
            }
            if (spec.bits() > 0) {
                BitField.checkBitType(owner, spec.name(), type);
                long unitBits = type.byteSize() * 8;
                if (spec.bits() > unitBits) {
                    throw new IllegalArgumentException("bit field width must be 1.." + unitBits + " for " + type
                            + ": field " + owner + "." + spec.name() + " has bits=" + spec.bits());
                }
                if (rules.pack() != 0) { // GCC under #pragma pack: the next free bit, across units if need be
                    if (rules.swapped()) {
                        throw new IllegalArgumentException("bit fields in a packed structure of the other byte order "
                                + "are not supported: field " + owner + "." + spec.name() + " with " + rules);
                    }
                    offsets[i] = bitPos / 8;
                    bitOffsets[i] = (int) (bitPos % 8);
                    bitPos += spec.bits();
                    align = Math.max(align, Math.min(type.byteAlignment(), rules.pack()));
                    sig.append(';').append(spec.name()).append(':').append(type.signature()).append('/')
                            .append(spec.bits());
                    end = Math.max(end, bitPos);
                    continue;
                }
                if (bitPos / unitBits != (bitPos + spec.bits() - 1) / unitBits) {
                    bitPos = (bitPos + unitBits - 1) / unitBits * unitBits; // it would straddle: next unit
                }
                offsets[i] = bitPos / unitBits * type.byteSize();
                int inUnit = (int) (bitPos - offsets[i] * 8);
                bitOffsets[i] = rules.swapped() ? (int) unitBits - inUnit - spec.bits() : inUnit;
                bitPos += spec.bits();
                align = Math.max(align, type.byteAlignment());
                sig.append(';').append(spec.name()).append(':').append(type.signature()).append('/')
                        .append(spec.bits());
            } else {
                long fieldAlign = rules.pack() == 0 ? type.byteAlignment()
                        : Math.min(type.byteAlignment(), rules.pack());
                long at = (bitPos + 7) / 8;
                at = (at + fieldAlign - 1) / fieldAlign * fieldAlign;
                if (type.byteSize() > MAX_BYTES - at) {
                    throw new IllegalArgumentException("field " + spec.name() + " (" + type + ", " + type.byteSize()
                            + " bytes) ends past " + MAX_BYTES + " bytes, more than shared memory can hold");
                }
                offsets[i] = at;
                bitPos = Math.multiplyExact(at + type.byteSize(), 8);
                align = Math.max(align, fieldAlign);
                sig.append(';').append(spec.name()).append(':').append(type.signature());
            }
            end = Math.max(end, bitPos);
        }
        this.alignment = align;
        this.size = ((end + 7) / 8 + align - 1) / align * align;
        Map<String, Field> byName = new LinkedHashMap<>();
        this.layouts = new ValueLayout[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            FieldSpec spec = specs.get(i);
            Field field;
            if (spec.bits() > 0) {
                CType<?, ?> c = (CType<?, ?>) spec.type();
                layouts[i] = rules.pack() != 0 ? BitField.BYTES : layoutOf(c);
                field = new BitField(this, spec.name(), c, offsets[i], size, bitOffsets[i], spec.bits(), layouts[i]);
            } else {
                boolean unaligned = rules.pack() != 0 && rules.pack() < spec.type().byteAlignment();
                layouts[i] = switch (spec.type()) {
                    case CType<?, ?> c -> layoutOf(c);
                    case ArrayType a when a.primitive() != null -> arrayLayoutOf(a.primitive(), unaligned);
                    default -> null;
                };
                field = fieldFor(spec.name(), spec.type(), offsets[i], layouts[i]);
            }
            if (byName.put(spec.name(), field) != null) {
                throw new IllegalArgumentException("field names must be unique within a structure: name='"
                        + spec.name() + "' appears twice in " + owner);
            }
        }
        this.fields = Collections.unmodifiableMap(byName);
        this.signature = sig.append('}').toString();
    }

    /**
     * The layout a primitive field of this structure is read with: its type's, in the structure's byte order, and
     * byte-aligned, because a structure may sit at any offset of a packed one. (A plain access of an aligned
     * address compiles to the same single instruction either way; fields have no atomic access to lose.)
     */
    private ValueLayout layoutOf(CType<?, ?> type) {
        ValueLayout layout = type.kind.layout;
        if (rules.swapped()) {
            layout = layout.withOrder(rules.byteOrder());
        }
        return layout.withByteAlignment(1);
    }

    /** The layout of an array field's elements where it is not their type's own, else null. */
    private ValueLayout arrayLayoutOf(CType<?, ?> element, boolean unaligned) {
        if (!unaligned && !(rules.swapped() && element.byteSize() > 1)) {
            return null;
        }
        ValueLayout layout = rules.swapped() ? element.kind.layout.withOrder(rules.byteOrder()) : element.kind.layout;
        return unaligned ? layout.withByteAlignment(1) : layout;
    }

    /**
     * Declares the structure viewed by the class {@code factory} makes, with its fields in C declaration order,
     * laid out as a C {@code struct} with natural alignment in the platform's byte order.
     *
     * @throws IllegalArgumentException when a field name repeats or a field is invalid
     */
    public static <S extends Struct<S>> StructType<S> define(Supplier<S> factory, FieldSpec... fields) {
        return define(factory, LayoutRules.STRUCTURE, fields);
    }

    /**
     * Declares the structure or union viewed by the class {@code factory} makes, with its fields in C declaration
     * order, laid out by {@code rules}: {@code define(Value::new, LayoutRules.UNION, ...)} is ctypes'
     * {@code class Value(Union)}.
     *
     * @throws IllegalArgumentException when a field name repeats, a field is invalid, or the rules cannot lay a
     *                                  field out (see {@link LayoutRules})
     */
    public static <S extends Struct<S>> StructType<S> define(Supplier<S> factory, LayoutRules rules,
                                                          FieldSpec... fields) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(rules, "rules");
        S probe = factory.get();
        if (probe == null) {
            throw new IllegalArgumentException("factory must return a new structure object: factory returned null");
        }
        StructType<S> type = new StructType<>(factory, probe.getClass(), rules, List.of(fields));
        BY_CLASS.put(probe.getClass(), type);
        return type;
    }

    /**
     * A field declaration for {@link #define}: like an entry of ctypes' {@code _fields_}.
     *
     * @throws IllegalArgumentException when {@code name} is not a Java identifier
     */
    public static FieldSpec field(String name, DataType type) {
        return new FieldSpec(name, type, 0);
    }

    /**
     * A bit field declaration: {@code field("flags", CType.c_uint, 3)} is C's {@code unsigned int flags : 3} and
     * ctypes' {@code ('flags', c_uint, 3)}.
     *
     * @throws IllegalArgumentException when {@code name} is not a Java identifier, {@code type} is not an integer
     *                                  type, or {@code bits} is not 1 to the type's size in bits
     */
    public static FieldSpec field(String name, CType<?, ?> type, int bits) {
        if (bits < 1) {
            throw new IllegalArgumentException("bit field width must be at least 1: field '" + name + "' has bits="
                    + bits);
        }
        return new FieldSpec(name, type, bits);
    }

    /**
     * One field declaration.
     *
     * @param name the field's name
     * @param type its C type
     * @param bits for a bit field its width in bits, else 0
     */
    public record FieldSpec(String name, DataType type, int bits) {
        /** Checks the declaration. */
        public FieldSpec {
            Objects.requireNonNull(type, "type");
            if (name == null || name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))
                    || !name.chars().allMatch(Character::isJavaIdentifierPart)) {
                throw new IllegalArgumentException("field name must be an identifier: name='" + name + "'");
            }
            if (bits < 0 || (bits > 0 && bits > type.byteSize() * 8)) {
                throw new IllegalArgumentException("bit field width must be 1.." + type.byteSize() * 8 + " for "
                        + type + ": field '" + name + "' has bits=" + bits);
            }
            if (bits > 0) {
                BitField.checkBitType("structure", name, type);
            }
        }
    }

    private Field fieldFor(String name, DataType type, long offset, ValueLayout layout) {
        return switch (type) {
            case CType<?, ?> c -> c.kind.newField(this, name, type, offset, size, layout);
            case StructType<?> s -> new StructField<>(this, name, s, offset, size);
            case ArrayType a -> new ArrayField(this, name, a, offset, size, layout);
        };
    }

    /**
     * The field called {@code name}, as the typed handle class that matches its C type (for example
     * {@code DoubleField.class} for a {@code c_double} field).
     *
     * @throws IllegalArgumentException when there is no such field, or it has another type
     */
    public <F extends Field> F field(String name, Class<F> fieldClass) {
        Field field = fields.get(name);
        if (field == null) {
            throw new IllegalArgumentException("no field name='" + name + "' in " + this + "; fields are "
                    + fields.keySet());
        }
        if (!fieldClass.isInstance(field)) {
            throw new IllegalArgumentException("field " + this + "." + name + " of type " + field.type()
                    + " is accessed through " + field.getClass().getSimpleName() + ", not fieldClass="
                    + fieldClass.getSimpleName());
        }
        return fieldClass.cast(field);
    }

    /**
     * The nested-structure field called {@code name}, whose type must be {@code type}.
     *
     * @throws IllegalArgumentException when there is no such field, or it has another type
     */
    @SuppressWarnings("unchecked")
    public <T extends Struct<T>> StructField<T> structField(String name, StructType<T> type) {
        StructField<?> field = field(name, StructField.class);
        if (field.type() != type) {
            throw new IllegalArgumentException("field " + this + "." + name + " has type " + field.type()
                    + ", not type=" + type);
        }
        return (StructField<T>) field;
    }

    /** The fields in declaration order. */
    public List<Field> fields() {
        return List.copyOf(fields.values());
    }

    /** How the fields are laid out: structure or union, packing, byte order. */
    public LayoutRules rules() {
        return rules;
    }

    /** The Java class that views structures of this type. */
    public Class<?> javaClass() {
        return javaClass;
    }

    @Override
    public long byteSize() {
        return size;
    }

    @Override
    public long byteAlignment() {
        return alignment;
    }

    @Override
    String signature() {
        return signature;
    }

    /** A handle signature: the kind, the layout and, after '@', the Java class to view it with. */
    String handleSignature(char kind) {
        return kind + signature + "@" + javaClass.getName();
    }

    /** The structure type registered for a Java class, initializing the class so that it declares its type. */
    static StructType<?> forClassName(String className) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = ClassLoader.getSystemClassLoader();
        }
        Class<?> c;
        try {
            c = Class.forName(className, false, loader); // loaded, not initialized: no code of it runs yet
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("handle names a structure class that cannot be loaded: class="
                    + className + " (" + e + ")", e);
        }
        if (!Struct.class.isAssignableFrom(c) || c == Struct.class) {
            throw new IllegalArgumentException("handle's structure class must be a subclass of Struct: class="
                    + className);
        }
        try {
            Class.forName(className, true, loader); // runs the initializer, which declares the StructType
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("handle's structure class failed to initialize: class=" + className
                    + " (" + (e.getCause() != null ? e.getCause() : e) + ")", e);
        }
        StructType<?> type = BY_CLASS.get(c);
        if (type == null) {
            throw new IllegalArgumentException("class " + className + " declares no StructType in a static field");
        }
        return type;
    }

    S view(SharedBlock block, long offset, SharedLock lock) {
        return viewOwning(block, offset, lock, false);
    }

    S viewOwning(SharedBlock block, long offset, SharedLock lock, boolean ownsLock) {
        S s = factory.get();
        s.bind(this, block, offset, 0, false, lock, ownsLock);
        return s;
    }

    /** The element {@code index} of the array of these structures that starts at {@code base}. */
    S viewElement(SharedBlock block, long base, long index, SharedLock lock) {
        S s = factory.get();
        s.bind(this, block, base, index, true, lock, false);
        return s;
    }

    void copyInto(Struct<?> source, Struct<?> target, long fieldOffset) {
        if (source.type != this) {
            throw new IllegalArgumentException("value must be a " + this + ": value=" + source);
        }
        SharedLock l = target.lock;
        boolean took = Locks.take(l);
        try {
            MemorySegment.copy(source.segment, source.offset, target.segment, target.offset + fieldOffset, size);
        } finally {
            Locks.release(l, took);
        }
    }

    @Override
    void store(MemorySegment segment, long offset, Object value, String param) {
        if (value instanceof Struct<?> s) {
            if (s.type != this) {
                throw new IllegalArgumentException(param + " must be a " + this + ": " + param + "=" + value);
            }
            MemorySegment.copy(s.segment, s.offset, segment, offset, size);
            return;
        }
        List<?> values = Initializers.asList(value);
        if (values == null) {
            throw new IllegalArgumentException(param + " must be a " + this + ", or its field values as an array or "
                    + "list: " + param + "=" + value + " (" + (value == null ? "null" : value.getClass().getSimpleName())
                    + ")");
        }
        storeFields(segment, offset, values, param);
    }

    void storeFields(MemorySegment segment, long offset, List<?> values, String param) {
        if (values.size() > fields.size()) {
            throw new IllegalArgumentException(param + " has " + values.size() + " field values, more than the "
                    + fields.size() + " fields of " + this + ": " + param + "=" + values);
        }
        int i = 0;
        for (Field field : fields.values()) {
            if (i == values.size()) {
                break;
            }
            String name = param + "." + field.name();
            Object value = values.get(i);
            switch (field) {
                case BitField bits -> bits.store(segment, offset, value, name);
                default -> {
                    switch (field.type()) {
                        case CType<?, ?> c -> c.store(segment, offset + field.offset(), value, name, layouts[i]);
                        case ArrayType a -> a.store(segment, offset + field.offset(), value, name, layouts[i]);
                        default -> field.type().store(segment, offset + field.offset(), value, name);
                    }
                }
            }
            i++;
        }
    }

    /** The value of field number {@code i} of the structure at {@code offset}, boxed. */
    private Object loadField(int i, Field field, MemorySegment segment, long offset) {
        if (field instanceof BitField bits) {
            return bits.load(segment, offset);
        }
        return switch (field.type()) {
            case CType<?, ?> c -> c.load(segment, offset + field.offset(), layouts[i]);
            case ArrayType a -> a.load(segment, offset + field.offset(), layouts[i]);
            default -> field.type().load(segment, offset + field.offset());
        };
    }

    @Override
    Object load(MemorySegment segment, long offset) {
        List<Object> values = new ArrayList<>(fields.size());
        int i = 0;
        for (Field field : fields.values()) {
            values.add(loadField(i++, field, segment, offset));
        }
        return values;
    }

    String format(MemorySegment segment, long offset) {
        StringBuilder text = new StringBuilder(javaClass.getSimpleName()).append('(');
        String sep = "";
        int i = 0;
        for (Field field : fields.values()) {
            Object v = loadField(i++, field, segment, offset);
            text.append(sep).append(field.name()).append('=')
                    .append(field.type() instanceof CType<?, ?> c && !(field instanceof BitField) ? c.format(v) : v);
            sep = ", ";
        }
        return text.append(')').toString();
    }

    @Override
    public String toString() {
        return javaClass.getSimpleName();
    }
}
