package org.multiprocess4j;

import org.multiprocess4j.internal.memory.HandleCodec;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;

/**
 * A small value naming one shared object, from which another JVM of the same user attaches to the very same
 * memory. Its {@linkplain #toString() string form} and its serialized form carry the same information; a handle
 * is valid while the process that created the object is alive and the object is open there.
 *
 * {@snippet :
 * IntValue counter = SharedCTypes.rawValue(CType.c_int, 0);
 * String text = counter.handle().toString();        // send it to another JVM by any means
 * // ... in the other JVM:
 * IntValue same = IntValue.attach(Handle.parse(text));
 * }
 */
public final class Handle implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    static {
        HandleCodec.register(new HandleCodec.Access() {
            @Override
            public HandleCodec.HandleData data(Object handle) {
                return ((Handle) handle).data;
            }

            @Override
            public Object handle(String text, HandleCodec.HandleData data) {
                return new Handle(text, data);
            }
        });
    }

    /** What a handle names. */
    public enum Kind {
        /** A shared value of a C type, or a structure ({@code SharedCTypes.value}, {@code rawValue}). */
        VALUE,
        /** A shared array, or a view of one ({@code SharedCTypes.array}, {@code rawArray}, {@code slice}). */
        ARRAY,
        /** A {@link ProcessLock}. */
        LOCK,
        /** A {@link ProcessRLock}. */
        RLOCK,
        /** A {@link ProcessCondition}, with its lock. */
        CONDITION,
        /** A {@link ProcessSemaphore}. */
        SEMAPHORE,
        /** A {@link ProcessEvent}. */
        EVENT,
        /** A {@link ProcessBarrier}. */
        BARRIER,
        /** A {@link ProcessQueue}. */
        QUEUE
    }

    /** @serial the string form, decoded again and checked on deserialization */
    private final String text;
    /** The string form decoded, once, when the handle was made or read. */
    private transient HandleCodec.HandleData data;

    private Handle(String text, HandleCodec.HandleData data) {
        this.text = text;
        this.data = data;
    }

    /**
     * Reads a handle from its string form, the documented format of {@code docs/FORMAT.md}. The text is decoded
     * here, once; attaching uses the decoded form.
     *
     * @throws IllegalArgumentException when {@code text} is not the string form of a handle, naming the rule
     */
    public static Handle parse(String text) {
        return new Handle(text, HandleCodec.decode(text));
    }

    /** What the handle names. */
    public Kind kind() {
        return switch (data.kind()) {
            case 'v' -> Kind.VALUE;
            case 'a' -> Kind.ARRAY;
            case 'L' -> Kind.LOCK;
            case 'R' -> Kind.RLOCK;
            case 'C' -> Kind.CONDITION;
            case 'S' -> Kind.SEMAPHORE;
            case 'E' -> Kind.EVENT;
            case 'B' -> Kind.BARRIER;
            default -> Kind.QUEUE; // decoding admits no other kind
        };
    }

    /** Whether the object is synchronized: its handle names its lock too (always so for a condition). */
    public boolean hasLock() {
        return data.lock() != null;
    }

    /** The pid of the process that created the object and owns its memory. */
    public long creatorPid() {
        return data.arena().creatorPid();
    }

    /** The string form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Handle that && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Serial
    private void readObject(ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        try {
            data = HandleCodec.decode(text);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidObjectException("not a handle: " + e.getMessage());
        }
    }
}
