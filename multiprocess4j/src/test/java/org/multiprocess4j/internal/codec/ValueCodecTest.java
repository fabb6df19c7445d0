package org.multiprocess4j.internal.codec;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values round-trip through the compact form, and hostile bytes are an IOException, nothing worse. */
class ValueCodecTest {
    record Pair(int a, String b) implements Serializable {
    }

    private static byte[] encode(Object value) throws IOException {
        ValueCodec.Out out = new ValueCodec.Out(0);
        ValueCodec.write(out, value, o -> null);
        return out.toByteArray();
    }

    private static Object decode(byte[] bytes) throws IOException {
        ValueCodec.In in = new ValueCodec.In(bytes);
        Object value = ValueCodec.read(in, h -> null);
        assertTrue(in.atEnd(), "every byte read");
        return value;
    }

    @Test
    void everyKindRoundTrips() throws IOException {
        List<Object> values = Arrays.asList(null, 0, -1, Integer.MIN_VALUE, Long.MAX_VALUE, Double.NaN, -0.0, true,
                false, "", "h\u00e9llo \uD83D\uDE00", new ArrayList<>(List.of(1, "x", List.of(2L))),
                new Pair(3, "z"));
        for (Object v : values) {
            assertEquals(v, decode(encode(v)), String.valueOf(v));
        }
        assertArrayEquals(new byte[] {1, -2}, (byte[]) decode(encode(new byte[] {1, -2})));
        List<Integer> big = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            big.add(i);
        }
        assertEquals(big, decode(encode(big)));
        assertInstanceOf(ArrayList.class, decode(encode(List.of(1, 2))));
        assertThrows(IOException.class, () -> encode(new Object()), "not serializable");
    }

    @Test
    void hostileBytesAreAnIOExceptionOnly() throws IOException {
        Random random = new Random(7);
        byte[] good = encode(new ArrayList<>(List.of(1, "two", 3.0, List.of(4L, new byte[] {5}), new Pair(6, "7"))));
        for (int round = 0; round < 20_000; round++) {
            byte[] bad = round % 2 == 0 ? good.clone() : new byte[random.nextInt(64)];
            if (round % 2 == 0) {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    bad[random.nextInt(bad.length)] = (byte) random.nextInt();
                }
                bad = Arrays.copyOf(bad, random.nextInt(bad.length + 1));
            } else {
                random.nextBytes(bad);
            }
            try {
                ValueCodec.read(new ValueCodec.In(bad), h -> null);
            } catch (IOException expected) {
                // refused clearly
            }
        }
        byte[] deep = new byte[5 * 100];
        for (int i = 0; i < 100; i++) {
            deep[5 * i] = 8; // LIST of one element, a hundred deep
            deep[5 * i + 1] = 1;
        }
        assertThrows(IOException.class, () -> ValueCodec.read(new ValueCodec.In(deep), h -> null));
    }

    @Test
    void whatUtf8OrTheDepthLimitCannotCarryFallsBackToSerialization() throws IOException {
        assertEquals("a\uD800b\uDC00", decode(encode("a\uD800b\uDC00")), "unpaired surrogates kept");
        List<Object> deep = new ArrayList<>(List.of(0));
        for (int i = 1; i < 100; i++) {
            deep = new ArrayList<>(List.of(deep));
        }
        List<Object> deepest = deep;
        ValueCodec.Out out = new ValueCodec.Out(0);
        ValueCodec.write(out, deepest, o -> null);
        assertEquals(deepest.toString(), String.valueOf(ValueCodec.read(new ValueCodec.In(out.toByteArray()),
                h -> null)), "a list 100 deep is written and read back");
        List<Object> self = new ArrayList<>();
        self.add(self);
        assertEquals(1, ((List<?>) decode(encode(self))).size(), "a list that contains itself");
    }
}
