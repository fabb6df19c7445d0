package org.multiprocess4j.internal.process;

import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.os.Platform;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * The child's side of the {@link StatusLayout} block: positional writes through the parent's arena file rather
 * than a mapping, so that reporting how the child ended costs no FFM start-up. The file is opened only to report,
 * at the end, off the start-up path. The first report wins.
 */
final class StatusWriter {
    private final String handle;
    private boolean reported;

    /** A writer for the status block that {@code handle} names; nothing is opened before the first report. */
    StatusWriter(String handle) {
        this.handle = handle;
    }

    /** Reports the state, and for THREW the serialized exception, unless a report was made already. */
    synchronized void report(int state, byte[] exception) {
        if (reported) {
            return;
        }
        reported = true;
        HandleCodec.HandleData where = HandleCodec.decode(handle);
        long base = where.block();
        try (FileChannel channel = FileChannel.open(Platform.current().descriptorPath(where.arena().creatorPid(),
                where.arena().fd()), StandardOpenOption.WRITE)) {
            if (exception != null && exception.length <= StatusLayout.SIZE - StatusLayout.DATA) {
                channel.write(ByteBuffer.wrap(exception), base + StatusLayout.DATA);
                channel.write(intBuffer(exception.length), base + StatusLayout.LENGTH);
            }
            channel.write(intBuffer(state), base + StatusLayout.STATE);
        } catch (IOException | RuntimeException parentGone) {
            // The parent is gone (a non-daemon child outlives it): nobody is left to read the report.
        }
    }

    private static ByteBuffer intBuffer(int value) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(0, value);
    }
}
