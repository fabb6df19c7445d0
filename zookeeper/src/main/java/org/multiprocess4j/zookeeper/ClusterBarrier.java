package org.multiprocess4j.zookeeper;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;

/**
 * A barrier for a fixed number of parties named in a ZooKeeper ensemble: Curator's
 * {@code DistributedDoubleBarrier}, entered and left in one call, with the number of parties recorded so every
 * client agrees on it.
 *
 * <p>Unlike a shared-memory {@code ProcessBarrier}, a party that dies before arriving does not break the barrier
 * for the others: they wait until their timeout. Each party uses its own {@link Cluster} connection (a session),
 * as each is in its own process.
 */
public final class ClusterBarrier {
    private final Cluster cluster;
    private final String name;
    private final int parties;
    private final DistributedDoubleBarrier barrier;

    private ClusterBarrier(Cluster cluster, String name, int parties, DistributedDoubleBarrier barrier) {
        this.cluster = cluster;
        this.name = name;
        this.parties = parties;
        this.barrier = barrier;
    }

    static ClusterBarrier open(Cluster cluster, String path, String name, int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("parties must be at least 1: parties=" + parties);
        }
        Nodes.createOrCheck(cluster, path + "-parties", "parties=" + parties, "barrier '" + name + "'");
        return new ClusterBarrier(cluster, name, parties, new DistributedDoubleBarrier(cluster.client(), path, parties));
    }

    /** The number of parties. */
    public int parties() {
        return parties;
    }

    /**
     * Waits until every party has arrived, then until every party has passed, at most {@code timeout} for each;
     * whether it passed in time.
     *
     * @throws InterruptedException when interrupted while waiting
     * @throws ClusterLostException when the ensemble cannot be reached within the operation bound
     */
    public boolean await(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        long nanos = Math.max(0, timeout.toNanos());
        try {
            return barrier.enter(nanos, TimeUnit.NANOSECONDS) && barrier.leave(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw cluster.translated("await barrier '" + name + "'", e);
        }
    }

    @Override
    public String toString() {
        return "ClusterBarrier[" + name + ", " + parties + " parties]";
    }
}
