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
 * <p>A permit is a lease: an ephemeral node. When a holder's session ends — its process killed, its host gone, a
 * pause past its session timeout — its permits return to the semaphore (Python's are lost for good), and another
 * client may take them: {@link Permit#close()} of a permit lost that way says so ({@code LOCK_LOST}), as a lost
 * lock's release does; it returns one otherwise.
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
    /** Where the recipe keeps its leases (Curator's InterProcessSemaphoreV2: a "leases" child of its node). */
    private final String leases;

    private ClusterSemaphore(Cluster cluster, String path, String name, int permits) {
        this.cluster = cluster;
        this.name = name;
        this.permits = permits;
        this.semaphore = new InterProcessSemaphoreV2(cluster.client(), path, permits);
        this.leases = path + "/leases";
    }

    static ClusterSemaphore open(Cluster cluster, String path, String name, int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1: permits=" + permits);
        }
        Nodes.createOrCheck(cluster, path, "permits=" + permits, "semaphore '" + name + "'");
        return new ClusterSemaphore(cluster, path, name, permits);
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
            if (cluster.isClosed()) { // Curator's recipe answers its client's close with its own exception
                throw new IllegalStateException("acquire semaphore '" + name + "': this Cluster connection to "
                        + cluster.config().connectString() + " was closed while waiting", e);
            }
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

        /**
         * Returns the permit; a second call does nothing, nor does a call after the Cluster was closed (its session
         * and permits are gone). Without a connection the permit is returned once the ensemble answers again,
         * and whether it was lost meanwhile is not told.
         *
         * @throws ClusterLostException {@code LOCK_LOST} when the permit was lost while held (its session ended,
         *                              and another client may have held it meanwhile)
         */
        @Override
        public synchronized void close() {
            if (returned || cluster.isClosed()) {
                returned = true;
                return;
            }
            returned = true;
            boolean lost = leaseGone();
            semaphore.returnLease(lease); // guaranteed: finished in the background once the ensemble answers
            if (lost) {
                throw new ClusterLostException(cluster.config().connectString(), ClusterLostException.State.LOCK_LOST,
                        "a permit of semaphore '" + name + "' was lost while held (its session ended): another "
                                + "client may have held it meanwhile", null);
            }
        }

        /**
         * Whether the lease is known to be gone: false when it stands, and when that cannot be told now (no
         * connection, no answer within the operation bound). An interrupt does not cut the look short; it is kept.
         */
        private boolean leaseGone() {
            if (!cluster.client().getZookeeperClient().isConnected()) {
                return false;
            }
            boolean interrupted = Thread.interrupted();
            try {
                // This session's member may lag the end of the session that held the lease: it catches up first.
                return Nodes.sync(cluster, leases)
                        && cluster.client().checkExists().forPath(leases + "/" + lease.getNodeName()) == null;
            } catch (Exception e) {
                return false;
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
