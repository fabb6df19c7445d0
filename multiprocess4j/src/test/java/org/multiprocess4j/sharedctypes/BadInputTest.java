package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessLock;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/** Every kind of bad input: a clear exception of the JDK type that means it, naming the parameter and its value. */
class BadInputTest {

    record Row(String what, Class<? extends Throwable> type, List<String> mentions, Executable action) {
    }

    static IntValue closedValue() {
        IntValue v = SharedCTypes.rawValue(CType.c_int, 1);
        v.close();
        return v;
    }

    /** The handle a value had before it was closed. */
    static Handle handleOfClosedValue() {
        IntValue v = SharedCTypes.rawValue(CType.c_int, 1);
        Handle handle = v.handle();
        v.close();
        return handle;
    }

    static void allocateWithARegularFileAsTheDirectory() throws java.io.IOException {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("mp4j-not-a-directory", "");
        System.setProperty("multiprocess4j.shm.dir", file.toString());
        try {
            SharedCTypes.rawArray(CType.c_byte, 2 << 20); // large enough for an arena of its own
        } finally {
            System.clearProperty("multiprocess4j.shm.dir");
            java.nio.file.Files.delete(file);
        }
    }

    /** One of this process's standard descriptors that is no regular file (a pipe or a terminal, say). */
    static int standardDescriptorThatIsNoRegularFile() {
        for (int fd = 0; fd <= 2; fd++) {
            java.nio.file.Path path = java.nio.file.Path.of("/proc/self/fd/" + fd);
            if (java.nio.file.Files.exists(path) && !java.nio.file.Files.isRegularFile(path)) {
                return fd;
            }
        }
        org.junit.jupiter.api.Assumptions.abort("standard input, output and error are all regular files here");
        return -1;
    }

    /** Attaches {@code handle} in a child, throwing what the child threw. */
    static void attachInAChild(String handle) throws Throwable {
        org.multiprocess4j.ChildProcess child = new org.multiprocess4j.ChildProcess(BadInputTest::attach, handle);
        child.start();
        child.join();
        if (child.exception() != null) {
            throw child.exception();
        }
    }

    static void attach(String handle) {
        SharedCTypes.attach(Handle.parse(handle));
    }

    /**
     * Attaches a handle naming the pipe that is standard input of a process this one started: a descriptor of a
     * process that is neither this one nor its parent, which attach looks at without opening it.
     */
    static void attachAnotherProcessesPipe() throws Exception {
        Process cat = new ProcessBuilder("cat").start();
        try {
            String handle = SharedCTypes.rawValue(CType.c_int, 1).handle().toString();
            handle = withField(handle, 1, Long.toString(cat.pid()));
            handle = withField(handle, 2, Long.toString(
                    org.multiprocess4j.internal.os.Platform.current().processStartTime(cat.pid())));
            SharedCTypes.attach(Handle.parse(withField(withField(handle, 3, "0"), 4, "1234abcd")));
        } finally {
            cat.destroyForcibly().waitFor();
        }
    }

    /** The handle with its field {@code index} (1: pid, 4: arena id, 6: block offset, 7: generation, 8: view) replaced. */
    static String withField(String handle, int index, String value) {
        String[] f = handle.split(":");
        f[index] = value;
        return String.join(":", f);
    }

    @TestFactory
    Stream<DynamicTest> everyBadInputGetsAClearException() {
        IntArray three = SharedCTypes.rawArray(CType.c_int, 3);
        IntValue value = SharedCTypes.rawValue(CType.c_int, 1);
        DoubleValue dbl = SharedCTypes.rawValue(CType.c_double, 1.0);
        String goodHandle = value.handle().toString();
        return Stream.of(
                new Row("unknown typecode", IllegalArgumentException.class, List.of("typecode='x'", "cbBhHiIlLqQfdu?"),
                        () -> SharedCTypes.rawValue('x')),
                new Row("negative length", IllegalArgumentException.class, List.of("size=-1"),
                        () -> SharedCTypes.rawArray(CType.c_int, -1)),
                new Row("value out of range (CPython wraps 300 into a b)", IllegalArgumentException.class,
                        List.of("value=300", "-128..127"), () -> SharedCTypes.rawValue('b', 300)),
                new Row("typed value out of range", IllegalArgumentException.class, List.of("value=256", "0..255"),
                        () -> SharedCTypes.rawValue(CType.c_ubyte).set(256)),
                new Row("initializer element of the wrong type", IllegalArgumentException.class,
                        List.of("initializer[1]", "1.5", "Double"),
                        () -> SharedCTypes.rawArray(CType.c_int, List.of(1, 1.5))),
                new Row("initializer that is no sequence", IllegalArgumentException.class, List.of("initializer=42"),
                        () -> SharedCTypes.rawArray(CType.c_int, (Object) 42)),
                new Row("index out of bounds", IndexOutOfBoundsException.class, List.of("3", "3"),
                        () -> three.get(3)),
                new Row("copying a range of the wrong length", IllegalArgumentException.class,
                        List.of("values.length=2", "to - from = 3"), () -> three.setRange(0, 3, new int[2])),
                new Row("copying a range outside the array", IndexOutOfBoundsException.class,
                        List.of("to=2", "count=2"), () -> three.copyFrom(new int[2], 0, 2, 2)),
                new Row("use after close", IllegalStateException.class, List.of("closed"),
                        () -> closedValue().get()),
                new Row("handle whose memory no longer exists", IllegalStateException.class,
                        List.of("no longer exists"), () -> SharedCTypes.attach(handleOfClosedValue())),
                new Row("handle of a process that has exited", IllegalStateException.class,
                        List.of("no longer exists", "has exited"),
                        () -> SharedCTypes.attach(Handle.parse(withField(withField(goodHandle, 1, "4194304"), 4, "1234abcd")))),
                new Row("handle of another type", IllegalArgumentException.class, List.of("c_double", "IntValue"),
                        () -> IntValue.attach(dbl.handle())),
                new Row("handle of a lock asked for as a value", IllegalArgumentException.class,
                        List.of("does not name a shared value"),
                        () -> SharedCTypes.attach(ProcessLock.create().handle())),
                new Row("handle of a value asked for as a lock", IllegalArgumentException.class,
                        List.of("does not name a ProcessLock"),
                        () -> org.multiprocess4j.SharedLock.attach(value.handle())),
                new Row("garbage handle string", IllegalArgumentException.class, List.of("handle='not a handle'"),
                        () -> Handle.parse("not a handle")),
                new Row("handle with a bad number", IllegalArgumentException.class, List.of("not a number"),
                        () -> Handle.parse(withField(goodHandle, 6, "x1"))),
                new Row("handle with a block outside its arena", IllegalArgumentException.class,
                        List.of("outside its arena"),
                        () -> SharedCTypes.attach(Handle.parse(withField(goodHandle, 6, "99999996")))),
                new Row("handle with a view outside its block", IllegalArgumentException.class,
                        List.of("outside its block"),
                        () -> SharedCTypes.attach(Handle.parse(withField(goodHandle, 8, "8")))),
                new Row("handle to a block freed and allocated again", IllegalStateException.class,
                        List.of("was freed"),
                        () -> SharedCTypes.attach(Handle.parse(withField(goodHandle, 7,
                                Integer.toUnsignedString(Integer.parseUnsignedInt(goodHandle.split(":")[7]) + 1))))),
                new Row("handle to where no block starts", IllegalStateException.class,
                        List.of("no block starts at that offset"),
                        () -> SharedCTypes.attach(Handle.parse(withField(goodHandle, 6,
                                Long.toString(Long.parseLong(goodHandle.split(":")[6]) + 8))))),
                new Row("handle naming its parent's descriptor that is no regular file, attached by a child",
                        IllegalStateException.class, List.of("not a regular file"),
                        () -> attachInAChild(withField(withField(goodHandle, 3,
                                Integer.toString(standardDescriptorThatIsNoRegularFile())), 4, "1234abcd"))),
                new Row("handle naming another process's descriptor that is no regular file (a pipe)",
                        IllegalStateException.class, List.of("not a regular file"),
                        BadInputTest::attachAnotherProcessesPipe),
                new Row("a regular file as the shared-memory directory", IllegalStateException.class,
                        List.of("is not a directory", "multiprocess4j.shm.dir="),
                        BadInputTest::allocateWithARegularFileAsTheDirectory),
                new Row("wrapping a synchronized object", IllegalArgumentException.class,
                        List.of("already synchronized"),
                        () -> SharedCTypes.synchronize(SharedCTypes.value(CType.c_int, 1))),
                new Row("releasing a lock that is not held", IllegalMonitorStateException.class, List.of("not held"),
                        () -> ProcessLock.create().release()),
                new Row("a null field value", IllegalArgumentException.class, List.of("fieldValues.x", "null"),
                        () -> SharedCTypes.rawValue(Point.TYPE, null, 1.0)),
                new Row("a c_char array given a String", IllegalArgumentException.class, List.of("charset"),
                        () -> SharedCTypes.rawArray('c', "text")),
                new Row("a pointer typecode, which means nothing in another process", IllegalArgumentException.class,
                        List.of("typecode='P'", "address space"), () -> SharedCTypes.rawValue('P')),
                new Row("C's long double, which Java lacks", IllegalArgumentException.class,
                        List.of("typecode='g'", "use 'd'"), () -> SharedCTypes.rawArray('g', 3)),
                new Row("a null value (not a silent zero)", IllegalArgumentException.class,
                        List.of("value must not be null", "value=null"), () -> SharedCTypes.value(CType.c_int, null)),
                new Row("a null value by typecode", IllegalArgumentException.class, List.of("value=null"),
                        () -> SharedCTypes.rawValue('d', (Object) null)),
                new Row("a c_char given a String (Python 3 wants bytes)", IllegalArgumentException.class,
                        List.of("not a String", "value=\"x\""), () -> SharedCTypes.rawValue('c', "x")),
                new Row("a c_char given a char with no single byte", IllegalArgumentException.class,
                        List.of("value=\u0100"), () -> SharedCTypes.rawValue('c', '\u0100')),
                new Row("a c_ulong given a negative int: the real range", IllegalArgumentException.class,
                        List.of("0..18446744073709551615", "value=-1"), () -> SharedCTypes.rawValue('L', -1)),
                new Row("a c_ulong given 2^64: the real range", IllegalArgumentException.class,
                        List.of("0..18446744073709551615", "value=18446744073709551616"),
                        () -> SharedCTypes.rawValue('L', java.math.BigInteger.TWO.pow(64))),
                new Row("a c_ubyte given 256", IllegalArgumentException.class,
                        List.of("C unsigned char", "0..255", "value=256"), () -> SharedCTypes.rawValue('B', 256)),
                new Row("a c_byte given 128", IllegalArgumentException.class,
                        List.of("C signed char", "-128..127", "value=128"), () -> SharedCTypes.rawValue('b', 128)),
                new Row("a structure field out of range names the field", IllegalArgumentException.class,
                        List.of("fieldValues.n", "-32768..32767"),
                        () -> SharedCTypes.rawValue(Segment.TYPE, (byte) 1, List.of(), 40000)))
                .map(row -> dynamicTest(row.what(), () -> {
                    Throwable e = assertThrows(Throwable.class, row.action());
                    if (e instanceof org.opentest4j.TestAbortedException aborted) {
                        throw aborted; // an assumption the row could not meet here: skipped, not failed
                    }
                    assertInstanceOf(row.type(), e, row.what());
                    for (String m : row.mentions()) {
                        assertTrue(e.getMessage() != null && e.getMessage().contains(m),
                                row.what() + ": message should mention '" + m + "': " + e.getMessage());
                    }
                }));
    }
}
