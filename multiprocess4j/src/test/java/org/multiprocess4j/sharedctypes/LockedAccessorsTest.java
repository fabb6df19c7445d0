package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.ProcessLock;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.multiprocess4j.sharedctypes.CType.c_char;
import static org.multiprocess4j.sharedctypes.CType.c_int;
import static org.multiprocess4j.sharedctypes.CType.c_wchar;

/**
 * Every accessor of a synchronized object inside {@code getLock().hold()} of a plain, non-reentrant lock: the
 * thread holds the lock already, so none may take it again (it would wait for itself for ever).
 */
class LockedAccessorsTest {

    @Test
    void aCompoundUpdateInsideHoldWorksWithAPlainLock() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            IntArray a = SharedCTypes.array(c_int, new int[] {1, 2, 3}, lock);
            CharArray c = SharedCTypes.array(c_char, new byte[] {'h', 'i', 0, 0}, lock);
            WCharArray w = SharedCTypes.array(c_wchar, "xyz", lock);
            IntValue v = SharedCTypes.value(c_int, 3, lock);
            Point p = SharedCTypes.value(Point.TYPE, List.of(1.0, 2.0), lock);
            StructArray<Point> points = SharedCTypes.array(Point.TYPE, 2, lock);
            Point other = SharedCTypes.rawValue(Point.TYPE, 5.0, 6.0);
            CompletableFuture<Object> done = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> { // a deadlock leaves the future undone: the get below fails
                try (var held = lock.hold()) {
                    assertArrayEquals(new int[] {1, 2, 3}, a.toArray());
                    assertEquals(List.of(1, 2, 3), a.toList());
                    assertEquals(2, a.getValue(1));
                    a.setValue(1, 20);
                    a.setRange(0, 1, new int[] {10});
                    assertEquals(List.of(10, 20, 3), SharedCTypes.copy(a).toList());
                    assertArrayEquals(new byte[] {'h', 'i'}, c.value());
                    c.value(new byte[] {'o', 'k'});
                    assertEquals("xyz", w.value());
                    w.value("ab");
                    assertEquals(3, v.getValue());
                    v.setValue(4);
                    assertEquals(List.of(1.0, 2.0), p.fieldValues());
                    points.set(0, other);
                    assertEquals(5.0, points.get(0).x());
                    done.complete(held);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            done.get(30, TimeUnit.SECONDS);
            assertEquals("ok", new String(c.value()));
            assertEquals(4, v.get());
            for (AutoCloseable o : List.<AutoCloseable>of(a, c, w, v, p, points, other)) {
                o.close();
            }
        }
    }
}
