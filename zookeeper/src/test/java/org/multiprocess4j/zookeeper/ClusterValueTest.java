package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.multiprocess4j.sharedctypes.CType;

class ClusterValueTest {
    private static Cluster cluster;

    @BeforeAll
    static void connect() {
        cluster = Cluster.connect(SharedEnsemble.config("values-" + UUID.randomUUID()));
    }

    @AfterAll
    static void disconnect() {
        cluster.close();
    }

    static List<CType<?, ?>> integerTypes() {
        return List.of(CType.c_byte, CType.c_ubyte, CType.c_short, CType.c_ushort, CType.c_int, CType.c_uint,
                CType.c_long, CType.c_ulong, CType.c_longlong, CType.c_ulonglong);
    }

    @ParameterizedTest
    @MethodSource("integerTypes")
    void shouldKeepEveryIntegerTypeAsItsCBytes(CType<?, ?> type) throws Exception {
        ClusterValue v = cluster.value("int-" + type.ctypesName(), type);
        int bits = (int) type.byteSize() * 8;
        boolean unsigned = "BHILQ".indexOf(type.typecode()) >= 0;
        long max = bits == 64 ? (unsigned ? -1L : Long.MAX_VALUE) : unsigned ? (1L << bits) - 1 : (1L << (bits - 1)) - 1;
        v.set(max);
        assertEquals(max, v.get());
        byte[] node = cluster.client().getData().forPath("/values/int-" + type.ctypesName());
        MemorySegment c = MemorySegment.ofArray(new byte[bits / 8]);
        switch (bits) {
            case 8 -> c.set(ValueLayout.JAVA_BYTE, 0, (byte) max);
            case 16 -> c.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) max);
            case 32 -> c.set(ValueLayout.JAVA_INT_UNALIGNED, 0, (int) max);
            default -> c.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, max);
        }
        assertArrayEquals(c.toArray(ValueLayout.JAVA_BYTE), node, "the node holds the value's C bytes");
        long wrapped = v.incrementAndGet(); // wraps at the width, as C does
        assertEquals(unsigned ? 0 : (bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1))), wrapped);
        assertTrue(v.compareAndSet(wrapped, 7));
        assertFalse(v.compareAndSet(wrapped, 8));
        assertEquals(7, v.getAndSet(9));
        assertEquals(9, v.getAndAdd(3));
        assertEquals(12, cluster.value("int-" + type.ctypesName(), type).get(), "a second object reads it");
        if (bits < 64) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.set(max + 1));
            assertTrue(e.getMessage().contains("value=" + (max + 1)), e.getMessage());
        }
        assertThrows(UnsupportedOperationException.class, v::getDouble);
    }

    @Test
    void shouldAddFloatingValues() {
        ClusterValue d = cluster.value("double", CType.c_double);
        d.setDouble(1.5);
        assertEquals(1.5, d.getAndAddDouble(2.25));
        assertEquals(3.75, d.getDouble());
        assertTrue(d.compareAndSetDouble(3.75, -0.5));
        ClusterValue f = cluster.value("float", CType.c_float);
        f.setDouble(0.1);
        assertEquals(0.1f, (float) f.getDouble());
        assertThrows(UnsupportedOperationException.class, f::get);
    }

    @Test
    void shouldRefuseAValueOfAnotherType() {
        cluster.value("typed", CType.c_int);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cluster.value("typed", CType.c_double));
        assertTrue(e.getMessage().contains("c_int") && e.getMessage().contains("c_double"), e.getMessage());
        assertEquals(0, cluster.value("typed", CType.c_int).get());
    }

    @Test
    void shouldRefuseBadNamesAndTypes() {
        for (String bad : new String[] {"", "a/b", "..", "x y", "a".repeat(201)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cluster.value(bad, CType.c_int));
            assertTrue(e.getMessage().startsWith("name must be"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> cluster.value("chars", CType.c_char));
        assertThrows(IllegalArgumentException.class, () -> cluster.counter("c", 0));
    }

    @Test
    void shouldSumAStripedCounter() throws Exception {
        ClusterCounter counter = cluster.counter("hits", 4);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50; i++) {
                    counter.increment();
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(200, counter.sum());
        assertEquals(200, cluster.counter("hits", 4).sum());
        assertThrows(IllegalArgumentException.class, () -> cluster.counter("hits", 8));
    }

    @Test
    void shouldCountExactlyWithThreadsRacingOnOneValue() throws Exception {
        ClusterValue v = cluster.value("raced", CType.c_long);
        int threads = 4;
        int each = 50;
        long[][] seen = new long[threads][each];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            ClusterValue mine = cluster.value("raced", CType.c_long); // objects of their own: no shared cache
            ts[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    seen[me][i] = mine.getAndAdd(1);
                }
            });
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(threads * each, v.get());
        assertEquals(threads * each, java.util.Arrays.stream(seen).flatMapToLong(java.util.Arrays::stream)
                .distinct().count(), "every getAndAdd saw a different value");
    }
}
