package org.multiprocess4j.zookeeper;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;

/**
 * A counting semaphore named in a ZooKeeper ensemble: Curator's {@code InterProcessSemaphoreV2} with the number
 * of permits recorded, so every client agrees on it.
 *
 * <p>A permit is a lease: an ephemeral node. When a holder's session ends — its process killed, its host gone —
 * its permits return to the semaphore (Python's are lost for good). {@link Permit#close()} returns one.
 *
 * {@snippet :
 * ClusterSemaphore slots = cluster.semaphore("gpu-slots", 4);
 * try (var permit = slots.acquire()) {
 *     useGpu();
 * }
 * }
 */
public final class ClusterSemaphore {
    private final Cluster cluster;
    private final String name;
    private final int permits;
    private final InterProcessSemaphoreV2 semaphore;

    private ClusterSemaphore(Cluster cluster, String name, int permits, InterProcessSemaphoreV2 semaphore) {
        this.cluster = cluster;
        this.name = name;
        this.permits = permits;
        this.semaphore = semaphore;
    }

    static ClusterSemaphore open(Cluster cluster, String path, String name, int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1: permits=" + permits);
        }
        Nodes.createOrCheck(cluster, path, "permits=" + permits, "semaphore '" + name + "'");
        return new ClusterSemaphore(cluster, name, permits, new InterProcessSemaphoreV2(cluster.client(), path, permits));
    }

    /** The semaphore's name. */
    public String name() {
        return name;
    }

    /** The number of permits. */
    public int permits() {
        return permits;
    }

    /**
     * Takes a permit, waiting as long as it takes.
     *
     * @throws InterruptedException when interrupted while waiting
     * @throws ClusterLostException when the ensemble cannot be reached within the operation bound
     */
    public Permit acquire() throws InterruptedException {
        return new Permit(call(() -> semaphore.acquire()));
    }

    /**
     * Takes a permit, waiting at most {@code timeout}; null when none came.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public Permit tryAcquire(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        long nanos = timeout.isNegative() ? 0 // saturated: toNanos() overflows past 292 years
                : timeout.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : timeout.toNanos();
        Lease lease = call(() -> semaphore.acquire(nanos, TimeUnit.NANOSECONDS));
        return lease == null ? null : new Permit(lease);
    }

    @Override
    public String toString() {
        return "ClusterSemaphore[" + name + ", " + permits + " permits]";
    }

    private Lease call(Cluster.Operation<Lease> op) throws InterruptedException {
        cluster.checkOpen(); // Curator's recipe would answer a closed client with a NullPointerException, or null
        try {
            return op.run();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw cluster.translated("acquire semaphore '" + name + "'", e);
        }
    }

    /** A permit held, returned by {@link #close()}. */
    public final class Permit implements AutoCloseable {
        private final Lease lease;
        private boolean returned;

        private Permit(Lease lease) {
            this.lease = lease;
        }

        /** Returns the permit; a second call does nothing. */
        @Override
        public synchronized void close() {
            if (!returned) {
                returned = true;
                semaphore.returnLease(lease);
            }
        }
    }
}
