package org.multiprocess4j.internal.process;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The child's side of the {@link StatusLayout} block: positional writes through the parent's arena file rather
 * than a mapping, so that reporting how the child ended costs no FFM start-up. The file is opened only to report,
 * at the end, off the start-up path, with the lightest file API the JDK has. The first report wins.
 */
final class StatusWriter {
    private final String file;
    private final long base;
    private boolean reported;

    /** A writer for the status block at {@code base} in {@code file}; nothing is opened before the first report. */
    StatusWriter(String file, long base) {
        this.file = file;
        this.base = base;
    }

    /** Reports the state, and for THREW the serialized exception, unless a report was made already. */
    synchronized void report(int state, byte[] exception) {
        if (reported) {
            return;
        }
        reported = true;
        try (RandomAccessFile status = new RandomAccessFile(file, "rw")) {
            if (exception != null && exception.length <= StatusLayout.SIZE - StatusLayout.DATA) {
                status.seek(base + StatusLayout.DATA);
                status.write(exception);
                status.seek(base + StatusLayout.LENGTH);
                status.write(intBytes(exception.length));
            }
            status.seek(base + StatusLayout.STATE);
            status.write(intBytes(state));
        } catch (IOException parentGone) {
            // The parent is gone (a non-daemon child outlives it): nobody is left to read the report.
        }
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(0, value).array();
    }
}
