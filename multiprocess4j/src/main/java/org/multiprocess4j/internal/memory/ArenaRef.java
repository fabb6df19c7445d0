package org.multiprocess4j.internal.memory;

/**
 * Where an arena lives: the process that created it (pid and start time, which together survive pid reuse),
 * the descriptor that process holds it open with, the arena's random id and its size in bytes.
 */
public record ArenaRef(long creatorPid, long creatorStartTime, int fd, long arenaId, long size) {
    /** As a handle writes it: the arena id in hexadecimal. */
    @Override
    public String toString() {
        return "ArenaRef[creatorPid=" + creatorPid + ", creatorStartTime=" + creatorStartTime + ", fd=" + fd
                + ", arenaId=" + Long.toHexString(arenaId) + ", size=" + size + "]";
    }
}
