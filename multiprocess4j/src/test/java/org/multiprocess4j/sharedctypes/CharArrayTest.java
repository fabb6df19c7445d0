package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The string behaviour of {@code c_char} and {@code c_wchar} arrays, as ctypes gives it. */
class CharArrayTest {

    @Test
    void valueShouldStopAtTheFirstNulAndRawValueShouldNot() {
        CharArray s = SharedCTypes.rawArray(CType.c_char, "hello world".getBytes(US_ASCII));
        assertEquals(11, s.length());
        assertEquals("hello world", s.value(US_ASCII));
        s.value("HI".getBytes(US_ASCII));
        assertEquals("HI", s.value(US_ASCII));
        assertArrayEquals("HI\0lo world".getBytes(US_ASCII), s.rawValue());
        s.rawValue("abc".getBytes(US_ASCII));
        assertEquals("abclo world", s.value(US_ASCII));
    }

    @Test
    void valueShouldFillTheBufferWithoutANulWhenItFitsExactly() {
        CharArray s = SharedCTypes.rawArray(CType.c_char, 3);
        s.value("abc".getBytes(US_ASCII));
        assertEquals("abc", s.value(US_ASCII));
    }

    @Test
    void shouldRefuseTextLongerThanTheBufferInsteadOfTruncating() {
        CharArray s = SharedCTypes.rawArray(CType.c_char, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.value("abcd", StandardCharsets.UTF_8));
        assertTrue(e.getMessage().contains("bytes.length=4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.rawValue(new byte[4]));
        assertEquals("", s.value(US_ASCII));
    }

    @Test
    void shouldRefuseAStringInitializerWithoutACharset() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawArray(CType.c_char, "hello"));
        assertTrue(e.getMessage().contains("charset"), e.getMessage());
    }

    @Test
    void shouldEncodeWithTheCharsetGiven() {
        CharArray s = SharedCTypes.rawArray(CType.c_char, 8);
        s.value("é€", StandardCharsets.UTF_8);
        assertEquals(5, s.value().length);
        assertEquals("é€", s.value(StandardCharsets.UTF_8));
    }

    @Test
    void wideArraysShouldHoldAnyCodePoint() {
        WCharArray w = SharedCTypes.rawArray(CType.c_wchar, "h\u00e9llo \uD83D\uDE00");
        assertEquals(7, w.length());
        assertEquals("h\u00e9llo \uD83D\uDE00", w.value());
        w.value("ok");
        assertEquals("ok", w.value());
        assertThrows(IllegalArgumentException.class, () -> w.value("12345678"));
    }

    @Test
    void synchronizedCharArraysShouldKeepValueAndRawAccess() {
        var lock = org.multiprocess4j.ProcessLock.create();
        CharArray s = SharedCTypes.array(CType.c_char, "hello world".getBytes(US_ASCII), lock);
        s.value(s.value(US_ASCII).toUpperCase(), US_ASCII);
        assertEquals("HELLO WORLD", new String(s.getObj() instanceof CharArray raw ? raw.rawValue() : null, US_ASCII));
    }

    @Test
    void aCharValueTakesOneByteAsPython3sCCharDoes() {
        CharValue c = SharedCTypes.rawValue(CType.c_char, new byte[] {'x'});
        assertEquals((byte) 'x', c.get());
        CharValue e = SharedCTypes.value('c', '\u00e9');
        assertEquals((byte) 0xE9, e.get());
    }
}
