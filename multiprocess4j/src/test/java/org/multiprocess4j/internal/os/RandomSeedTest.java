package org.multiprocess4j.internal.os;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The seed of arena ids: each call reads fresh bytes from the kernel, so processes draw different ids. */
class RandomSeedTest {

    @Test
    void eachSeedIsFresh() {
        Set<Long> seeds = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            seeds.add(Platform.current().randomSeed());
        }
        assertEquals(100, seeds.size(), "100 seeds of 64 random bits, all different");
    }
}
