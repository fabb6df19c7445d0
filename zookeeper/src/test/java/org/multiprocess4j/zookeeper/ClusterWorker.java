package org.multiprocess4j.zookeeper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.multiprocess4j.sharedctypes.CType;

/**
 * A worker JVM of the cluster tests. Arguments: mode, connect string, root, session timeout in ms, then the
 * mode's own.
 * <ul>
 * <li>{@code count N}: N times, under lock "counter", reads value "count" and writes it plus one; prints
 * {@code CS <fencing token> <value read>} for each, then {@code DONE}. A section cut by a lost lock or session
 * prints {@code LOST <state>} instead, and the loop goes on (its write may have been applied, or not).</li>
 * <li>{@code add N}: N times {@code getAndAdd(1)} on value "added", printing {@code GOT <value before>}.</li>
 * <li>{@code hold HOW}: takes lock "counter" and records the holding as HOW says ({@code write}: sets value
 * "count" to -1; {@code record}: {@code recordHolding()}; {@code none}: not at all), prints
 * {@code HELD <token> <previous owner died>}, then for each
 * input line {@code WRITE x} sets value "count" to x under the lock and prints {@code WROTE} or
 * {@code REFUSED <state>}.</li>
 * </ul>
 */
public final class ClusterWorker {
    private ClusterWorker() {
    }

    public static void main(String[] args) throws Exception {
        ClusterConfig config = ClusterConfig.builder(args[1]).root(args[2])
                .sessionTimeout(Duration.ofMillis(Long.parseLong(args[3])))
                .connectionTimeout(Duration.ofSeconds(10)).operationBound(Duration.ofSeconds(30)).build();
        try (Cluster cluster = Cluster.connect(config)) {
            ClusterLock lock = cluster.lock("counter");
            switch (args[0]) {
                case "count" -> {
                    ClusterValue count = cluster.value("count", CType.c_long);
                    for (int i = 0, n = Integer.parseInt(args[4]); i < n; i++) {
                        try (var held = lock.hold()) {
                            long seen = count.get();
                            count.set(seen + 1);
                            System.out.println("CS " + held.fencingToken() + " " + seen
                                    + (held.previousOwnerDied() ? " died" : ""));
                        } catch (ClusterLostException e) {
                            System.out.println("LOST " + e.state());
                        }
                    }
                    System.out.println("DONE");
                }
                case "add" -> {
                    ClusterValue added = cluster.value("added", CType.c_long);
                    for (int i = 0, n = Integer.parseInt(args[4]); i < n; i++) {
                        System.out.println("GOT " + added.getAndAdd(1));
                    }
                    System.out.println("DONE");
                }
                case "hold" -> {
                    ClusterValue count = cluster.value("count", CType.c_long);
                    lock.lock();
                    switch (args[4]) {
                        case "write" -> count.set(-1);
                        case "record" -> lock.recordHolding();
                        default -> { }
                    }
                    System.out.println("HELD " + lock.fencingToken() + " " + lock.previousOwnerDied());
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("WRITE ")) {
                            try {
                                count.set(Long.parseLong(line.substring(6)));
                                System.out.println("WROTE");
                            } catch (ClusterLostException e) {
                                System.out.println("REFUSED " + e.state());
                            }
                        }
                    }
                }
                default -> throw new IllegalArgumentException("mode: " + args[0]);
            }
        }
    }
}
