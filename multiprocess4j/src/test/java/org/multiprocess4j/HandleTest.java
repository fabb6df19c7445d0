package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handles as values: what they name, read once from their documented string form. */
class HandleTest {

    @Test
    void shouldNameWhatItRefersTo() {
        try (IntValue v = SharedCTypes.rawValue(CType.c_int, 1); IntArray a = SharedCTypes.array(CType.c_int, 3);
             ProcessLock lock = ProcessLock.create(); ProcessRLock rlock = ProcessRLock.create()) {
            ProcessCondition condition = lock.newCondition();
            assertEquals(Handle.Kind.VALUE, v.handle().kind());
            assertEquals(Handle.Kind.ARRAY, a.handle().kind());
            assertEquals(Handle.Kind.ARRAY, a.slice(0, 3, 2).handle().kind());
            assertEquals(Handle.Kind.LOCK, lock.handle().kind());
            assertEquals(Handle.Kind.RLOCK, rlock.handle().kind());
            assertEquals(Handle.Kind.CONDITION, condition.handle().kind());
            assertFalse(v.handle().hasLock());
            assertTrue(a.handle().hasLock());
            assertTrue(condition.handle().hasLock());
            assertEquals(ProcessHandle.current().pid(), v.handle().creatorPid());
            condition.close();
        }
    }

    @Test
    void shouldReadBackItsStringAndSerializedFormsEqual() throws Exception {
        try (IntArray a = SharedCTypes.array(CType.c_int, 3)) {
            Handle h = a.handle();
            Handle parsed = Handle.parse(h.toString());
            assertEquals(h, parsed);
            assertEquals(h.kind(), parsed.kind());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(h);
            }
            Handle read;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                read = (Handle) in.readObject();
            }
            assertEquals(h, read);
            assertEquals(Handle.Kind.ARRAY, read.kind(), "a deserialized handle is decoded too");
            IntArray same = IntArray.attach(read);
            same.set(1, 5);
            assertEquals(5, a.get(1));
        }
    }

    @Test
    void shouldRefuseASignatureThatNamesNoKind() {
        try (IntValue v = SharedCTypes.rawValue(CType.c_int, 1)) {
            String text = v.handle().toString();
            String sig = text.substring(text.lastIndexOf(':') + 1);
            String other = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("xi".getBytes());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Handle.parse(text.replace(sig, other)));
            assertTrue(e.getMessage().contains("names no kind of object"), e.getMessage());
        }
    }

    /** {@code text} with field {@code index} (0: the prefix) replaced by {@code value}. */
    private static String withField(String text, int index, String value) {
        String[] f = text.split(":", -1);
        f[index] = value;
        return String.join(":", f);
    }

    @Test
    void shouldTakeOnlyWhatTheFormatSays() {
        try (IntValue v = SharedCTypes.rawValue(CType.c_int, 1);
             ProcessLock lock = ProcessLock.create();
             ProcessEvent event = ProcessEvent.create()) {
            String text = v.handle().toString();
            String[] f = text.split(":");
            String arabicPid = f[1].chars().mapToObj(c -> String.valueOf((char) ('\u0660' + c - '0')))
                    .collect(java.util.stream.Collectors.joining());
            for (String bad : new String[] {withField(text, 1, arabicPid), withField(text, 1, "+" + f[1]),
                    withField(text, 4, f[4].toUpperCase(java.util.Locale.ROOT).replace("0X", "")),
                    withField(text, 4, f[4] + "0000000000000000")}) {
                if (bad.equals(text)) {
                    continue; // an arena id with no letter has no upper case
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Handle.parse(bad));
                assertTrue(e.getMessage().contains("handle='"), e.getMessage());
            }
            try (SharedObject one = SharedCTypes.rawValue(CType.c_byte)) { // its type needs no alignment
                String[] b = one.handle().toString().split(":");
                long off = Long.parseLong(b[6]) + 1;
                String misaligned = withField(one.handle().toString(), 6, Long.toString(off));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> SharedCTypes.attach(Handle.parse(misaligned)));
                assertTrue(e.getMessage().contains("offset=" + off) && e.getMessage().contains("multiple of 8"),
                        e.getMessage());
            }
            String lockWithLock = lock.handle() + "+" + lock.handle();
            assertThrows(IllegalArgumentException.class, () -> ProcessLock.attach(Handle.parse(lockWithLock)));
            String[] g = event.handle().toString().split(":", -1);
            g[10] = "1/8";
            String strided = String.join(":", g);
            assertThrows(IllegalArgumentException.class, () -> ProcessEvent.attach(Handle.parse(strided)));
        }
    }

    @Test
    void oneObjectHasOneTextNoPaddingLeadingZerosOrOtherDigits() {
        try (IntValue v = SharedCTypes.rawValue(CType.c_int, 1); ProcessLock lock = ProcessLock.create()) {
            String text = v.handle().toString();
            String[] f = text.split(":");
            java.util.function.Function<String, String> signature = sig -> java.util.Base64.getUrlEncoder()
                    .withoutPadding().encodeToString(sig.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("dmk", f[11], "the signature vi");
            // Leading zeros, padding, and stray low bits in the last base64 character ("dml" decodes to "vi" too).
            for (String bad : new String[] {withField(text, 6, "0" + f[6]), withField(text, 9, "04"),
                    withField(text, 4, "0" + f[4]),
                    withField(text, 11, "dmk="), withField(text, 11, "dml")}) {
                assertThrows(IllegalArgumentException.class, () -> Handle.parse(bad), bad);
            }
            IllegalArgumentException fd = assertThrows(IllegalArgumentException.class,
                    () -> Handle.parse(withField(text, 3, "2147483648")));
            assertTrue(fd.getMessage().contains("descriptor='2147483648'"), fd.getMessage());
            for (String length : new String[] {"+3", "\u0663", "03", ""}) {
                Handle h = Handle.parse(withField(withField(text, 11, signature.apply("ai[" + length + "]")), 9, "12"));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> SharedCTypes.attach(h), length);
                assertTrue(e.getMessage().contains("bad array length"), e.getMessage());
            }
            ProcessCondition condition = lock.newCondition();
            String counted = withField(condition.handle().toString(), 10, "99/8");
            assertThrows(IllegalArgumentException.class, () -> ProcessCondition.attach(Handle.parse(counted)));
            condition.close();
        }
    }
}
