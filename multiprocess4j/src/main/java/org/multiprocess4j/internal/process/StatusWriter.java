package org.multiprocess4j.internal.process;

import org.multiprocess4j.internal.memory.ArenaLayout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The child's side of the {@link StatusLayout} block: positional writes through the parent's arena file rather
 * than a mapping, so that reporting how the child ended costs no FFM start-up, with the lightest file API the JDK
 * has. The file is opened only to report, at the end, off the start-up path. The first report wins.
 *
 * <p>By then the parent may have died and its pid gone to another process, whose {@code /proc/<pid>/fd/<n>} names
 * some other file: the writer first reads the arena header there and writes only when it holds the arena magic and
 * the arena's random 64-bit id.
 */
public final class StatusWriter {
    private final String file;
    private final long arenaId;
    private final long base;
    private boolean reported;

    /** A writer for the status block at {@code base} in the arena file {@code file}, whose id is {@code arenaId}. */
    public StatusWriter(String file, long arenaId, long base) {
        this.file = file;
        this.arenaId = arenaId;
        this.base = base;
    }

    /** Reports the state, and for THREW the serialized exception, unless a report was made already. */
    public synchronized void report(int state, byte[] exception) {
        if (reported) {
            return;
        }
        reported = true;
        // "rw" would create a missing file, but nothing can be created in /proc/<pid>/fd: a vanished parent is an
        // IOException here.
        try (RandomAccessFile status = new RandomAccessFile(file, "rw")) {
            if (!isTheArena(status)) {
                cannotReport("its pid now names another process");
                return;
            }
            if (exception != null && exception.length <= StatusLayout.EXCEPTION_ROOM) {
                status.seek(base + StatusLayout.DATA);
                status.write(exception);
                status.seek(base + StatusLayout.LENGTH);
                status.write(intBytes(exception.length));
            } else if (exception != null) {
                System.getLogger("org.multiprocess4j").log(System.Logger.Level.WARNING, "the exception this child "
                        + "ended with is " + exception.length + " bytes serialized, more than its status block holds ("
                        + StatusLayout.EXCEPTION_ROOM + "): its parent learns only that it threw");
            }
            status.seek(base + StatusLayout.STATE);
            status.write(intBytes(state));
        } catch (IOException parentGone) {
            // The parent is gone (a non-daemon child outlives it): nobody is left to read the report.
            cannotReport(parentGone.getMessage());
        }
    }

    /** Says, at DEBUG (the logger is made only here: not on any child's way out), why no report was made. */
    private void cannotReport(String why) {
        System.getLogger("org.multiprocess4j").log(System.Logger.Level.DEBUG, () -> "this child cannot report how it "
                + "ended to its parent through " + file + ": " + why + " (a child that outlives its parent)");
    }

    /** Reports that a standby has booted ({@link StatusLayout#READY}); a later report overwrites it. */
    public synchronized void ready() {
        if (reported) {
            return;
        }
        try (RandomAccessFile status = new RandomAccessFile(file, "rw")) {
            if (isTheArena(status)) {
                status.seek(base + StatusLayout.STATE);
                status.write(intBytes(StatusLayout.READY));
            }
        } catch (IOException parentGone) {
            // The parent is gone: the standby reads the end of its input next, and ends.
        }
    }

    private boolean isTheArena(RandomAccessFile status) throws IOException {
        byte[] header = new byte[(int) ArenaLayout.HEADER_SIZE];
        if (status.length() < header.length) {
            return false;
        }
        status.readFully(header);
        ByteBuffer fields = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
        return fields.getLong((int) ArenaLayout.MAGIC_OFFSET) == ArenaLayout.MAGIC
                && fields.getLong((int) ArenaLayout.ARENA_ID_OFFSET) == arenaId;
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(0, value).array();
    }
}
