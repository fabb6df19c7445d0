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
 * than a mapping, so that reporting how the child ended costs no FFM start-up. The first report wins.
 */
final class StatusWriter {
    private final FileChannel channel;
    private final long base;
    private boolean reported;

    private StatusWriter(FileChannel channel, long base) {
        this.channel = channel;
        this.base = base;
    }

    /** Opens the parent's status block; a writer that writes nothing when the parent is already gone. */
    static StatusWriter open(HandleCodec.HandleData where) {
        try {
            return new StatusWriter(FileChannel.open(Platform.current().descriptorPath(where.arena().creatorPid(),
                    where.arena().fd()), StandardOpenOption.WRITE), where.block());
        } catch (IOException | RuntimeException parentGone) {
            // The parent died before this child started: a non-daemon child runs on, with no one to report to.
            return new StatusWriter(null, 0);
        }
    }

    /** Reports the state, and for THREW the serialized exception, unless a report was made already. */
    synchronized void report(int state, byte[] exception) {
        if (reported || channel == null) {
            return;
        }
        reported = true;
        try {
            if (exception != null && exception.length <= StatusLayout.SIZE - StatusLayout.DATA) {
                channel.write(ByteBuffer.wrap(exception), base + StatusLayout.DATA);
                channel.write(intBuffer(exception.length), base + StatusLayout.LENGTH);
            }
            channel.write(intBuffer(state), base + StatusLayout.STATE);
        } catch (IOException ignored) {
            // The parent is gone: nobody is left to read the report.
        }
    }

    private static ByteBuffer intBuffer(int value) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(0, value);
    }
}
