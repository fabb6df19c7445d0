package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.multiprocess4j.sharedctypes.StructType.field;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.sharedctypes.Struct;
import org.multiprocess4j.sharedctypes.StructType;

/** Arrays and structures in ZooKeeper nodes: the same C bytes as in shared memory. */
class ClusterDataTest {
    private static Cluster cluster;

    /** {@code struct point { char tag; double x; int y; }}: padding after tag, as C puts it. */
    static final class Point extends Struct<Point> {
        static final StructType<Point> TYPE = StructType.define(Point::new,
                field("tag", CType.c_byte), field("x", CType.c_double), field("y", CType.c_int));

        private Point() {
        }
    }

    /** {@code struct grid { int m[2][3]; }} */
    static final class Grid extends Struct<Grid> {
        static final StructType<Grid> TYPE = StructType.define(Grid::new,
                field("m", CType.c_int.array(3).array(2)));

        private Grid() {
        }
    }

    /** Was a bug: an element of an array of arrays could not be named ("m[1][2]" had "no number in its brackets"). */
    @Test
    void shouldAddressAnElementOfAnArrayOfArraysByOneIndexPerDimension() {
        ClusterStruct g = cluster.struct("grid", Grid.TYPE);
        assertEquals((1 * 3 + 2) * 4, g.offsetOf("m[1][2]"), "int m[2][3]: m[1][2] as C places it");
        g.set("m[1][2]", 42);
        assertEquals(42, g.get("m[1][2]"));
        assertEquals(0, g.get("m[0][2]"));
        for (String bad : new String[] {"m[1]", "m[1][2][0]", "m[1]x[2]", "m[1][", "m[][1]"}) {
            assertThrows(IllegalArgumentException.class, () -> g.get(bad), bad);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> g.get("m[2][0]"));
        assertThrows(IndexOutOfBoundsException.class, () -> g.get("m[0][3]"));
    }

    /** {@code struct segment { struct point a; struct point b; short samples[4]; }} */
    static final class Segment extends Struct<Segment> {
        static final StructType<Segment> TYPE = StructType.define(Segment::new,
                field("a", Point.TYPE), field("b", Point.TYPE), field("samples", CType.c_short.array(4)));

        private Segment() {
        }
    }

    @BeforeAll
    static void connect() {
        cluster = Cluster.connect(SharedEnsemble.config("data-" + UUID.randomUUID()));
    }

    @AfterAll
    static void disconnect() {
        cluster.close();
    }

    @Test
    void shouldKeepAnArrayAsItsCBytesAndSetElementsWithoutLosingAny() throws Exception {
        ClusterArray a = cluster.array("ints", CType.c_int, 8);
        assertEquals(8, a.length());
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ClusterArray mine = cluster.array("ints", CType.c_int, 8);
            int index = t;
            ts[t] = Thread.ofPlatform().start(() -> {
                for (int i = 1; i <= 10; i++) {
                    mine.set(index, i * 100 + index); // racing writes to different elements: none lost
                }
            });
        }
        for (Thread t : ts) {
            t.join();
        }
        assertArrayEquals(new long[] {1000, 1001, 1002, 1003, 0, 0, 0, 0}, a.toLongArray());
        try (var local = SharedCTypes.rawArray(CType.c_int, new int[] {1000, 1001, 1002, 1003, 0, 0, 0, 0})) {
            assertArrayEquals(local.segment().toArray(ValueLayout.JAVA_BYTE), a.bytes(),
                    "the node holds what the shared-memory array holds");
        }
        a.update(b -> b.putInt(4 * 4, b.getInt(0) + b.getInt(4)));
        assertEquals(2001, a.get(4));
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(8));
        assertThrows(IllegalArgumentException.class, () -> a.set(0, 1L << 40));
        assertThrows(IllegalArgumentException.class, () -> cluster.array("ints", CType.c_int, 9));
        assertThrows(IllegalArgumentException.class, () -> cluster.array("ints", CType.c_long, 8));

        ClusterArray d = cluster.array("doubles", CType.c_double, 3);
        d.setDouble(2, 2.5);
        assertArrayEquals(new double[] {0, 0, 2.5}, d.toDoubleArray());
    }

    @Test
    void shouldRefuseAnArrayLargerThanANode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cluster.array("huge", CType.c_double, 200_000));
        assertTrue(e.getMessage().contains("1600000 bytes") && e.getMessage().contains("1000000"), e.getMessage());
    }

    @Test
    void shouldLayOutAStructureAsCDoesAndAddressNestedFields() {
        ClusterStruct s = cluster.struct("segment", Segment.TYPE);
        assertEquals(8, s.offsetOf("a.x"), "a double after a char is padded to 8");
        assertEquals(16, s.offsetOf("a.y"));
        assertEquals(24 + 8, s.offsetOf("b.x"));
        s.set("a.tag", -3);
        s.setDouble("b.x", 1.25);
        s.set("samples[3]", -7);
        assertEquals(-3, s.get("a.tag"));
        assertEquals(1.25, s.getDouble("b.x"));
        assertEquals(-7, s.get("samples[3]"));
        MemorySegment bytes = MemorySegment.ofArray(s.bytes());
        assertEquals(1.25, bytes.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 32));
        assertEquals(Segment.TYPE.byteSize(), bytes.byteSize());
        for (String bad : new String[] {"nope", "a", "a.nope", "samples", "samples[x]", "a.x.y"}) {
            assertThrows(IllegalArgumentException.class, () -> s.get(bad), bad);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> s.get("samples[4]"));
        assertEquals("index must be within 0..3: field=\"samples[-1]\"",
                assertThrows(IndexOutOfBoundsException.class, () -> s.get("samples[-1]")).getMessage());
        assertThrows(UnsupportedOperationException.class, () -> s.get("a.x"));
        assertThrows(IllegalArgumentException.class, () -> cluster.struct("segment", Point.TYPE));
    }
}
