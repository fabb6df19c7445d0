package org.multiprocess4j.inspect;

import org.multiprocess4j.internal.memory.ArenaRef;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.queue.QueueCore;
import org.multiprocess4j.internal.sync.ConditionCore;
import org.multiprocess4j.internal.sync.LockLayout;
import org.multiprocess4j.internal.sync.SyncLayout;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reads a block's descriptor record ({@code docs/FORMAT.md}): {@code count "\n" signature ["\n" lock handle]}, or
 * {@code "-\n" phrase} for a block of the library's own. The text comes from shared memory another process wrote,
 * so it is parsed as hostile: anything that does not parse leaves the object as its layout told it.
 */
final class Descriptors {
    private static final Map<Character, String> C_TYPES = Map.ofEntries(Map.entry('c', "c_char"),
            Map.entry('b', "c_byte"), Map.entry('B', "c_ubyte"), Map.entry('h', "c_short"), Map.entry('H', "c_ushort"),
            Map.entry('i', "c_int"), Map.entry('I', "c_uint"), Map.entry('l', "c_long"), Map.entry('L', "c_ulong"),
            Map.entry('q', "c_longlong"), Map.entry('Q', "c_ulonglong"), Map.entry('f', "c_float"),
            Map.entry('d', "c_double"), Map.entry('u', "c_wchar"), Map.entry('?', "c_bool"));
    private static final Map<Character, String> KINDS = Map.of('L', "lock", 'R', "rlock", 'C', "condition",
            'S', "semaphore", 'E', "event", 'B', "barrier", 'Q', "queue");

    private Descriptors() {
    }

    /**
     * The object {@code layout} describes, with what its descriptor adds: kind, type, length and, when
     * {@code creator} is known (the inspected process created the arena), its handle.
     */
    static Inspector.ObjectView describe(Inspector.ObjectView layout, ByteBuffer text, int generation,
                                         ArenaRef creator) {
        String descriptor;
        try {
            descriptor = StandardCharsets.UTF_8.newDecoder().decode(text).toString();
        } catch (CharacterCodingException e) {
            return layout;
        }
        if (descriptor.chars().anyMatch(c -> c != '\n' && (Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT))) {
            return layout; // C0 and C1 controls (CSI among them), bidirectional overrides: kept off a terminal
        }
        String[] parts = descriptor.split("\n", -1);
        if (parts.length == 2 && parts[0].equals("-")) {
            return new Inspector.ObjectView(layout.offset(), layout.bytes(), "internal", shortened(parts[1]), 1, "",
                    "");
        }
        if (parts.length < 2 || parts.length > 3 || !parts[0].matches("[0-9]{1,18}") || parts[1].isEmpty()) {
            return layout;
        }
        long count = Long.parseLong(parts[0]);
        String signature = parts[1];
        char kind = signature.charAt(0);
        String name;
        String type = "";
        String state = layout.state();
        if (kind == 'v' || kind == 'a') {
            String body = signature.substring(1);
            int at = body.lastIndexOf('@'); // the Java class a structure is viewed with
            if (at >= 0 && at > body.lastIndexOf('}')) {
                body = body.substring(0, at);
            }
            type = shortened(pretty(body));
            name = kind == 'a' ? "array" : body.startsWith("{") ? "struct" : "value";
            state = "";
        } else if (KINDS.containsKey(kind) && signature.length() == 1) {
            name = KINDS.get(kind);
            if (!layout.kind().equals(name)) {
                state = "its memory does not hold a " + name + "'s layout";
            }
        } else {
            return layout;
        }
        String handle = "";
        String shape = shapeProblem(signature, parts.length == 3, count, layout.bytes(), layout.offset());
        if (shape != null) {
            state = (state.isEmpty() ? "" : state + "; ") + "its descriptor " + shape;
        } else if (creator != null) {
            long span = kind == 'v' || kind == 'a' ? span(signature.substring(1), count) : -1;
            long bytes = span >= 0 ? span : count == 0 ? 0 : layout.bytes(); // a zero-byte object has a 1-byte block
            handle = HandleCodec.encode(new HandleCodec.HandleData(signature, creator, layout.offset(), generation, 0,
                    bytes, count));
            if (parts.length == 3) {
                handle += "+" + parts[2];
            }
            if (!attachable(handle)) {
                handle = "";
                state = (state.isEmpty() ? "" : state + "; ") + "its descriptor makes no handle the library takes";
            }
        }
        return new Inspector.ObjectView(layout.offset(), layout.bytes(), name, type, kind == 'a' ? count : 1, handle,
                state);
    }

    /** The bytes of each typecode's C type, which is its alignment too. */
    private static final Map<Character, Integer> C_SIZES = Map.ofEntries(Map.entry('c', 1), Map.entry('b', 1),
            Map.entry('B', 1), Map.entry('h', 2), Map.entry('H', 2), Map.entry('i', 4), Map.entry('I', 4),
            Map.entry('l', 8), Map.entry('L', 8), Map.entry('q', 8), Map.entry('Q', 8), Map.entry('f', 4),
            Map.entry('d', 8), Map.entry('u', 4), Map.entry('?', 1));

    /**
     * What the library's attach would refuse in an object's shape, as the descriptor and the block give it (kind,
     * lock part, element count, size, place), or null: a handle is shown only when the library would take it. A
     * structure's size needs its Java class, which this process may not have: its layout is not checked here.
     */
    static String shapeProblem(String signature, boolean lockPart, long count, long bytes, long offset) {
        char kind = signature.charAt(0);
        return switch (kind) {
            case 'L', 'R' -> lockPart || count != 1 || bytes != LockLayout.SIZE || offset % LockLayout.ALIGNMENT != 0
                    ? "names a lock that is not " + LockLayout.SIZE + " bytes at a multiple of " + LockLayout.ALIGNMENT
                    + " with no lock of its own" : null;
            case 'C' -> !lockPart || count != 1 || bytes != ConditionCore.SIZE
                    || offset % ConditionCore.ALIGNMENT != 0 ? "names a condition that is not " + ConditionCore.SIZE
                    + " bytes with its lock" : null;
            case 'S', 'E', 'B' -> lockPart || count != 1 || bytes != SyncLayout.SIZE
                    || offset % SyncLayout.ALIGNMENT != 0 ? "names a synchronizer that is not " + SyncLayout.SIZE
                    + " bytes at a multiple of " + SyncLayout.ALIGNMENT : null;
            case 'Q' -> lockPart || count != 1 || bytes <= QueueCore.HEADER || offset % QueueCore.ALIGNMENT != 0
                    ? "names a queue that does not fit its block" : null;
            default -> dataShapeProblem(signature.substring(1), kind == 'v', count, bytes, offset);
        };
    }

    private static String dataShapeProblem(String body, boolean value, long count, long bytes, long offset) {
        if (value && count != 1) {
            return "names a value whose count is not 1";
        }
        if (body.startsWith("{")) {
            int at = body.lastIndexOf('@');
            return at < 0 || at < body.lastIndexOf('}') ? "names a structure without its class" : null;
        }
        if (value && body.endsWith("]")) {
            return "names a value of an array type, which only an array's handle does";
        }
        long span = span(body, count);
        if (span == NO_TYPE) {
            return "has a type signature that names no type";
        }
        if (span < 0) {
            return "names more bytes than exist";
        }
        if (span != bytes && !(span == 0 && bytes <= 8)) { // a zero-byte object gets the smallest block
            return "names " + span + " bytes of its type, where its block holds " + bytes;
        }
        return offset % C_SIZES.get(body.charAt(0)) != 0 ? "names an object that is not aligned for its type" : null;
    }

    /** What {@link #span} answers for a signature that names no typecode type. */
    private static final long NO_TYPE = -2;

    /**
     * The bytes {@code count} elements of the typecode type {@code body} (a typecode and array dimensions) take;
     * {@link #NO_TYPE} when it names none (a structure's size needs its class), -1 when it overflows.
     */
    static long span(String body, long count) {
        int end = body.length();
        long elements = 1;
        while (end > 0 && body.charAt(end - 1) == ']') {
            int open = body.lastIndexOf('[', end - 1);
            long length = open < 0 ? -1 : HandleCodec.decimal(body, open + 1, end - 1, Integer.MAX_VALUE);
            if (length < 0) {
                return NO_TYPE;
            }
            try {
                elements = Math.multiplyExact(elements, length);
            } catch (ArithmeticException e) {
                return -1;
            }
            end = open;
        }
        Integer size = end == 1 ? C_SIZES.get(body.charAt(0)) : null;
        if (size == null) {
            return NO_TYPE;
        }
        try {
            return Math.multiplyExact(Math.multiplyExact(elements, size), count);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** Whether the library's handle parser takes {@code handle}, and its lock part names a lock. */
    private static boolean attachable(String handle) {
        if (handle.length() > MAX_HANDLE) {
            return false;
        }
        HandleCodec.HandleData data = HandleCodec.decodedOrNull(handle);
        return data != null && (data.lock() == null || data.lockData().signature().equals("L")
                || data.lockData().signature().equals("R"));
    }

    /** {@code text}, cut to {@link #SHOWN} characters: what an inspection keeps of a hostile descriptor is bounded. */
    static String shortened(String text) {
        if (text.length() <= SHOWN) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(SHOWN - 2)) ? SHOWN - 2 : SHOWN - 1; // no half a pair
        return text.substring(0, end) + "\u2026";
    }

    /** The most characters of a type or an internal block's phrase shown. */
    private static final int SHOWN = 160;
    /** The longest handle shown: a structure's signature and a lock part make the longest real ones. */
    private static final int MAX_HANDLE = 4096;

    /**
     * A signature's type in C words: {@code c_int}, {@code struct Point}, {@code union U}, {@code c_double[3]}; the
     * signature itself when it does not parse.
     */
    static String pretty(String signature) {
        int[] at = {0};
        String type = type(signature, at);
        return type != null && at[0] == signature.length() ? type : signature;
    }

    private static String type(String s, int[] at) {
        if (at[0] >= s.length()) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        char c = s.charAt(at[0]);
        if (c == '{') {
            int depth = 0;
            int end = at[0];
            for (; end < s.length(); end++) {
                if (s.charAt(end) == '{') {
                    depth++;
                } else if (s.charAt(end) == '}' && --depth == 0) {
                    break;
                }
            }
            if (end == s.length()) {
                return null;
            }
            String inner = s.substring(at[0] + 1, end);
            int nameEnd = 0;
            while (nameEnd < inner.length() && inner.charAt(nameEnd) != '|' && inner.charAt(nameEnd) != ';') {
                nameEnd++;
            }
            boolean union = false;
            if (nameEnd < inner.length() && inner.charAt(nameEnd) == '|') {
                int rulesEnd = inner.indexOf(';', nameEnd);
                union = inner.substring(nameEnd + 1, rulesEnd < 0 ? inner.length() : rulesEnd).contains("U");
            }
            out.append(union ? "union " : "struct ").append(inner, 0, nameEnd);
            at[0] = end + 1;
        } else if (C_TYPES.containsKey(c)) {
            out.append(C_TYPES.get(c));
            at[0]++;
        } else {
            return null;
        }
        while (at[0] < s.length() && s.charAt(at[0]) == '[') {
            int close = s.indexOf(']', at[0]);
            if (close < 0 || !s.substring(at[0] + 1, close).matches("[0-9]{1,18}")) {
                return null;
            }
            out.append(s, at[0], close + 1);
            at[0] = close + 1;
        }
        return out.toString();
    }
}
