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

    /** @serial the string form, checked again on deserialization */
    private final String text;

    private Handle(String text) {
        this.text = text;
    }

    /**
     * Reads a handle from its string form.
     *
     * @throws IllegalArgumentException when {@code text} is not the string form of a handle
     */
    public static Handle parse(String text) {
        HandleCodec.decode(text);
        return new Handle(text);
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
            HandleCodec.decode(text);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidObjectException("not a handle: " + e.getMessage());
        }
    }
}
