package org.multiprocess4j.internal.memory;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The free space of one arena this process created: a bump pointer over never-used space, and the blocks given
 * back, coalesced with their neighbours and indexed by size for best fit. Not thread-safe: {@link SharedHeap}
 * guards it.
 */
final class FreeSpace {
    private final long limit;
    private long top;
    private final TreeMap<Long, Long> byOffset = new TreeMap<>();
    private final TreeMap<Long, TreeSet<Long>> bySize = new TreeMap<>();
    private long used;

    FreeSpace(long start, long limit) {
        this.top = start;
        this.limit = limit;
    }

    /** The offset of a free range of {@code size} bytes (a multiple of 8), or -1 when none is left. */
    long allocate(long size) {
        Map.Entry<Long, TreeSet<Long>> fit = bySize.ceilingEntry(size);
        if (fit != null) {
            long blockSize = fit.getKey();
            long offset = fit.getValue().first();
            removeFree(offset, blockSize);
            if (blockSize > size) {
                addFree(offset + size, blockSize - size);
            }
            used += size;
            return offset;
        }
        if (limit - top >= size) {
            long offset = top;
            top += size;
            used += size;
            return offset;
        }
        return -1;
    }

    /** Gives back {@code size} bytes at {@code offset}, merging with free neighbours and the bump pointer. */
    void free(long offset, long size) {
        used -= size;
        Map.Entry<Long, Long> before = byOffset.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == offset) {
            removeFree(before.getKey(), before.getValue());
            offset = before.getKey();
            size += before.getValue();
        }
        Long afterSize = byOffset.get(offset + size);
        if (afterSize != null) {
            removeFree(offset + size, afterSize);
            size += afterSize;
        }
        if (offset + size == top) {
            top = offset;
        } else {
            addFree(offset, size);
        }
    }

    boolean isEmpty() {
        return used == 0;
    }

    private void addFree(long offset, long size) {
        byOffset.put(offset, size);
        bySize.computeIfAbsent(size, s -> new TreeSet<>()).add(offset);
    }

    private void removeFree(long offset, long size) {
        byOffset.remove(offset);
        TreeSet<Long> offsets = bySize.get(size);
        offsets.remove(offset);
        if (offsets.isEmpty()) {
            bySize.remove(size);
        }
    }
}
