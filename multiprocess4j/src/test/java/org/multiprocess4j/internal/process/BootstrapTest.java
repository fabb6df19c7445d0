package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bootstrap's wire form: every field and argument kind round-trips, and damaged input is refused. */
class BootstrapTest {

    private static Bootstrap sample() {
        return new Bootstrap("worker Ω π 子 \uD83D\uDE00", true, 4242, 987_654_321L, "/proc/1/fd/7",
                -0x1234_5678_9ABC_DEF0L, 123_456_789_012L,
                new Bootstrap.StaticMethod("a.b.Ç", "run", "(Ljava/lang/String;)V"),
                List.of(new Bootstrap.SharedArgument("mp4j1:handle"), new Bootstrap.SerializedArgument(new byte[] {1, 2}),
                        new Bootstrap.PlainArgument(null), new Bootstrap.PlainArgument("naïve \u0000 text"),
                        new Bootstrap.PlainArgument(Integer.MIN_VALUE), new Bootstrap.PlainArgument(Long.MIN_VALUE),
                        new Bootstrap.PlainArgument(-0.0), new Bootstrap.PlainArgument(Double.NaN),
                        new Bootstrap.PlainArgument(true)));
    }

    @Test
    void shouldRoundTripEveryFieldAndArgumentKind() throws IOException {
        Bootstrap sent = sample();
        byte[] wire = sent.encode();
        ByteArrayInputStream stream = new ByteArrayInputStream(Arrays.copyOf(wire, wire.length + 5));
        Bootstrap got = Bootstrap.decode(stream);
        assertEquals(5, stream.available(), "reads exactly its own bytes");
        assertEquals(sent.name(), got.name());
        assertEquals(sent.daemon(), got.daemon());
        assertEquals(sent.statusArena(), got.statusArena());
        assertEquals(sent.statusFile(), got.statusFile());
        assertEquals(sent.statusOffset(), got.statusOffset());
        assertEquals(sent.target(), got.target());
        assertEquals(sent.arguments().size(), got.arguments().size());
        for (int i = 0; i < sent.arguments().size(); i++) {
            if (sent.arguments().get(i) instanceof Bootstrap.SerializedArgument s) {
                assertArrayEquals(s.bytes(), ((Bootstrap.SerializedArgument) got.arguments().get(i)).bytes());
            } else {
                assertEquals(sent.arguments().get(i), got.arguments().get(i), "argument " + i);
            }
        }
    }

    @Test
    void shouldRefuseTruncatedOrDamagedInput() throws IOException {
        byte[] wire = sample().encode();
        for (int cut : new int[] {0, 3, 4, 10, wire.length - 1}) {
            assertThrows(IOException.class, () -> Bootstrap.decode(new ByteArrayInputStream(Arrays.copyOf(wire, cut))),
                    "cut at " + cut);
        }
        byte[] badMagic = wire.clone();
        badMagic[4] ^= 1;
        assertThrows(IOException.class, () -> Bootstrap.decode(new ByteArrayInputStream(badMagic)));
        byte[] hugeString = wire.clone();
        hugeString[8] = 0x7F; // the name's length
        assertThrows(IOException.class, () -> Bootstrap.decode(new ByteArrayInputStream(hugeString)));
    }

    @Test
    void aSerializedArrayWhoseLengthExceedsItsBytesIsRefusedBeforeItIsAllocated() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(new long[] {1, 2, 3});
        }
        byte[] stream = bytes.toByteArray();
        // The length, a big-endian int, follows the array class's descriptor: 3 elements, then 24 bytes of them.
        int at = stream.length - 24 - 4;
        assertEquals(3, java.nio.ByteBuffer.wrap(stream, at, 4).getInt());
        assertArrayEquals(new long[] {1, 2, 3}, (long[]) Bootstrap.deserialize(stream, h -> null));
        java.nio.ByteBuffer.wrap(stream).putInt(at, Integer.MAX_VALUE - 8); // 16 GiB, were it allocated
        IOException refused = assertThrows(IOException.class, () -> Bootstrap.deserialize(stream, h -> null));
        assertEquals(java.io.InvalidClassException.class, refused.getClass(), refused.toString());
    }
}
