package org.multiprocess4j.sharedctypes;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.BaseStream;

/** Turns the many shapes an initializer may take (Java arrays, collections, iterables, streams) into a list. */
final class Initializers {
    private Initializers() {
    }

    /** The elements of {@code value}, or null when it is not a sequence. A stream is consumed. */
    static List<?> asList(Object value) {
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Collection<?> collection) {
            return new ArrayList<>(collection);
        }
        if (value instanceof BaseStream<?, ?> stream) {
            List<Object> list = new ArrayList<>();
            stream.iterator().forEachRemaining(list::add);
            return list;
        }
        if (value instanceof Iterable<?> iterable && !(value instanceof SharedArray)) {
            List<Object> list = new ArrayList<>();
            iterable.forEach(list::add);
            return list;
        }
        if (value != null && value.getClass().isArray()) {
            int n = Array.getLength(value);
            List<Object> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(Array.get(value, i));
            }
            return list;
        }
        return null;
    }
}
