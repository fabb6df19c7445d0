package org.multiprocess4j.internal.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a parent sends its child over the child's standard input, in a compact binary form:
 *
 * <pre>
 *   int    MAGIC
 *   string name, boolean daemon, string status handle
 *   byte   target kind: STATIC_METHOD (class, method, descriptor strings) or SERIALIZED (bytes)
 *   int    argument count, then per argument a kind byte and its value:
 *          NULL | SHARED (handle string) | STRING | INT | LONG | DOUBLE | BOOLEAN | SERIALIZED (bytes)
 * </pre>
 *
 * <p>Strings and byte arrays are an int length and the bytes. Java serialization is used only for targets that
 * capture values and for arguments of other types, each from its own length-bounded bytes: a child whose target
 * is a method reference and whose arguments are shared objects and plain values deserializes nothing, which saves
 * it a third of its start-up (the serialization machinery and the lambda metafactory).
 *
 * @param name      the process's name
 * @param daemon    whether the child ends with its parent
 * @param status    the handle of the status block
 * @param target    what to run
 * @param arguments its arguments
 */
public record Bootstrap(String name, boolean daemon, String status, Target target, List<Argument> arguments) {
    private static final int MAGIC = 0x4D50344B;

    /** What the child runs. */
    public sealed interface Target {
    }

    /**
     * A static method, the target of a method reference or of a lambda that captures nothing.
     *
     * @param className  the class declaring it
     * @param method     its name
     * @param descriptor its JVM descriptor
     */
    public record StaticMethod(String className, String method, String descriptor) implements Target {
    }

    /**
     * Any other target, serialized.
     *
     * @param bytes the serialized target
     */
    public record SerializedTarget(byte[] bytes) implements Target {
    }

    /** One argument. */
    public sealed interface Argument {
    }

    /**
     * A shared object, attached again in the child.
     *
     * @param handle its handle
     */
    public record SharedArgument(String handle) implements Argument {
    }

    /**
     * Null, a String, or a boxed int, long, double or boolean.
     *
     * @param value the value
     */
    public record PlainArgument(Object value) implements Argument {
        /** Whether {@code value} travels as a plain argument. */
        public static boolean accepts(Object value) {
            return value == null || value instanceof String || value instanceof Integer || value instanceof Long
                    || value instanceof Double || value instanceof Boolean;
        }
    }

    /**
     * Any other serializable argument.
     *
     * @param bytes the serialized value
     */
    public record SerializedArgument(byte[] bytes) implements Argument {
    }

    /** The static method a serializable lambda or method reference calls, when it captures nothing. */
    public static StaticMethod staticMethodOf(Serializable target) {
        try {
            Method writeReplace = target.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            if (writeReplace.invoke(target) instanceof SerializedLambda lambda && lambda.getCapturedArgCount() == 0
                    && lambda.getImplMethodKind() == MethodHandleInfo.REF_invokeStatic
                    && !lambda.getFunctionalInterfaceClass().endsWith("$TaskN")) { // TaskN packs its arguments
                return new StaticMethod(lambda.getImplClass().replace('/', '.'), lambda.getImplMethodName(),
                        lambda.getImplMethodSignature());
            }
        } catch (ReflectiveOperationException | RuntimeException notALambda) {
            // Not a lambda, or one in a module that does not open to us: it travels serialized.
        }
        return null;
    }

    /** Serializes one object. @throws IOException when it cannot be */
    public static byte[] serialize(Object value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        return bytes.toByteArray();
    }

    /** Deserializes bytes written by {@link #serialize}, reading nothing beyond them. */
    public static Object deserialize(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            in.setObjectInputFilter(info -> info.streamBytes() > bytes.length || info.depth() > 64
                    ? ObjectInputFilter.Status.REJECTED : ObjectInputFilter.Status.UNDECIDED);
            return in.readObject();
        }
    }

    /** The encoded form, preceded by its length. */
    public byte[] encode() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        out.writeInt(MAGIC);
        writeString(out, name);
        out.writeBoolean(daemon);
        writeString(out, status);
        switch (target) {
            case StaticMethod m -> {
                out.writeByte(1);
                writeString(out, m.className());
                writeString(out, m.method());
                writeString(out, m.descriptor());
            }
            case SerializedTarget s -> {
                out.writeByte(2);
                writeBytes(out, s.bytes());
            }
        }
        out.writeInt(arguments.size());
        for (Argument a : arguments) {
            switch (a) {
                case SharedArgument s -> {
                    out.writeByte(1);
                    writeString(out, s.handle());
                }
                case SerializedArgument s -> {
                    out.writeByte(2);
                    writeBytes(out, s.bytes());
                }
                case PlainArgument(Object v) when v == null -> out.writeByte(3);
                case PlainArgument(String v) -> {
                    out.writeByte(4);
                    writeString(out, v);
                }
                case PlainArgument(Integer v) -> {
                    out.writeByte(5);
                    out.writeInt(v);
                }
                case PlainArgument(Long v) -> {
                    out.writeByte(6);
                    out.writeLong(v);
                }
                case PlainArgument(Double v) -> {
                    out.writeByte(7);
                    out.writeDouble(v);
                }
                case PlainArgument(Boolean v) -> {
                    out.writeByte(8);
                    out.writeBoolean(v);
                }
                case PlainArgument p -> throw new IllegalArgumentException("not a plain argument: " + p.value());
            }
        }
        out.flush();
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        DataOutputStream frame = new DataOutputStream(framed);
        frame.writeInt(body.size());
        body.writeTo(frame);
        frame.flush();
        return framed.toByteArray();
    }

    /** Reads a bootstrap written by {@link #encode()}; reads exactly its bytes from {@code stream}. */
    static Bootstrap decode(InputStream stream) throws IOException {
        DataInputStream frame = new DataInputStream(stream);
        int length = frame.readInt();
        byte[] body = frame.readNBytes(length);
        if (body.length != length) {
            throw new IOException("bootstrap truncated: " + body.length + " of " + length + " bytes");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
        if (in.readInt() != MAGIC) {
            throw new IOException("not a multiprocess4j bootstrap");
        }
        String name = readString(in);
        boolean daemon = in.readBoolean();
        String status = readString(in);
        Target target = switch (in.readByte()) {
            case 1 -> new StaticMethod(readString(in), readString(in), readString(in));
            case 2 -> new SerializedTarget(readBytes(in));
            default -> throw new IOException("bad target kind");
        };
        int count = in.readInt();
        List<Argument> arguments = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            arguments.add(switch (in.readByte()) {
                case 1 -> new SharedArgument(readString(in));
                case 2 -> new SerializedArgument(readBytes(in));
                case 3 -> new PlainArgument(null);
                case 4 -> new PlainArgument(readString(in));
                case 5 -> new PlainArgument(in.readInt());
                case 6 -> new PlainArgument(in.readLong());
                case 7 -> new PlainArgument(in.readDouble());
                case 8 -> new PlainArgument(in.readBoolean());
                default -> throw new IOException("bad argument kind");
            });
        }
        return new Bootstrap(name, daemon, status, target, arguments);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("bootstrap field length out of range: " + length);
        }
        return in.readNBytes(length);
    }
}
