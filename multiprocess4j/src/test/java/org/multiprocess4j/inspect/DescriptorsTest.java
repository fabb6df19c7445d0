package org.multiprocess4j.inspect;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.internal.memory.ArenaRef;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A block's descriptor is read as hostile text: what does not parse leaves the object as its layout told it. */
class DescriptorsTest {
    private static final Inspector.ObjectView DATA = new Inspector.ObjectView(128, 24, "data", "", 1, "",
            "a value, array or structure");
    private static final ArenaRef CREATOR = new ArenaRef(42, 7, 5, 0xabcL, 262144);

    private static Inspector.ObjectView read(String descriptor) {
        return Descriptors.describe(DATA, ByteBuffer.wrap(descriptor.getBytes(StandardCharsets.UTF_8)), 9, CREATOR);
    }

    /** As {@link #read(String)}, for a block of {@code bytes} bytes. */
    private static Inspector.ObjectView read(String descriptor, long bytes) {
        return Descriptors.describe(new Inspector.ObjectView(128, bytes, "data", "", 1, "", "a value"),
                ByteBuffer.wrap(descriptor.getBytes(StandardCharsets.UTF_8)), 9, CREATOR);
    }

    @Test
    void typesAreShownInCWords() {
        assertEquals("c_int", Descriptors.pretty("i"));
        assertEquals("c_double[3][2]", Descriptors.pretty("d[3][2]"));
        assertEquals("struct Point", Descriptors.pretty("{Point;x:d;y:d}"));
        assertEquals("union U[4]", Descriptors.pretty("{U|UP1;a:i;b:{In;c:c}}[4]"));
        assertEquals("struct Outer", Descriptors.pretty("{Outer;in:{Inner;x:i[2]};n:q}"));
        for (String odd : List.of("", "x", "i[", "i[3", "i[-1]", "{Open;x:i", "ii", "i]")) {
            assertEquals(odd, Descriptors.pretty(odd), "shown as it is: " + odd);
        }
    }

    @Test
    void aDescriptorGivesKindTypeLengthAndTheHandle() {
        Inspector.ObjectView array = read("3\na{Point;x:d;y:d}@org.example.Point", 48);
        assertEquals(List.of("array", "struct Point", 3L), List.of(array.kind(), array.type(), array.length()));
        assertEquals("mp4j1:42:7:5:abc:262144:128:9:0:48:3:"
                + "YXtQb2ludDt4OmQ7eTpkfUBvcmcuZXhhbXBsZS5Qb2ludA", array.handle());
        Inspector.ObjectView synced = read("1\nvq\nmp4j1:42:7:5:abc:262144:64:8:0:64:1:Ug", 8);
        assertEquals("mp4j1:42:7:5:abc:262144:128:9:0:8:1:dnE+mp4j1:42:7:5:abc:262144:64:8:0:64:1:Ug",
                synced.handle());
        Inspector.ObjectView empty = read("3\nai[0]", 1);
        assertEquals("mp4j1:42:7:5:abc:262144:128:9:0:0:3:YWlbMF0", empty.handle(),
                "three zero-byte rows: 0 bytes, as the library's own handle has it, in a 1-byte block");
        Inspector.ObjectView tooBig = read("1\nvq\nmp4j1:42:7:5:abc:262144:64:8:0:64:1:Ug", 24);
        assertEquals(List.of("", "its descriptor names 8 bytes of its type, where its block holds 24"),
                List.of(tooBig.handle(), tooBig.state()), "a handle the library would refuse is not shown");
        Inspector.ObjectView internal = read("-\na child process's status");
        assertEquals(List.of("internal", "a child process's status", ""), List.of(internal.kind(), internal.type(),
                internal.handle()));
        Inspector.ObjectView notALock = read("1\nL", 64);
        assertEquals("its memory does not hold a lock's layout", notALock.state());
        Inspector.ObjectView attached = Descriptors.describe(DATA, ByteBuffer.wrap("1\nvi".getBytes(
                StandardCharsets.UTF_8)), 9, null);
        assertEquals("", attached.handle(), "no handle for an arena the process did not create");
    }

    @Test
    void aDescriptorThatDoesNotParseIsIgnored() {
        for (String bad : List.of("", "\n", "1", "x\nvi", "-1\nvi", "1\n", "1\nZ", "1\nLL", "1\nvi\nmore\nparts",
                "99999999999999999999\nai", "1\nv\u0007i", "1\nvi\u001b[2J", "- \nphrase", "-\nphrase\nmore",
                "-\na \u009b2J phrase", "1\nv{S\u009b;x:i}", "-\nright\u202eto left", "1\nvi\u0085")) {
            assertSame(DATA, read(bad), "ignored: " + bad.replace("\n", "\\n"));
        }
        assertSame(DATA, Descriptors.describe(DATA, ByteBuffer.wrap(new byte[] {'1', '\n', 'v', (byte) 0xC3}), 9,
                CREATOR), "malformed UTF-8");
        Inspector.ObjectView hostileLock = read("1\nvi\nmp4j1:\u00e9 nope", 4);
        assertEquals("", hostileLock.handle(), "a synchronized object whose lock part is not a lock's handle: none");
        assertEquals("its descriptor makes no handle the library takes", hostileLock.state());
        Inspector.ObjectView valueAsLock = read("1\nvi\nmp4j1:42:7:5:abc:262144:256:9:0:4:1:dmk", 4);
        assertEquals("", valueAsLock.handle(), "a lock part naming a value");
        Inspector.ObjectView synced = read("1\nvi\nmp4j1:42:7:5:abc:262144:256:9:0:64:1:TA", 4);
        assertEquals("mp4j1:42:7:5:abc:262144:128:9:0:4:1:dmk+mp4j1:42:7:5:abc:262144:256:9:0:64:1:TA",
                synced.handle());
    }
}
