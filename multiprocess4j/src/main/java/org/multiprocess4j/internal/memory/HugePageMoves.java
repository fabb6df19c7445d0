package org.multiprocess4j.internal.memory;

import org.multiprocess4j.internal.os.Platform;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Moves large arenas onto huge pages ({@link Platform#collapseIntoHugePages}) on one daemon thread, one arena
 * after another, {@link #PIECE} bytes at a time. Closing an arena gives its move up: the close waits for the piece
 * under way (a few milliseconds) and lets the move's mapping go, so the arena's memory is freed when the close
 * returns, as without the move (a program that makes and closes large arrays in a loop holds no more memory).
 */
final class HugePageMoves {
    /** How much one call moves: about 6 ms of copying here. */
    static final long PIECE = 16L << 20;
    private static final BlockingQueue<Move> QUEUE = new LinkedBlockingQueue<>();
    private static boolean started; // guarded by HugePageMoves.class

    private HugePageMoves() {
    }

    /** One arena's move: its aligned mapping, until the move ends or the arena is closed. */
    static final class Move {
        private final Platform platform;
        private final long address;
        private final long length;
        private final long arenaId;
        private boolean moving; // guarded by this
        private boolean cancelled; // guarded by this
        private boolean released; // guarded by this

        private Move(Platform platform, long address, long length, long arenaId) {
            this.platform = platform;
            this.address = address;
            this.length = length;
            this.arenaId = arenaId;
        }

        /** Gives the move up: waits for the piece under way, if any, and lets the mapping go. */
        synchronized void cancel() {
            cancelled = true;
            boolean interrupted = false;
            while (moving) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            release();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private synchronized boolean begin() {
            moving = !cancelled;
            return moving;
        }

        private synchronized void end() {
            moving = false;
            notifyAll();
        }

        private synchronized void release() {
            if (!released) {
                released = true;
                platform.unmap(address, length);
            }
        }

        /**
         * Moves the pieces in order. A piece whose pages are in use (the program writing them as they move) or
         * that finds no huge page free is tried again after 5, 10, 20, 40 and 80 ms, then left on small pages;
         * a kernel that cannot move any ends the move.
         */
        private void run() throws InterruptedException {
            long moved = 0;
            int result = Platform.COLLAPSED;
            try {
                for (long at = 0; at < length && result != Platform.NEVER_COLLAPSED; at += PIECE) {
                    long piece = Math.min(PIECE, length - at);
                    result = Platform.COLLAPSE_LATER;
                    for (int attempt = 0; attempt < 6 && result == Platform.COLLAPSE_LATER; attempt++) {
                        if (attempt > 0) {
                            Thread.sleep(5L << (attempt - 1));
                        }
                        if (!begin()) {
                            return;
                        }
                        try {
                            result = platform.collapseIntoHugePages(address + at, piece);
                        } finally {
                            end();
                        }
                    }
                    moved += result == Platform.COLLAPSED ? piece : 0;
                }
            } finally {
                release();
            }
            if (moved < length) {
                long small = length - moved;
                boolean never = result == Platform.NEVER_COLLAPSED;
                System.getLogger("org.multiprocess4j").log(System.Logger.Level.DEBUG, () -> "arena "
                        + Long.toHexString(arenaId) + ": " + small + " of " + length + " bytes stay on small pages"
                        + (never ? " (this kernel moves no shared memory onto huge pages)" : ""));
            }
        }
    }

    /**
     * Maps the first {@code size} bytes of arena file {@code fd} for a move and queues it; null where the
     * platform cannot map them so.
     */
    static Move start(Platform platform, int fd, long size, long arenaId) {
        long address = platform.mapAlignedToHugePages(fd, size);
        if (address == 0) {
            return null;
        }
        Move move = new Move(platform, address, size & -Platform.HUGE_PAGE, arenaId);
        QUEUE.add(move);
        synchronized (HugePageMoves.class) {
            if (!started) {
                started = true;
                Thread.ofPlatform().daemon().name("multiprocess4j-huge-pages").start(HugePageMoves::work);
            }
        }
        return move;
    }

    /** The worker: it never ends, so that every queued move's mapping is let go (an interrupt is ignored). */
    private static void work() {
        while (true) {
            try {
                QUEUE.take().run();
            } catch (InterruptedException e) {
                // nobody but this class knows the thread; a move cut short by it has let its mapping go
            } catch (RuntimeException e) {
                System.getLogger("org.multiprocess4j").log(System.Logger.Level.DEBUG, "huge-page move failed", e);
            }
        }
    }
}
