package org.multiprocess4j.internal.memory;

import org.multiprocess4j.internal.events.Events;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The string form of a handle:
 * {@code mp4j1:<pid>:<start time>:<fd>:<arena id hex>:<arena size>:<block>:<generation>:<view>:<bytes>:<count>[/<stride>]:<signature>[+<lock>]},
 * where {@code <block>} is the offset of the block in its arena, {@code <generation>} which allocation there it
 * is, {@code <view>} where the object starts in the
 * block, {@code <stride>} the distance between the elements of an array view with a step (absent when they are
 * contiguous), the signature (the object's kind and C type) is base64url without padding and {@code <lock>} is the
 * handle of the lock of a synchronized object (a lock's handle has no lock part). A handle is at most
 * {@value #MAX_LENGTH} characters long. The grammar, for other languages, is in {@code docs/FORMAT.md}.
 */
public final class HandleCodec {
    private static final String PREFIX = "mp4j1";
    private static final int FIELDS = 12;
    /** The longest handle accepted, in characters: far above any real one, and a bound on the work input can ask. */
    public static final int MAX_LENGTH = 65_536;

    private HandleCodec() {
    }

    /** The kinds of object a handle names, by the first character of its signature: {@code v a L R C S E B Q}. */
    public static final String KINDS = "vaLRCSEBQ";

    /**
     * What a handle says. {@code stride} is the distance in bytes between the elements of an array view with a
     * step, or 0 when they are contiguous; {@code lock} is the lock's handle text, or null, and {@code lockData}
     * that handle decoded (null in a record made for encoding).
     */
    public record HandleData(String signature, ArenaRef arena, long block, int generation, long view, long bytes,
                             long count, long stride, String lock, HandleData lockData) {
        /** A record to encode, of contiguous memory without a lock. */
        public HandleData(String signature, ArenaRef arena, long block, int generation, long view, long bytes,
                          long count) {
            this(signature, arena, block, generation, view, bytes, count, 0, null, null);
        }

        /** The kind of object, one of {@link #KINDS}: the signature's first character. */
        public char kind() {
            return signature.charAt(0);
        }
    }

    /**
     * How the public {@code Handle} shares its decoded form with the packages that attach, without a public
     * method: it registers itself here when its class initializes (the JDK's {@code SharedSecrets} pattern).
     */
    public interface Access {
        /** The decoded form a handle object holds. */
        HandleData data(Object handle);

        /** A handle object for text already decoded into {@code data}. */
        Object handle(String text, HandleData data);
    }

    private static volatile Access access;

    /** Called once, by the handle class's static initializer. */
    public static void register(Access handles) {
        access = handles;
    }

    /** The decoded form of a handle object (of the public handle class), decoded when it was made. */
    public static HandleData decoded(Object handle) {
        java.util.Objects.requireNonNull(handle, "handle");
        return access.data(handle); // an instance exists, so its class has registered
    }

    /**
     * A handle object for {@code data}, encoded once and never decoded: a record with a lock part carries the
     * lock's decoded form too ({@link #decoded} of the lock's handle).
     */
    public static Object handleOf(HandleData data) {
        if (data.lock() != null && data.lockData() == null) {
            throw new IllegalArgumentException("a handle's lock part needs its decoded form: lock=" + data.lock());
        }
        return handles().handle(encode(data), data);
    }

    /** A handle object for text already decoded into {@code data} (a lock part, for one). */
    public static Object handle(String text, HandleData data) {
        return handles().handle(text, data);
    }

    private static Access handles() {
        Access a = access;
        if (a == null) {
            try {
                Class.forName("org.multiprocess4j.Handle", true, HandleCodec.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("the handle class is missing from the library", e);
            }
            a = access;
        }
        return a;
    }

    public static String encode(HandleData data) {
        ArenaRef a = data.arena();
        String text = String.join(":", PREFIX, Long.toString(a.creatorPid()), Long.toString(a.creatorStartTime()),
                Integer.toString(a.fd()), Long.toHexString(a.arenaId()), Long.toString(a.size()),
                Long.toString(data.block()), Integer.toUnsignedString(data.generation()), Long.toString(data.view()),
                Long.toString(data.bytes()),
                data.stride() == 0 ? Long.toString(data.count()) : data.count() + "/" + data.stride(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(
                        data.signature().getBytes(StandardCharsets.UTF_8)));
        return data.lock() == null ? text : text + "+" + data.lock();
    }

    /**
     * Decodes a handle's string form in time linear in its length, without recursion: the lock part of a
     * synchronized object's handle is a lock's handle, which has no lock part of its own.
     *
     * @throws IllegalArgumentException naming the handle and what is wrong with it
     */
    public static HandleData decode(String text) {
        try {
            return decodeOrThrow(text);
        } catch (IllegalArgumentException e) {
            Events.attachRefused(text == null ? "null" : text.length() > 512 ? text.substring(0, 512) + "..." : text,
                    e.getMessage());
            throw e;
        }
    }

    /** {@code text} decoded, or null when it is not a handle: {@link #decode} without its event, for an inspection. */
    public static HandleData decodedOrNull(String text) {
        try {
            return decodeOrThrow(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static HandleData decodeOrThrow(String text) {
        if (text == null) {
            throw new IllegalArgumentException("handle must not be null");
        }
        if (text.length() > MAX_LENGTH) {
            throw bad(text, "must be at most " + MAX_LENGTH + " characters long, is " + text.length());
        }
        int plus = text.indexOf('+');
        if (plus < 0) {
            return decodeOne(text, text, null, null);
        }
        String lock = text.substring(plus + 1);
        if (lock.indexOf('+') >= 0) {
            throw bad(text, "may name one lock, and a lock's handle names no lock of its own");
        }
        HandleData lockData = decodeOne(lock, text, null, null);
        return decodeOne(text.substring(0, plus), text, lock, lockData);
    }

    /** Decodes one object's part of {@code whole}; errors name {@code whole}. */
    private static HandleData decodeOne(String own, String whole, String lock, HandleData lockData) {
        String[] f = own.split(":", FIELDS + 1);
        if (f.length != FIELDS || !f[0].equals(PREFIX)) {
            throw bad(whole, "must have " + FIELDS + " ':'-separated fields starting with " + PREFIX);
        }
        if (!lowerHex(f[4])) {
            throw bad(whole, "has an arena id that is not 1 to 16 lower-case hexadecimal digits without "
                    + "leading zeros");
        }
        long fd = number(f[3], "descriptor", Integer.MAX_VALUE, whole);
        ArenaRef arena = new ArenaRef(number(f[1], "pid", Long.MAX_VALUE, whole),
                number(f[2], "start time", Long.MAX_VALUE, whole), (int) fd, Long.parseUnsignedLong(f[4], 16),
                number(f[5], "arena size", Long.MAX_VALUE, whole));
        byte[] signatureBytes;
        try {
            signatureBytes = Base64.getUrlDecoder().decode(f[11]);
        } catch (IllegalArgumentException e) {
            throw bad(whole, "has a type signature that is not base64url");
        }
        String signature = new String(signatureBytes, StandardCharsets.UTF_8);
        // One object, one text: no padding, no stray bits, UTF-8 that round-trips.
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(signature.getBytes(StandardCharsets.UTF_8))
                .equals(f[11])) {
            throw bad(whole, "has a type signature that is not the unpadded base64url of UTF-8 text");
        }
        if (signature.isEmpty() || KINDS.indexOf(signature.charAt(0)) < 0) {
            throw bad(whole, "has a signature that names no kind of object (one of " + KINDS + ")");
        }
        int slash = f[10].indexOf('/');
        long count = number(slash < 0 ? f[10] : f[10].substring(0, slash), "count", Long.MAX_VALUE, whole);
        long stride = slash < 0 ? 0 : number(f[10].substring(slash + 1), "stride", Long.MAX_VALUE, whole);
        if (slash >= 0 && stride == 0) {
            throw bad(whole, "has a stride of 0; a contiguous array's handle has none");
        }
        return new HandleData(signature, arena, number(f[6], "block offset", Long.MAX_VALUE, whole),
                (int) number(f[7], "generation", 0xFFFF_FFFFL, whole), number(f[8], "view offset", Long.MAX_VALUE,
                whole), number(f[9], "byte count", Long.MAX_VALUE, whole), count, stride, lock, lockData);
    }

    /**
     * Field {@code field}, named {@code name}, as a number from 0 to {@code most}: ASCII decimal digits without a
     * sign or a leading zero, as the format's numbers are written ({@code Long.parseLong} would take a sign, any
     * script's digits and leading zeros, which would give one object texts that compare unequal).
     */
    private static long number(String field, String name, long most, String whole) {
        long value = decimal(field, 0, field.length(), most);
        if (value < 0) {
            throw bad(whole, "has a " + name + " that is not a number from 0 to " + most + " in decimal digits "
                    + "without leading zeros: " + name + "='" + (field.length() > 40 ? field.substring(0, 40) + "..."
                    : field) + "'");
        }
        return value;
    }

    /**
     * The number {@code text[from, to)} writes, as the format writes numbers (handle fields, array lengths in
     * signatures): ASCII decimal digits without a sign or a leading zero, at most {@code most}; -1 when it is not one.
     */
    public static long decimal(CharSequence text, int from, int to, long most) {
        if (to <= from || to - from > 19 || (to - from > 1 && text.charAt(from) == '0')) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            if (value > (Long.MAX_VALUE - (c - '0')) / 10) {
                return -1; // beyond 2^63 - 1
            }
            value = value * 10 + (c - '0');
        }
        return value <= most ? value : -1;
    }

    private static boolean lowerHex(String field) {
        if (field.isEmpty() || field.length() > 16 || field.length() > 1 && field.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException bad(String text, String rule) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return new IllegalArgumentException("handle " + rule + ": handle='" + shown + "'");
    }
}
