package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The layout of a C structure: named fields of primitive, structure or fixed-length array types, each at the offset
 * C (and ctypes) gives it on this platform, with the padding C inserts. Declare one per {@link Struct} subclass,
 * in a {@code static final} field.
 *
 * <p>Layout rules (System V x86-64, as GCC and ctypes lay out a structure without {@code _pack_}): each field
 * starts at the next multiple of its alignment; the structure's alignment is its largest field alignment; its size
 * is rounded up to a multiple of that alignment.
 *
 * @param <S> the Java class that views structures of this type
 */
public final class StructType<S extends Struct> extends DataType {
    private static final Map<Class<?>, StructType<?>> BY_CLASS = new ConcurrentHashMap<>();

    private final Class<?> javaClass;
    private final Supplier<S> factory;
    private final Map<String, Field> fields;
    private final long size;
    private final long alignment;
    private final String signature;

    private StructType(Supplier<S> factory, Class<?> javaClass, List<FieldSpec> specs) {
        this.factory = factory;
        this.javaClass = javaClass;
        long[] offsets = new long[specs.size()];
        long at = 0;
        long align = 1;
        StringBuilder sig = new StringBuilder("{").append(javaClass.getSimpleName());
        for (int i = 0; i < specs.size(); i++) {
            FieldSpec spec = specs.get(i);
            long fieldAlign = spec.type().byteAlignment();
            at = (at + fieldAlign - 1) / fieldAlign * fieldAlign;
            offsets[i] = at;
            sig.append(';').append(spec.name()).append(':').append(spec.type().signature());
            at += spec.type().byteSize();
            align = Math.max(align, fieldAlign);
        }
        this.alignment = align;
        this.size = (at + align - 1) / align * align;
        Map<String, Field> byName = new LinkedHashMap<>();
        for (int i = 0; i < specs.size(); i++) {
            FieldSpec spec = specs.get(i);
            if (byName.put(spec.name(), fieldFor(spec.name(), spec.type(), offsets[i])) != null) {
                throw new IllegalArgumentException("field names must be unique within a structure: name='"
                        + spec.name() + "' appears twice in " + javaClass.getSimpleName());
            }
        }
        this.fields = Collections.unmodifiableMap(byName);
        this.signature = sig.append('}').toString();
    }

    /**
     * Declares the structure viewed by the class {@code factory} makes, with its fields in C declaration order.
     *
     * @throws IllegalArgumentException when a field name repeats or a field is invalid
     */
    public static <S extends Struct> StructType<S> define(Supplier<S> factory, FieldSpec... fields) {
        Objects.requireNonNull(factory, "factory");
        S probe = factory.get();
        if (probe == null) {
            throw new IllegalArgumentException("factory must return a new structure object: factory returned null");
        }
        StructType<S> type = new StructType<>(factory, probe.getClass(), List.of(fields));
        BY_CLASS.put(probe.getClass(), type);
        return type;
    }

    /**
     * A field declaration for {@link #define}: like an entry of ctypes' {@code _fields_}.
     *
     * @throws IllegalArgumentException when {@code name} is not a Java identifier
     */
    public static FieldSpec field(String name, DataType type) {
        return new FieldSpec(name, type);
    }

    /**
     * One field declaration.
     *
     * @param name the field's name
     * @param type its C type
     */
    public record FieldSpec(String name, DataType type) {
        /** Checks the declaration. */
        public FieldSpec {
            Objects.requireNonNull(type, "type");
            if (name == null || name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))
                    || !name.chars().allMatch(Character::isJavaIdentifierPart)) {
                throw new IllegalArgumentException("field name must be an identifier: name='" + name + "'");
            }
        }
    }

    private Field fieldFor(String name, DataType type, long offset) {
        return switch (type) {
            case CType<?, ?> c -> c.kind.fieldFactory.create(this, name, type, offset, size);
            case StructType<?> s -> new StructField<>(this, name, s, offset, size);
            case ArrayType a -> new ArrayField(this, name, a, offset, size);
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
    public <T extends Struct> StructField<T> structField(String name, StructType<T> type) {
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

    void copyInto(Struct source, Struct target, long fieldOffset) {
        if (source.type != this) {
            throw new IllegalArgumentException("value must be a " + this + ": value=" + source);
        }
        SharedLock l = target.lock;
        if (l != null) {
            l.lock();
        }
        try {
            MemorySegment.copy(source.segment, source.offset, target.segment, target.offset + fieldOffset, size);
        } finally {
            if (l != null) {
                l.unlock();
            }
        }
    }

    @Override
    void store(MemorySegment segment, long offset, Object value, String param) {
        if (value instanceof Struct s) {
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
            field.type().store(segment, offset + field.offset(), values.get(i++), param + "." + field.name());
        }
    }

    @Override
    Object load(MemorySegment segment, long offset) {
        List<Object> values = new ArrayList<>(fields.size());
        for (Field field : fields.values()) {
            values.add(field.type().load(segment, offset + field.offset()));
        }
        return values;
    }

    String format(MemorySegment segment, long offset) {
        StringBuilder text = new StringBuilder(javaClass.getSimpleName()).append('(');
        String sep = "";
        for (Field field : fields.values()) {
            Object v = field.type().load(segment, offset + field.offset());
            text.append(sep).append(field.name()).append('=')
                    .append(field.type() instanceof CType<?, ?> c ? c.format(v) : v);
            sep = ", ";
        }
        return text.append(')').toString();
    }

    @Override
    public String toString() {
        return javaClass.getSimpleName();
    }
}
