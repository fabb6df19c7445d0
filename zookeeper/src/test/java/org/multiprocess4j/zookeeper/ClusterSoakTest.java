package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;

/**
 * Lock holders SIGKILLed at random points of their loop while a member is killed and restarted: no critical
 * section overlaps another, no update is lost, and each death costs at most the one increment in flight.
 */
@Tag("soak")
class ClusterSoakTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final int KILLS = 40;

    @Test
    void shouldKeepTheCountExactWhileHoldersAreKilledAtRandomPoints() throws Exception {
        String root = "/test/soak-" + UUID.randomUUID();
        LocalEnsemble zk = SharedEnsemble.get();
        List<Workers.Worker> all = new ArrayList<>();
        List<Workers.Worker> running = new ArrayList<>();
        try (Cluster cluster = Cluster.connect(SharedEnsemble.config(root.substring("/test/".length())))) {
            for (int i = 0; i < 3; i++) {
                Workers.Worker w = new Workers.Worker("count", zk.connectString(), root, "1000000");
                all.add(w);
                running.add(w);
            }
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int kill = 0; kill < KILLS; kill++) {
                Workers.Worker victim = running.get(random.nextInt(running.size()));
                for (int i = random.nextInt(1, 6); i > 0; i--) {
                    victim.await("CS", BOUND); // a random point of its loop: after 1 to 5 sections
                }
                victim.signal("KILL");
                victim.waitExit();
                running.remove(victim);
                Workers.Worker fresh = new Workers.Worker("count", zk.connectString(), root, "1000000");
                all.add(fresh);
                running.add(fresh);
                if (kill == KILLS / 2) {
                    zk.kill(0);
                    fresh.await("CS", BOUND);
                    zk.restart(0, true);
                }
            }
            running.getFirst().await("CS", BOUND);
            running.forEach(Workers.Worker::close);

            TreeMap<Long, Long> byToken = new TreeMap<>();
            int deathsReported = 0;
            for (Workers.Worker w : all) {
                for (String line : w.output()) {
                    if (line.startsWith("CS ")) {
                        String[] f = line.split(" ");
                        assertEquals(null, byToken.put(Long.parseLong(f[1]), Long.parseLong(f[2])), line);
                        deathsReported += f.length > 3 ? 1 : 0;
                    }
                }
            }
            long before = -1;
            int unreported = 0; // increments made by a holder killed before it printed them
            for (long seen : byToken.values()) {
                assertTrue(seen > before, "in fencing-token order every section read more than the last: " + seen
                        + " after " + before);
                unreported += (int) (seen - before - 1);
                before = seen;
            }
            int killed = KILLS + 3;
            assertTrue(unreported <= killed, unreported + " unprinted increments for " + killed + " kills");
            long total = cluster.value("count", CType.c_long).get();
            assertTrue(total >= before + 1 && total <= before + 1 + killed, "total " + total + ", last seen " + before);
            assertTrue(deathsReported <= killed, deathsReported + " deaths reported for " + killed + " kills");
            System.out.printf("cluster soak: %d sections, %d kills, %d deaths reported to the next holder, "
                    + "%d increments made by holders killed before printing them%n", byToken.size(), killed,
                    deathsReported, unreported);
        } finally {
            all.forEach(Workers.Worker::close);
        }
    }
}
