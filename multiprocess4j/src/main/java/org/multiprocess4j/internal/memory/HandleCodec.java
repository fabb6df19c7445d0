package org.multiprocess4j.internal.memory;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The string form of a handle:
 * {@code mp4j1:<pid>:<start time>:<fd>:<arena id hex>:<arena size>:<block>:<generation>:<view>:<bytes>:<count>:<signature>[+<lock>]},
 * where {@code <block>} is the offset of the block in its arena, {@code <generation>} which allocation there it
 * is, {@code <view>} where the object starts in the
 * block, the signature (the object's kind and C type) is base64url without padding and {@code <lock>} is the
 * handle of the lock of a synchronized object.
 */
public final class HandleCodec {
    private static final String PREFIX = "mp4j1";
    private static final int FIELDS = 12;

    private HandleCodec() {
    }

    /** What a handle says. {@code lock} is the lock's handle text, or null. */
    public record HandleData(String signature, ArenaRef arena, long block, int generation, long view, long bytes,
                             long count, String lock) {
    }

    public static String encode(HandleData data) {
        ArenaRef a = data.arena();
        String text = String.join(":", PREFIX, Long.toString(a.creatorPid()), Long.toString(a.creatorStartTime()),
                Integer.toString(a.fd()), Long.toHexString(a.arenaId()), Long.toString(a.size()),
                Long.toString(data.block()), Integer.toUnsignedString(data.generation()), Long.toString(data.view()),
                Long.toString(data.bytes()),
                Long.toString(data.count()),
                Base64.getUrlEncoder().withoutPadding().encodeToString(
                        data.signature().getBytes(StandardCharsets.UTF_8)));
        return data.lock() == null ? text : text + "+" + data.lock();
    }

    /** @throws IllegalArgumentException naming the handle and what is wrong with it */
    public static HandleData decode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("handle must not be null");
        }
        int plus = text.indexOf('+');
        String own = plus < 0 ? text : text.substring(0, plus);
        String lock = plus < 0 ? null : text.substring(plus + 1);
        String[] f = own.split(":", -1);
        if (f.length != FIELDS || !f[0].equals(PREFIX)) {
            throw bad(text, "must have " + FIELDS + " ':'-separated fields starting with " + PREFIX);
        }
        try {
            ArenaRef arena = new ArenaRef(positive(f[1]), positive(f[2]), Math.toIntExact(positive(f[3])),
                    Long.parseUnsignedLong(f[4], 16), positive(f[5]));
            String signature = new String(Base64.getUrlDecoder().decode(f[11]), StandardCharsets.UTF_8);
            if (signature.isEmpty()) {
                throw bad(text, "has an empty type signature");
            }
            if (lock != null) {
                decode(lock);
            }
            return new HandleData(signature, arena, positive(f[6]), Integer.parseUnsignedInt(f[7]), positive(f[8]),
                    positive(f[9]), positive(f[10]), lock);
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad(text, "has a field that is not a number in range (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("handle ")) {
                throw e;
            }
            throw bad(text, "has a type signature that is not base64url");
        }
    }

    private static long positive(String field) {
        long value = Long.parseLong(field);
        if (value < 0) {
            throw new NumberFormatException("negative: " + field);
        }
        return value;
    }

    private static IllegalArgumentException bad(String text, String rule) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return new IllegalArgumentException("handle " + rule + ": handle='" + shown + "'");
    }
}
