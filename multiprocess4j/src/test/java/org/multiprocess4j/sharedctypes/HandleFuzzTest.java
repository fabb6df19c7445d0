package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessCondition;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.ProcessRLock;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Handles are input: every crafted, damaged or random handle string ends in an {@link IllegalArgumentException}
 * or {@link IllegalStateException}, quickly, never in another throwable and never by running foreign code.
 */
class HandleFuzzTest {
    /** The most one attach of a hostile handle may take: a bound against super-linear work, not a benchmark. */
    private static final long BOUND_NANOS = 100_000_000L;

    static final AtomicBoolean BOMB_INITIALIZED = new AtomicBoolean();

    /** Not a structure: a handle naming it must not run its initializer. */
    static final class Bomb {
        static {
            BOMB_INITIALIZED.set(true);
        }
    }

    private static String signature(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String withField(String handle, int index, String value) {
        return BadInputTest.withField(handle, index, value);
    }

    @Test
    void aHandleNamingAClassThatIsNoStructureNeverInitializesIt() {
        IntValue value = SharedCTypes.rawValue(CType.c_int, 1);
        String handle = withField(value.handle().toString(), 11,
                signature("v{x:i}@" + Bomb.class.getName()));
        var e = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.attach(Handle.parse(handle)));
        assertTrue(e.getMessage().contains("subclass of Struct"), e.getMessage());
        assertFalse(BOMB_INITIALIZED.get(), "the named class's static initializer did not run");
        var thread = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.attach(Handle.parse(
                withField(value.handle().toString(), 11, signature("v{x:i}@java.lang.Thread")))));
        assertTrue(thread.getMessage().contains("class=java.lang.Thread"), thread.getMessage());
    }

    @Test
    void aHugeNestedHandleIsRefusedByLengthInLinearTime() {
        String good = SharedCTypes.value(CType.c_int, 1).handle().toString();
        String nested = (good + "+").repeat(2_000_000 / good.length());
        long start = System.nanoTime();
        var e = assertThrows(IllegalArgumentException.class, () -> Handle.parse(nested));
        assertTrue(System.nanoTime() - start < BOUND_NANOS, "refused in " + (System.nanoTime() - start) + " ns");
        assertTrue(e.getMessage().contains("at most 65536 characters"), e.getMessage());
        String twoLocks = good + "+" + ProcessLock.create().handle();
        var two = assertThrows(IllegalArgumentException.class, () -> Handle.parse(twoLocks));
        assertTrue(two.getMessage().contains("one lock"), two.getMessage());
    }

    @Test
    void aCountWhoseSizeOverflowsIsRefused() {
        IntArray array = SharedCTypes.rawArray(CType.c_int, 3);
        String handle = withField(withField(array.handle().toString(), 10, Long.toString((1L << 62) + 3)), 9,
                Long.toString(((1L << 62) + 3) * 4)); // wraps to 12: the array's real size
        var e = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.attach(Handle.parse(handle)));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    @Test
    void aMisalignedViewIsRefusedAtAttach() {
        LongArray array = SharedCTypes.rawArray(CType.c_longlong, 4);
        String handle = withField(withField(array.handle().toString(), 8, "4"), 9, "16");
        var e = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.attach(Handle.parse(
                withField(handle, 10, "2"))));
        assertTrue(e.getMessage().contains("not aligned"), e.getMessage());
    }

    @Test
    void randomAndMutatedHandlesEndInAClearExceptionQuickly() {
        fuzz(3_000, 42);
    }

    @Tag("soak")
    @Test
    void soakRandomAndMutatedHandles() {
        fuzz(200_000, System.nanoTime());
    }

    /** Attaches {@code rounds} hostile handles made from real ones by a generator seeded with {@code seed}. */
    private static void fuzz(int rounds, long seed) {
        ProcessLock lock = ProcessLock.create();
        List<String> seeds = List.of(
                SharedCTypes.rawValue(CType.c_int, 7).handle().toString(),
                SharedCTypes.rawArray(CType.c_double, 5).handle().toString(),
                SharedCTypes.value(CType.c_long, 3L).handle().toString(),
                SharedCTypes.array(CType.c_char, "text".getBytes(StandardCharsets.US_ASCII), lock).handle().toString(),
                SharedCTypes.rawValue(Point.TYPE).handle().toString(),
                SharedCTypes.rawArray(Point.TYPE, 3).handle().toString(),
                ProcessRLock.create().handle().toString(),
                lock.newCondition().handle().toString());
        Random random = new Random(seed);
        long slowest = 0;
        String slowestInput = "";
        int attached = 0;
        for (int round = 0; round < rounds; round++) {
            String input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            long start = System.nanoTime();
            try {
                SharedObject obj = switch (round % 4) {
                    case 0 -> SharedCTypes.attach(Handle.parse(input));
                    case 1 -> SharedLock.attach(Handle.parse(input));
                    case 2 -> ProcessCondition.attach(Handle.parse(input));
                    default -> IntValue.attach(Handle.parse(input));
                };
                obj.close();
                attached++;
            } catch (IllegalArgumentException | IllegalStateException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty(), "a message");
            } catch (Throwable other) {
                fail("seed " + seed + " round " + round + ": " + other + " for handle '"
                        + (input.length() > 300 ? input.substring(0, 300) + "..." : input) + "'", other);
            }
            long took = System.nanoTime() - start;
            if (took > slowest) {
                slowest = took;
                slowestInput = input;
            }
        }
        System.out.printf("%d hostile handles (seed %d): %d attached, slowest %.2f ms%n", rounds, seed, attached,
                slowest / 1e6);
        assertTrue(slowest < BOUND_NANOS, "slowest input took " + slowest / 1_000_000 + " ms: '"
                + (slowestInput.length() > 300 ? slowestInput.substring(0, 300) + "..." : slowestInput) + "'");
        assertFalse(BOMB_INITIALIZED.get());
    }

    private static final String[] NUMBERS = {"0", "1", "-1", "4", "7", "8", "63", "64", "4096", "65536",
        "2147483647", "2147483648", "4294967295", "4294967296", "4611686018427387907", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "", "00", "+1", "1e3", "0x10"};
    private static final String[] SIGNATURES = {"i", "d", "c", "x", "", "L", "R", "C", "vi", "ai", "vx", "a{",
        "v{x:d,y:d}@org.multiprocess4j.sharedctypes.Point", "v{x:i}@java.lang.Runtime",
        "a{x:d,y:d}@" + Bomb.class.getName(), "v{x:d}@", "v{}@Point", "v{x:d,y:d}@[Ljava.lang.String;",
        "v{x:d,y:d}@no.such.Class", "a{" + "{".repeat(5000), "ai" + "[1]".repeat(15000), "ai[3][x]", "ai[-1]",
        "ai[2147483647][2147483647]", "a{Point;x:d;y:d}[2]@org.multiprocess4j.sharedctypes.Point", "a[3]"};

    /** One of several mutations: a field replaced, characters changed, inserted, deleted or repeated, or parts swapped. */
    private static String mutate(String handle, Random random) {
        String[] parts = handle.split("\\+", -1);
        String own = parts[0];
        String[] f = own.split(":", -1);
        switch (random.nextInt(9)) {
            case 0, 1 -> f[1 + random.nextInt(f.length - 1)] = NUMBERS[random.nextInt(NUMBERS.length)];
            case 2 -> f[f.length - 1] = signature(SIGNATURES[random.nextInt(SIGNATURES.length)]);
            case 3 -> {
                StringBuilder b = new StringBuilder(own);
                for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                    b.setCharAt(random.nextInt(b.length()), (char) (32 + random.nextInt(95)));
                }
                return b + (parts.length > 1 ? "+" + parts[1] : "");
            }
            case 4 -> {
                int at = random.nextInt(handle.length());
                return handle.substring(0, at) + handle.substring(Math.min(handle.length(), at + random.nextInt(8)));
            }
            case 5 -> {
                int at = random.nextInt(handle.length());
                return handle.substring(0, at) + handle.substring(at).repeat(1 + random.nextInt(50));
            }
            case 6 -> {
                return handle + "+" + (random.nextBoolean() ? handle : own);
            }
            case 7 -> {
                byte[] junk = new byte[random.nextInt(200)];
                random.nextBytes(junk);
                return new String(junk, StandardCharsets.ISO_8859_1);
            }
            default -> {
                int a = 1 + random.nextInt(f.length - 1);
                int b = 1 + random.nextInt(f.length - 1);
                String t = f[a];
                f[a] = f[b];
                f[b] = t;
            }
        }
        List<String> joined = new ArrayList<>(List.of(String.join(":", f)));
        if (parts.length > 1) {
            joined.add(parts[1]);
        }
        return String.join("+", joined);
    }
}
