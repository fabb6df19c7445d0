package org.multiprocess4j.internal.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * What a parent sends its child over the child's standard input, in a compact binary form:
 *
 * <pre>
 *   int    MAGIC
 *   string name, boolean daemon, long parent pid, long parent start time,
 *   string status file, long status arena id, long status offset
 *   byte   target kind: STATIC_METHOD (class, method, descriptor strings) or SERIALIZED (bytes)
 *   int    argument count, then per argument a kind byte and its value:
 *          NULL | SHARED (handle string) | STRING | INT | LONG | DOUBLE | BOOLEAN | SERIALIZED (bytes)
 * </pre>
 *
 * <p>Numbers are big-endian; strings are an int count and their UTF-16 code units; byte arrays an int length and
 * the bytes. Java serialization is used only for targets that capture values and for arguments of other types,
 * each from its own length-bounded bytes: a child whose target is a method reference and whose arguments are
 * shared objects and plain values deserializes nothing, which saves it a third of its start-up (the serialization
 * machinery and the lambda metafactory).
 *
 * @param name         the process's name
 * @param daemon       whether the child ends with its parent
 * @param parentPid       the parent's pid
 * @param parentStartTime the parent's start time, which with its pid names it for the life of the machine
 * @param statusFile   the arena file holding the status block, as the child opens it ({@code /proc/<pid>/fd/<n>})
 * @param statusArena  that arena's id, which its header holds
 * @param statusOffset where the status block starts in that file
 * @param target       what to run
 * @param arguments    its arguments
 */
public record Bootstrap(String name, boolean daemon, long parentPid, long parentStartTime, String statusFile, long statusArena, long statusOffset,
                        Target target, List<Argument> arguments) {
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
        SerializedLambda lambda = serializedLambda(target);
        if (lambda != null && lambda.getCapturedArgCount() == 0
                && lambda.getImplMethodKind() == MethodHandleInfo.REF_invokeStatic
                && !lambda.getFunctionalInterfaceClass().endsWith("$TaskN")) { // TaskN packs its arguments
            return new StaticMethod(lambda.getImplClass().replace('/', '.'), lambda.getImplMethodName(),
                    lambda.getImplMethodSignature());
        }
        return null;
    }

    private static SerializedLambda serializedLambda(Serializable value) {
        try {
            Method writeReplace = value.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            return writeReplace.invoke(value) instanceof SerializedLambda lambda ? lambda : null;
        } catch (ReflectiveOperationException | RuntimeException notALambda) {
            return null; // not a lambda, or one in a module that does not open to us
        }
    }

    /**
     * Stands, in a serialized value, for a shared object nested anywhere in it: the object travels as its handle
     * and the child attaches it again in its place.
     *
     * @param handle the shared object's handle
     */
    record SharedReference(String handle) implements Serializable {
    }

    /**
     * Serializes one object; every object nested in it for which {@code handleOf} gives a handle is written as that
     * handle (a {@link SharedReference}).
     *
     * @throws IOException when it cannot be serialized
     */
    public static byte[] serialize(Object value, Function<Object, String> handleOf) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes) {
            {
                enableReplaceObject(true);
            }

            @Override
            protected Object replaceObject(Object obj) {
                String handle = handleOf.apply(obj);
                return handle == null ? obj : new SharedReference(handle);
            }
        }) {
            out.writeObject(value);
        }
        return bytes.toByteArray();
    }

    /**
     * Deserializes bytes written by {@link #serialize}, reading nothing beyond them, and replaces each
     * {@link SharedReference} with what {@code attach} makes of its handle.
     */
    public static Object deserialize(byte[] bytes, Function<String, Object> attach)
            throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes)) {
            {
                enableResolveObject(true);
            }

            @Override
            protected Object resolveObject(Object obj) {
                return obj instanceof SharedReference reference ? attach.apply(reference.handle()) : obj;
            }
        }) {
            // No depth of its own: a graph as deep as the writer's stack let it write (a linked list, say) is read
            // as deep as this thread's stack lets it, as by a plain ObjectInputStream.
            in.setObjectInputFilter(bounded(bytes.length, Long.MAX_VALUE));
            return in.readObject();
        }
    }

    /**
     * A filter for a stream of {@code bytes} bytes that another process wrote: it rejects reading past them, a
     * graph deeper than {@code depth}, and an array longer than the stream (whose elements could not all be in
     * it: a damaged or hostile length would otherwise be allocated before anything is read), and leaves classes to
     * the JVM's own filter ({@code jdk.serialFilter}).
     */
    public static ObjectInputFilter bounded(long bytes, long depth) {
        return info -> info.streamBytes() > bytes || info.depth() > depth || info.arrayLength() > bytes
                ? ObjectInputFilter.Status.REJECTED : ObjectInputFilter.Status.UNDECIDED;
    }

    /** The encoded form, preceded by its length. */
    public byte[] encode() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(body);
        out.writeInt(MAGIC);
        writeString(out, name);
        out.writeBoolean(daemon);
        out.writeLong(parentPid);
        out.writeLong(parentStartTime);
        writeString(out, statusFile);
        out.writeLong(statusArena);
        out.writeLong(statusOffset);
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

    /**
     * Reads a bootstrap written by {@link #encode()}; reads exactly its bytes from {@code stream}. Parsed by hand:
     * {@code DataInputStream} would initialize the JDK's byte-array VarHandles, and decoding UTF-8 its standard
     * charsets, which together cost a child about 3 ms of start-up.
     */
    public static Bootstrap decode(InputStream stream) throws IOException {
        Bootstrap bootstrap = decodeOrNull(stream);
        if (bootstrap == null) {
            throw new IOException("bootstrap truncated: no byte of it");
        }
        return bootstrap;
    }

    /** As {@link #decode}, but null when the stream ends before its first byte: a standby let go unused. */
    public static Bootstrap decodeOrNull(InputStream stream) throws IOException {
        byte[] head = stream.readNBytes(Integer.BYTES);
        if (head.length == 0) {
            return null;
        }
        Cursor frame = new Cursor(head);
        int length = frame.readInt();
        byte[] body = stream.readNBytes(Math.max(0, length));
        if (length < 0 || body.length != length) {
            throw new IOException("bootstrap truncated: " + body.length + " of " + length + " bytes");
        }
        Cursor in = new Cursor(body);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a multiprocess4j bootstrap");
        }
        String name = in.readString();
        boolean daemon = in.readBoolean();
        long parentPid = in.readLong();
        long parentStartTime = in.readLong();
        String statusFile = in.readString();
        long statusArena = in.readLong();
        long statusOffset = in.readLong();
        Target target = switch (in.readByte()) {
            case 1 -> new StaticMethod(in.readString(), in.readString(), in.readString());
            case 2 -> new SerializedTarget(in.readBytes());
            default -> throw new IOException("bad target kind");
        };
        int count = in.readInt();
        if (count < 0 || count > body.length) {
            throw new IOException("bad argument count: " + count);
        }
        List<Argument> arguments = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            arguments.add(switch (in.readByte()) {
                case 1 -> new SharedArgument(in.readString());
                case 2 -> new SerializedArgument(in.readBytes());
                case 3 -> new PlainArgument(null);
                case 4 -> new PlainArgument(in.readString());
                case 5 -> new PlainArgument(in.readInt());
                case 6 -> new PlainArgument(in.readLong());
                case 7 -> new PlainArgument(Double.longBitsToDouble(in.readLong()));
                case 8 -> new PlainArgument(in.readBoolean());
                default -> throw new IOException("bad argument kind");
            });
        }
        return new Bootstrap(name, daemon, parentPid, parentStartTime, statusFile, statusArena, statusOffset, target,
                arguments);
    }

    /** Strings travel as their UTF-16 code units: an int count, then two bytes each, as writeChars writes them. */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        out.writeInt(s.length());
        out.writeChars(s);
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** Reads big-endian values from a byte array, refusing to read past its end. */
    private static final class Cursor {
        private final byte[] bytes;
        private int at;

        Cursor(byte[] bytes) {
            this.bytes = bytes;
        }

        private int take(long count) throws IOException {
            if (count < 0 || count > bytes.length - at) {
                throw new IOException("bootstrap field out of range: " + count + " bytes at " + at + " of "
                        + bytes.length);
            }
            int from = at;
            at += (int) count;
            return from;
        }

        byte readByte() throws IOException {
            return bytes[take(1)];
        }

        boolean readBoolean() throws IOException {
            return readByte() != 0;
        }

        int readInt() throws IOException {
            int p = take(Integer.BYTES);
            return (bytes[p] & 0xFF) << 24 | (bytes[p + 1] & 0xFF) << 16 | (bytes[p + 2] & 0xFF) << 8
                    | bytes[p + 3] & 0xFF;
        }

        long readLong() throws IOException {
            return (long) readInt() << 32 | readInt() & 0xFFFF_FFFFL;
        }

        String readString() throws IOException {
            int length = readInt();
            int p = take(2L * length);
            char[] chars = new char[length];
            for (int i = 0; i < length; i++, p += 2) {
                chars[i] = (char) ((bytes[p] & 0xFF) << 8 | bytes[p + 1] & 0xFF);
            }
            return new String(chars);
        }

        byte[] readBytes() throws IOException {
            int length = readInt();
            int p = take(length);
            return Arrays.copyOfRange(bytes, p, p + length);
        }
    }
}
